"""Kokoro-82M on the real int8 model: every English voice, blends, languages, timings, errors."""

from __future__ import annotations

import asyncio
import re
import time
from contextlib import aclosing
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import Decoded, Transcriber, decode, run_cli, words_heard
from tts_agents import TTSAgent, TTSConfig
from tts_agents.engines import SynthesisOptions, create_engine
from tts_agents.engines.kokoro.voices import VOICE_IDS
from tts_agents.errors import TTSValidationError, VoiceNotFoundError

SENTENCE = "Please tell me the weather forecast for tomorrow in London."
KEY_WORDS = {"please", "tell", "weather", "forecast", "tomorrow", "london"}
ENGLISH = [voice for voice in VOICE_IDS if voice[0] in "ab"]
# Held out: never used to tune anything (the phoneme mapping, the trimming, the pieces).
HELD_OUT = (
    "The library opens at nine in the morning on weekdays.",
    "Please send the report to my office before lunch.",
    "The train to the city leaves from the second platform.",
    "My sister bought a new car last week.",
    "We need more water and bread for the trip.",
    "The children played in the garden until it was dark.",
    "Can you call me back when you get home?",
    "The meeting has been moved to next Thursday afternoon.",
    "He forgot his keys on the kitchen table again.",
    "It is going to be cold and windy tonight.",
)


@pytest.fixture
def agent(neural: Path) -> TTSAgent:
    return TTSAgent(TTSConfig(models_dir=neural))


def heard(response_audio: bytes, rate: int, transcribe: Transcriber) -> str:
    return transcribe(Decoded(np.frombuffer(response_audio, "<i2"), rate, "pcm"))


@pytest.mark.slow
async def test_every_english_voice_speaks(agent: TTSAgent, transcribe: Transcriber) -> None:
    failures = {}
    for voice in ENGLISH:
        response = await agent.generate_speech(SENTENCE, voice=voice, format="pcm")
        assert response.metadata["engine"] == "kokoro" and response.sample_rate == 24000
        text = heard(response.audio_data or b"", 24000, transcribe)
        if len(words_heard(text, KEY_WORDS)) < 3:  # a US recognizer, British voices too
            failures[voice] = text
    assert not failures, failures


def word_error_rate(reference: str, hypothesis: str) -> tuple[int, int]:
    ref = re.sub(r"[^a-z' ]", " ", reference.lower()).split()
    hyp = hypothesis.split()
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        diagonal, row[0] = row[0], i
        for j, guess in enumerate(hyp, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (word != guess))
    return row[-1], len(ref)


async def test_held_out_sentences_round_trip_with_a_low_word_error_rate(
    agent: TTSAgent, transcribe: Transcriber
) -> None:
    errors = words = 0
    for sentence in HELD_OUT:
        response = await agent.generate_speech(sentence, format="pcm")  # alloy: af_heart
        wrong, count = word_error_rate(
            sentence, heard(response.audio_data or b"", 24000, transcribe)
        )
        errors, words = errors + wrong, words + count
    assert errors / words <= 0.12, f"WER {errors / words:.1%} (espeak-ng: over 30%)"


async def test_word_marks_come_from_the_model_durations(agent: TTSAgent, tmp_path: Path) -> None:
    text = "In the end, Dr. Smith paid $12 at 3:30 p.m. and left!"
    response = await agent.generate_speech(text, format="wav", output_path=tmp_path / "marks.wav")
    spans = [(m.text_start, m.text_end) for m in response.words]
    assert [text[a:b] for a, b in spans] == text.split()  # one mark a word, in order
    samples = [m.sample for m in response.words]
    assert samples == sorted(samples) and len(set(samples)) > len(samples) - 3
    duration = response.duration or 0
    assert 0 < samples[0] / 24000 < 0.3 and samples[-1] / 24000 < duration - 0.2
    gaps = np.diff(samples) / 24000
    assert gaps.max() < 1.5  # no word waits seconds for the next: timings follow the audio

    srt = tmp_path / "out.srt"
    result = await agent.synthesize_to_file(SENTENCE, tmp_path / "out.mp3", subtitles=srt)
    cues = srt.read_text().split("\n\n")
    assert "Please tell me" in cues[0] and result.duration and result.duration > 2


async def test_blends_mix_voice_packs(agent: TTSAgent, transcribe: Transcriber) -> None:
    plain = await agent.generate_speech(SENTENCE, voice="af_heart", format="pcm")
    mixed = await agent.generate_speech(SENTENCE, voice="af_heart(2)+am_echo(1)", format="pcm")
    even = await agent.generate_speech(SENTENCE, voice="af_heart+am_echo", format="pcm")
    assert mixed.metadata["voice"] == "af_heart(0.667)+am_echo(0.333)"
    assert even.metadata["voice"] == "af_heart(0.5)+am_echo(0.5)"
    assert len({plain.audio_data, mixed.audio_data, even.audio_data}) == 3
    assert len(words_heard(heard(mixed.audio_data or b"", 24000, transcribe), KEY_WORDS)) >= 4


@pytest.mark.parametrize(
    ("voice", "language", "text"),
    [
        ("ff_siwis", None, "Bonjour, quel temps fera-t-il demain à Paris?"),
        ("ef_dora", None, "Buenos días, ¿qué tiempo hará mañana?"),
        ("if_sara", None, "Buongiorno, che tempo farà domani?"),
        ("pf_dora", None, "Bom dia, como vai o tempo amanhã?"),
        ("hf_alpha", None, "नमस्ते, आप कैसे हैं?"),
        ("nova", "fr", "Bonjour tout le monde."),
    ],
)
async def test_other_languages_speak(
    agent: TTSAgent, voice: str, language: str | None, text: str
) -> None:
    response = await agent.generate_speech(text, voice=voice, language=language, format="wav")
    audio = decode(response.audio_data or b"")
    assert response.metadata["engine"] == "kokoro" and audio.sample_rate == 24000
    assert audio.duration > 0.8
    assert np.abs(audio.samples.astype(np.int32)).max() > 3000  # speech, not silence
    if voice == "nova":
        assert response.metadata["voice"] == "ff_siwis"  # a native French voice


async def test_speed_is_native_within_range_and_stretched_beyond(agent: TTSAgent) -> None:
    normal = await agent.generate_speech(SENTENCE, format="pcm")
    fast = await agent.generate_speech(SENTENCE, format="pcm", speed=2.0)
    fastest = await agent.generate_speech(SENTENCE, format="pcm", speed=4.0)
    assert normal.duration and fast.duration and fastest.duration
    assert 0.4 < fast.duration / normal.duration < 0.65
    assert 0.18 < fastest.duration / normal.duration < 0.35


async def test_the_first_piece_is_a_few_words(agent: TTSAgent) -> None:
    text = " ".join(HELD_OUT * 3)
    stream = agent.prepare(text, format="pcm", max_length=-1)
    async with aclosing(stream.pcm()) as chunks:
        first = await anext(chunks)
    spoken = [text[m.text_start : m.text_end] for m in first.marks]
    assert 2 <= len(spoken) <= 5 and spoken[0] == "The", spoken
    assert first.duration < 2.5


async def test_cancelling_a_stream_stops_the_model_run(neural: Path) -> None:
    engine = create_engine("kokoro", TTSConfig(models_dir=neural))
    async for _ in engine.synthesize("Warm.", SynthesisOptions(voice="af_heart")):
        pass  # the session is loaded: the times below are model runs only
    text = "The meeting has been moved to next Thursday afternoon, after lunch, in the hall."
    options = SynthesisOptions(voice="af_heart", speed=0.5)  # one long run of the model
    began = time.perf_counter()
    async for _ in engine.synthesize(text, options):
        pass
    whole = time.perf_counter() - began

    async def consume() -> None:
        async for _ in engine.synthesize(text, options):
            pass

    task = asyncio.create_task(consume())
    await asyncio.sleep(whole / 5)
    task.cancel()
    began = time.perf_counter()
    with pytest.raises(asyncio.CancelledError):
        await task
    async for _ in engine.synthesize("Next.", SynthesisOptions(voice="af_heart")):
        pass
    assert time.perf_counter() - began < whole / 2  # the run was stopped, not waited for


async def test_bad_voices_and_languages_are_named_errors(agent: TTSAgent) -> None:
    with pytest.raises(VoiceNotFoundError, match="unknown Kokoro voice 'af_nobody'"):
        agent.prepare("Hi.", voice="af_nobody")
    with pytest.raises(VoiceNotFoundError, match="write a blend as"):
        agent.prepare("Hi.", voice="af_heart(two)+am_echo")
    with pytest.raises(TTSValidationError, match="weight"):
        agent.prepare("Hi.", voice="af_heart(0)+am_echo")
    with pytest.raises(TTSValidationError, match="Kokoro speaks .* not 'de'"):
        agent.prepare("Hallo.", voice="af_heart", language="de")
    with pytest.raises(TTSValidationError, match="Japanese phonemizer"):
        agent.prepare("Hi.", voice="jf_alpha")


def test_cli_errors_are_one_line_exit_2(neural: Path, tmp_path: Path) -> None:
    env = {"TTS_AGENTS_MODELS_DIR": str(neural)}
    out = str(tmp_path / "x.mp3")
    for voice in ("af_nobody", "af_heart(x)", "bf_emma+zz"):
        result = run_cli("generate", "Hi.", "-o", out, "--voice", voice, env=env)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.decode().strip().splitlines()) == 1
    result = run_cli("generate", "Hi.", "-o", out, "--voice", "af_heart", "-l", "de", env=env)
    assert result.returncode == 2 and b"not 'de'" in result.stderr
    result = run_cli("generate", "Hi.", "-o", out, "--engine", "kokoro", "--device", "gpu")
    assert result.returncode == 2 and b"device" in result.stderr
    assert not Path(out).exists()
