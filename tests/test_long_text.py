"""Long input streams through with flat memory (the 1 MB mp3 case lives in bench/)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import run_cli

PEAK_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_kib(args: list[str]) -> int:
    result = run_cli_raw(
        [sys.executable, "-c", PEAK_RSS, sys.executable, "-m", "tts_agents", *args]
    )
    return int(result)


def run_cli_raw(argv: list[str]) -> str:
    import subprocess

    return subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600).stdout  # noqa: S603


def make_text(path: Path, size: int) -> None:
    sentence = "The old lighthouse keeper counted 1,024 waves, then wrote them down. "
    path.write_text((sentence * (size // len(sentence) + 1))[:size], encoding="utf-8")


def test_file_command_memory_is_flat_in_text_length(tmp_path: Path) -> None:
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    make_text(small, 10_000)
    make_text(large, 200_000)
    small_peak = peak_rss_kib(["file", str(small), "-o", str(tmp_path / "small.pcm")])
    large_peak = peak_rss_kib(["file", str(large), "-o", str(tmp_path / "large.pcm")])
    assert large_peak - small_peak < 15 * 1024, (small_peak, large_peak)
    ratio = (tmp_path / "large.pcm").stat().st_size / (tmp_path / "small.pcm").stat().st_size
    assert 18 < ratio < 22  # all 20x of the text was spoken


def test_stdin_file_input_streams_too(tmp_path: Path) -> None:
    text = ("A short line of text. " * 400).encode()
    result = run_cli("file", "-", "-o", str(tmp_path / "s.pcm"), stdin=text)
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "s.pcm").read_bytes()) > 22050 * 2 * 100
