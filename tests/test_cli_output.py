"""The real CLI's output files: MP4 for ``.m4a``, format and rate checked against the file."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from tests.conftest import SENTENCE, decode, run_cli
from tts_agents.audio.formats import FORMATS

ESPEAK = ("--engine", "espeak")


def _error_line(result: object) -> str:
    """The one line the CLI printed on stderr (and only one)."""
    stderr = result.stderr.decode()  # type: ignore[attr-defined]
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    return stderr.strip()


@pytest.mark.parametrize("format_args", [(), ("-f", "aac")], ids=["extension", "explicit"])
def test_m4a_file_is_aac_in_an_mp4_container(tmp_path: Path, format_args: tuple[str, ...]) -> None:
    out, reference = tmp_path / "x.m4a", tmp_path / "x.wav"
    result = run_cli("generate", SENTENCE, "-o", str(out), *ESPEAK, *format_args)
    assert result.returncode == 0, result.stderr
    assert run_cli("generate", SENTENCE, "-o", str(reference), *ESPEAK).returncode == 0
    assert out.read_bytes()[4:8] == b"ftyp"  # an ISO BMFF box, not an ADTS frame
    with av.open(str(out)) as container:
        assert "mp4" in container.format.name.split(",")
        assert container.streams.audio[0].codec_context.name == "aac"
    audio, expected = decode(out), decode(reference)
    assert audio.sample_rate == 22050
    assert abs(audio.duration - expected.duration) < 0.13, (audio.duration, expected.duration)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_aac_on_stdout_stays_adts() -> None:
    result = run_cli("generate", "Hello there.", "-o", "-", "-f", "aac", *ESPEAK)
    assert result.returncode == 0, result.stderr
    assert result.stdout[0] == 0xFF and result.stdout[1] & 0xF0 == 0xF0  # ADTS sync word


def test_format_contradicting_the_extension_exits_2_naming_both(tmp_path: Path) -> None:
    out = tmp_path / "e.mp3"
    result = run_cli("generate", "Hello.", "-f", "wav", "-o", str(out), *ESPEAK)
    assert result.returncode == 2
    line = _error_line(result)
    assert "'wav'" in line and "e.mp3" in line, line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("fmt", "rate", "allowed"),
    [
        ("wav", "0", "8000 to 192000"),
        ("wav", "1000000", "8000 to 192000"),
        ("flac", "7999", "8000 to 192000"),
        ("pcm", "-16000", "8000 to 192000"),
        ("mp3", "12345", "44100, 48000"),
        ("ulaw", "16000", "use 8000"),
    ],
)
def test_sample_rate_is_checked_per_format(
    tmp_path: Path, fmt: str, rate: str, allowed: str
) -> None:
    out = tmp_path / f"x.{FORMATS[fmt].extension}"
    result = run_cli("generate", "Hello.", "-o", str(out), "--sample-rate", rate, *ESPEAK)
    assert result.returncode == 2, result.stderr
    line = _error_line(result)
    assert f"{rate} Hz" in line and fmt in line and allowed in line, line
    assert list(tmp_path.iterdir()) == []
