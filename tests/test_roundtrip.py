"""Intelligibility: synthesize, decode, transcribe with pocketsphinx, find the key words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SENTENCE, Transcriber, decode, run_cli
from tts_agents import TTSAgent, Voice

FORMATS = ["mp3", "opus", "aac", "flac", "wav", "pcm"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_output_in_every_format_is_understood(
    fmt: str, tmp_path: Path, transcribe: Transcriber
) -> None:
    out = tmp_path / f"out.{fmt}"
    result = run_cli("generate", SENTENCE, "-o", str(out))
    assert result.returncode == 0, result.stderr
    audio = decode(out, pcm_rate=22050 if fmt == "pcm" else None)
    words = transcribe(audio)  # a transcript string: "forecasts" still contains "forecast"
    assert "weather" in words and "forecast" in words, words


async def test_openai_voice_names_are_distinct_voices() -> None:
    async with TTSAgent() as agent:
        outputs = {
            voice: (
                await agent.generate_speech("Hello there.", voice=voice, format="pcm")
            ).audio_data
            for voice in Voice
        }
    assert len(set(outputs.values())) == len(Voice)


@pytest.mark.parametrize("voice", ["echo", "onyx", "coral", "sage"])
async def test_other_voices_are_understood_too(voice: str, transcribe: Transcriber) -> None:
    async with TTSAgent() as agent:
        response = await agent.generate_speech(SENTENCE, voice=voice, format="wav")
    words = transcribe(decode(response.audio_data or b""))
    assert "weather" in words and "forecast" in words, (voice, words)


@pytest.mark.parametrize(("speed", "ratio"), [(0.6, 1.67), (1.4, 0.71)])
async def test_speech_at_other_speeds_is_still_understood(
    speed: float, ratio: float, transcribe: Transcriber
) -> None:
    async with TTSAgent() as agent:
        normal = await agent.generate_speech(SENTENCE, format="wav")
        changed = await agent.generate_speech(SENTENCE, format="wav", speed=speed)
    assert abs((changed.duration or 0) / (normal.duration or 1) - ratio) < 0.2 * ratio
    words = transcribe(decode(changed.audio_data or b""))
    assert "weather" in words and "forecast" in words, words


async def test_speeds_beyond_the_engine_range_are_time_stretched() -> None:
    """espeak-ng does 0.46x-2.57x itself; atempo covers the rest of 0.25-4.0."""
    async with TTSAgent() as agent:
        durations = {
            speed: (await agent.generate_speech(SENTENCE, format="pcm", speed=speed)).duration or 0
            for speed in (0.25, 0.4, 1.0, 2.5, 4.0)
        }
    assert durations[0.25] > durations[0.4] > durations[1.0] > durations[2.5] > durations[4.0]
    assert 3.0 < durations[0.25] / durations[1.0] < 5.0
    assert 3.0 < durations[1.0] / durations[4.0] < 5.5
