"""Streaming: early first bytes in every format, timestamps mapped to the input, SSML."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SENTENCE, Transcriber, decode, run_cli
from tts_agents import TTSAgent
from tts_agents.streaming import StreamingTTS
from tts_agents.text.subtitles import parse_srt, parse_vtt

LONG = " ".join(f"Sentence number {i} talks about the weather and the sea." for i in range(60))


@pytest.mark.parametrize("fmt", ["mp3", "opus", "aac", "flac", "wav", "pcm"])
async def test_first_bytes_leave_before_later_sentences_are_synthesized(fmt: str) -> None:
    async with TTSAgent() as agent:
        stream = agent.prepare(LONG, format=fmt, max_length=-1)
        chunks = stream.encoded()
        first = await anext(chunks)
        synthesized_at_first = stream.samples
        rest = [chunk async for chunk in chunks]
    assert first and rest
    assert synthesized_at_first < 0.1 * stream.samples, (synthesized_at_first, stream.samples)
    audio = decode(first + b"".join(rest), pcm_rate=22050 if fmt == "pcm" else None)
    assert abs(audio.duration - stream.duration) < 0.15


async def test_streaming_tts_calls_back_with_every_chunk_and_writes_files(tmp_path: Path) -> None:
    seen: list[int] = []
    async with TTSAgent() as agent:
        streamer = StreamingTTS(agent)
        chunks = [
            c
            async for c in streamer.stream_speech(
                LONG, format="opus", chunk_callback=lambda c: seen.append(len(c))
            )
        ]
        path = await streamer.stream_speech_to_file(LONG, tmp_path / "long.flac")
    assert seen == [len(c) for c in chunks] and len(chunks) > 3
    assert decode(path).duration > 100


async def test_word_marks_point_back_into_the_original_text() -> None:
    text = "  Héllo,   wörld!\n\nThe  year 1984 was   long ago. Ça va? "
    async with TTSAgent() as agent:
        response = await agent.generate_speech(text, format="pcm")
    spans = [(m.text_start, m.text_end) for m in response.words]
    assert [text[a:b] for a, b in spans][:3] == ["Héllo,", "wörld!", "The"]
    assert spans == sorted(spans)
    assert [m.sample for m in response.words] == sorted(m.sample for m in response.words)
    alignment = response.alignment
    assert alignment is not None
    assert len(alignment.characters) == len(alignment.character_start_times) == len(text)
    assert alignment.character_start_times == sorted(alignment.character_start_times)
    assert alignment.words[-1].end <= (response.duration or 0) + 1e-6


async def test_ssml_timestamps_point_into_the_ssml_source(transcribe: Transcriber) -> None:
    ssml = (
        "<speak>Please tell me the <emphasis>weather</emphasis> forecast &amp; more."
        '<break time="700ms"/><prosody rate="slow">For tomorrow in London.</prosody></speak>'
    )
    async with TTSAgent() as agent:
        response = await agent.generate_speech(ssml, format="wav")
        plain = await agent.generate_speech(
            "Please tell me the weather forecast & more. For tomorrow in London.", format="wav"
        )
    words = [ssml[m.text_start : m.text_end] for m in response.words]
    assert words[:8] == ["Please", "tell", "me", "the", "weather", "forecast", "&amp;", "more."]
    assert [m.word for m in response.words][6:8] == ["&", "more."]  # as written, decoded
    assert "<" not in "".join(words)
    assert (response.duration or 0) > (plain.duration or 0) + 0.5  # the break and slow prosody
    assert "forecast" in transcribe(decode(response.audio_data or b""))


def test_generate_subtitles_cover_every_word_in_order(tmp_path: Path) -> None:
    text = (
        "Please tell me the weather forecast for tomorrow in London. It may rain, or it may not! "
        * 3
    )
    audio, srt = tmp_path / "out.mp3", tmp_path / "out.srt"
    result = run_cli("generate", text, "-o", str(audio), "--subtitles", str(srt))
    assert result.returncode == 0, result.stderr
    cues = parse_srt(srt.read_text(encoding="utf-8"))
    times = [t for cue in cues for t in (cue.start, cue.end)]
    assert times == sorted(times) and all(c.end > c.start for c in cues)
    assert " ".join(c.text for c in cues).split() == text.split()
    duration = decode(audio).duration
    assert abs(cues[-1].end - duration) <= 0.25, (cues[-1].end, duration)


def test_file_subtitles_as_vtt_and_bad_subtitle_path(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("One small step. " * 50, encoding="utf-8")
    result = run_cli(
        "file", str(src), "-o", str(tmp_path / "a.wav"), "--subtitles", str(tmp_path / "a.vtt")
    )
    assert result.returncode == 0, result.stderr
    cues = parse_vtt((tmp_path / "a.vtt").read_text(encoding="utf-8"))
    assert len(cues) >= 25
    bad = run_cli(
        "generate", SENTENCE, "-o", str(tmp_path / "b.wav"), "--subtitles", str(tmp_path / "b.txt")
    )
    assert bad.returncode == 2 and b"subtitles" in bad.stderr
    assert not (tmp_path / "b.wav").exists()


def test_malformed_ssml_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(
        "generate", "<speak>Hello <blink>there</blink></speak>", "-o", str(tmp_path / "x.wav")
    )
    assert result.returncode == 2
    assert b"ssml: unknown tag <blink> at line 1, column" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_mid_sentence_prosody_change_stays_one_phrase_for_markup_engines() -> None:
    from tts_agents.text.ssml_segments import ssml_segments

    ssml = "<speak>Say <emphasis>this</emphasis> &amp; that. <break/>Then more.</speak>"
    marked = ssml_segments(ssml, markup=True)
    assert [s.markup for s in marked] == [True, False]
    first = marked[0]
    assert first.text.startswith("<speak><prosody") and "&amp;" in first.text
    tokens = first.spoken_tokens()  # words inside the markup map back to the source
    assert [ssml[t.source_start : t.source_end] for t in tokens] == [
        "Say",
        "this",
        "&amp;",
        "that.",
    ]
    assert [first.text[t.begin : t.end] for t in tokens] == ["Say", "this", "&amp;", "that."]
    plain = ssml_segments(ssml, markup=False)
    assert [s.text for s in plain] == ["Say ", "this ", "& that.", "Then more."]
