"""Everyday text through the real engines: one timed mark per written token, and heard right.

The issue's sentence used to come back from espeak-ng as ``Smith paid $ 1, ,2 234.56 34.56``
in its subtitles, with five marks for ``34.56`` and none for ``a.m.``. Here every engine
(espeak-ng, Kokoro, Piper) gets the normalized text and every token gets one mark, in order,
with times that never go back and end with the audio.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import Transcriber, decode, run_cli, words_heard
from tts_agents import TTSAgent, TTSConfig

SENTENCE = "Dr. Smith paid $1,234.56 on 3/4/2024 at 10:30 a.m."
TOKENS = SENTENCE.split()


def check_marks(response, text: str) -> None:  # type: ignore[no-untyped-def]
    marks = response.words
    assert [text[m.text_start : m.text_end] for m in marks] == text.split()
    assert [m.word for m in marks] == text.split()
    samples = [m.sample for m in marks]
    assert samples == sorted(samples)
    duration = response.duration or 0
    assert samples[-1] / response.sample_rate < duration
    words = response.alignment.words
    assert abs(words[-1].end - duration) <= 0.25  # the subtitles end with the audio


async def test_espeak_marks_each_token_once_and_says_the_numbers(transcribe: Transcriber) -> None:
    async with TTSAgent(TTSConfig(engines=["espeak"])) as agent:
        response = await agent.generate_speech(SENTENCE, format="wav")
        raw = await agent.generate_speech(SENTENCE, format="wav", normalize="off")
    check_marks(response, SENTENCE)
    heard = transcribe(decode(response.audio_data or b""))
    assert len(words_heard(heard, {"doctor", "thousand", "hundred", "dollars", "march"})) >= 2, (
        heard
    )
    assert "slash" not in heard
    assert len(raw.words) == len(TOKENS)  # off: read as written, still one mark per token


async def test_ssml_say_as_is_one_timed_token(transcribe: Transcriber) -> None:
    ssml = (
        '<speak>We meet on <say-as interpret-as="date" format="mdy">12/25/2024</say-as> '
        "at 10:30 a.m.</speak>"
    )
    async with TTSAgent(TTSConfig(engines=["espeak"])) as agent:
        response = await agent.generate_speech(ssml, format="wav")
    assert [m.word for m in response.words] == [
        "We",
        "meet",
        "on",
        "12/25/2024",
        "at",
        "10:30",
        "a.m.",
    ]
    date = response.words[3]
    assert ssml[date.text_start : date.text_end] == "12/25/2024"
    samples = [m.sample for m in response.words]
    assert samples == sorted(samples)
    heard = transcribe(decode(response.audio_data or b""))
    assert len(words_heard(heard, {"december", "fifth", "twenty", "thirty"})) >= 2, heard


def test_subtitles_list_every_token_once_in_order(tmp_path: Path) -> None:
    audio, srt = tmp_path / "out.wav", tmp_path / "out.srt"
    result = run_cli("generate", SENTENCE, "-o", str(audio), "--subtitles", str(srt))
    assert result.returncode == 0, result.stderr
    cues = re.split(r"\n\n+", srt.read_text().strip())
    text = " ".join(" ".join(cue.splitlines()[2:]) for cue in cues)
    assert text.split() == TOKENS
    ends = re.findall(r"--> (\d+):(\d+):(\d+),(\d+)", srt.read_text())
    h, m, s, ms = map(int, ends[-1])
    assert abs(h * 3600 + m * 60 + s + ms / 1000 - decode(audio).duration) <= 0.25


@pytest.mark.parametrize("voice", ["af_heart", "joe"])
async def test_neural_voices_read_the_normalized_text(
    neural: Path, voice: str, transcribe: Transcriber
) -> None:
    async with TTSAgent(TTSConfig(models_dir=neural)) as agent:
        response = await agent.generate_speech(SENTENCE, voice=voice, format="wav")
    assert response.metadata["engine"] in ("kokoro", "piper")
    check_marks(response, SENTENCE)
    heard = transcribe(decode(response.audio_data or b""))
    assert len(words_heard(heard, {"doctor", "thousand", "hundred", "dollars", "march"})) >= 2, (
        heard
    )


def test_cli_normalize_switch(tmp_path: Path) -> None:
    durations = {}
    for mode in ("on", "off"):
        out = tmp_path / f"{mode}.wav"
        result = run_cli("generate", "Due 3/4/2024", "-o", str(out), "--normalize", mode)
        assert result.returncode == 0, result.stderr
        durations[mode] = decode(out).duration
    # on: "March fourth, twenty twenty-four"; off: espeak-ng's "three slash four slash ..."
    assert abs(durations["on"] - durations["off"]) > 0.2, durations
    bad = run_cli("generate", "hi", "-o", str(tmp_path / "x.wav"), "--normalize", "maybe")
    assert bad.returncode == 2
    assert bad.stderr.decode().strip().splitlines() == [
        "tts-agents: error: normalize: must be one of auto, on, off, not 'maybe'"
    ]
