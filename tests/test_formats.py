"""Every output format, decoded back with PyAV: codec, sample rate and duration."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import pytest

from tests.conftest import SENTENCE, decode
from tts_agents import AudioFormat, TTSAgent, TTSValidationError
from tts_agents.audio.encode import STREAMING_SIZE
from tts_agents.audio.formats import M4A, choose_format, get_format

CODECS = {"mp3": "mp3", "opus": "opus", "aac": "aac", "flac": "flac", "wav": "pcm_s16le"}
# Lossy codecs add encoder delay and padding (whole frames); allow for it.
DURATION_SLACK = {"mp3": 0.12, "aac": 0.12, "opus": 0.08, "flac": 0.001, "wav": 0.001}


@pytest.fixture(scope="module")
def reference_pcm() -> tuple[bytes, float]:
    import asyncio

    async def make() -> tuple[bytes, float]:
        async with TTSAgent() as agent:
            response = await agent.generate_speech(SENTENCE, format="pcm")
            return response.audio_data or b"", response.duration or 0.0

    return asyncio.run(make())


@pytest.mark.parametrize("fmt", list(CODECS))
async def test_each_format_decodes_with_right_rate_and_duration(
    fmt: str, tmp_path: Path, reference_pcm: tuple[bytes, float]
) -> None:
    async with TTSAgent() as agent:
        response = await agent.generate_speech(SENTENCE, format=fmt, output_path=tmp_path / "x")
    assert response.success and response.file_path == tmp_path / f"x.{fmt}"
    assert response.file_size == response.file_path.stat().st_size > 0
    audio = decode(response.file_path)
    assert audio.codec == CODECS[fmt]
    assert audio.sample_rate == response.sample_rate == (48000 if fmt == "opus" else 22050)
    expected = reference_pcm[1]
    assert abs(audio.duration - expected) <= DURATION_SLACK[fmt] + 0.01, (
        audio.duration,
        expected,
    )
    assert abs(response.duration - expected) < 0.05


async def test_pcm_is_raw_s16le_at_the_reported_rate(reference_pcm: tuple[bytes, float]) -> None:
    data, duration = reference_pcm
    audio = decode(data, pcm_rate=22050)
    assert abs(audio.duration - duration) < 1e-6
    assert audio.samples.std() > 500  # speech, not silence


async def test_wav_file_header_has_exact_sizes(tmp_path: Path) -> None:
    async with TTSAgent() as agent:
        response = await agent.generate_speech(SENTENCE, output_path=tmp_path / "a.wav")
    raw = (tmp_path / "a.wav").read_bytes()
    with wave.open(str(tmp_path / "a.wav")) as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        assert wav.getframerate() == 22050
        assert wav.getnframes() * 2 == len(raw) - 44
        assert abs(wav.getnframes() / 22050 - (response.duration or 0)) < 1e-6
    assert struct.unpack("<I", raw[4:8])[0] == len(raw) - 8


async def test_streamed_wav_uses_unknown_length_header_and_still_decodes() -> None:
    async with TTSAgent() as agent:
        chunks = [c async for c in agent.stream(SENTENCE, format=AudioFormat.WAV)]
    data = b"".join(chunks)
    assert struct.unpack("<I", data[40:44])[0] == STREAMING_SIZE
    audio = decode(data)
    assert audio.sample_rate == 22050 and audio.duration > 2.0


@pytest.mark.parametrize(
    ("fmt", "rate"),
    [
        ("wav", 16000),
        ("mp3", 44100),
        ("opus", 24000),
        ("flac", 48000),
        ("aac", 16000),
        ("pcm", 8000),
    ],
)
async def test_selectable_sample_rate_resamples(fmt: str, rate: int) -> None:
    async with TTSAgent() as agent:
        response = await agent.generate_speech(SENTENCE, format=fmt, sample_rate=rate)
    data = response.audio_data or b""
    audio = decode(data, pcm_rate=rate if fmt == "pcm" else None)
    expected_rate = 48000 if fmt == "opus" else rate  # Ogg Opus always decodes at 48 kHz
    assert audio.sample_rate == expected_rate
    assert abs(audio.duration - (response.duration or 0)) < 0.15


async def test_sample_rate_a_codec_cannot_do_is_refused() -> None:
    async with TTSAgent() as agent:
        with pytest.raises(
            TTSValidationError, match="sample_rate: 44100 Hz is not possible for opus"
        ):
            agent.prepare(SENTENCE, format="opus", sample_rate=44100)


@pytest.mark.parametrize(("fmt", "container"), [("ulaw", "mulaw"), ("alaw", "alaw")])
async def test_g711_telephony_formats(
    fmt: str, container: str, tmp_path: Path, reference_pcm: tuple[bytes, float]
) -> None:
    async with TTSAgent() as agent:
        response = await agent.generate_speech(SENTENCE, format=fmt, output_path=tmp_path / "x")
    assert response.format == AudioFormat(fmt) and response.sample_rate == 8000
    assert response.file_path == tmp_path / f"x.{fmt}"
    data = response.file_path.read_bytes()
    assert abs(len(data) / 8000 - reference_pcm[1]) < 0.05  # one byte per sample
    import av

    with av.open(str(response.file_path), format=container, options={"sample_rate": "8000"}) as f:
        frames = list(f.decode(audio=0))
    assert sum(frame.samples for frame in frames) == len(data)


@pytest.mark.parametrize(("fmt", "rate"), [("wav", 0), ("wav", 1_000_000), ("flac", 7999)])
def test_formats_taking_any_rate_still_want_a_sane_one(fmt: str, rate: int) -> None:
    with pytest.raises(TTSValidationError, match=rf"{rate} Hz .* {fmt} \(use 8000 to 192000\)"):
        get_format(fmt).output_rate(rate, 22050)
    assert get_format(fmt).output_rate(192_000, 22050) == 192_000


async def test_m4a_output_path_is_aac_in_mp4(
    tmp_path: Path, reference_pcm: tuple[bytes, float]
) -> None:
    async with TTSAgent() as agent:
        response = await agent.generate_speech(SENTENCE, output_path=tmp_path / "x.m4a")
    assert response.format == AudioFormat.AAC and response.file_path == tmp_path / "x.m4a"
    import av

    with av.open(str(response.file_path)) as container:
        assert "mp4" in container.format.name.split(",")
    audio = decode(response.file_path)
    assert audio.codec == "aac" and audio.sample_rate == 22050
    assert abs(audio.duration - reference_pcm[1]) <= DURATION_SLACK["aac"] + 0.01


@pytest.mark.parametrize(
    ("requested", "path", "chosen"),
    [
        (None, "a.m4a", M4A),
        ("aac", "a.m4a", M4A),
        ("aac", "-", get_format("aac")),  # streams keep ADTS
        ("opus", "a.ogg", get_format("opus")),
        (None, "noext", get_format("mp3")),
    ],
)
def test_choose_format(requested: str | None, path: str, chosen: object) -> None:
    assert choose_format(requested, path, "mp3") == chosen


def test_a_format_the_file_name_contradicts_is_refused() -> None:
    with pytest.raises(TTSValidationError, match="'wav' contradicts the file name 'e.mp3'"):
        choose_format("wav", "out/e.mp3", "mp3")
