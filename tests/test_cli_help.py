"""The real CLI's help, version and global flags: readable, on every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tts_agents import __version__
from tts_agents.audio.formats import FORMATS

COMMANDS = ["generate", "file", "batch", "voices", "formats", "serve", "transcribe", "models"]


def test_no_arguments_prints_the_usual_multiline_help() -> None:
    result = run_cli()
    assert result.returncode in (0, 2)
    shown = (result.stdout + result.stderr).decode()
    assert shown.startswith("Usage: tts-agents [OPTIONS] COMMAND"), shown
    assert "error" not in shown and shown.count("\n") > 10
    assert "\nCommands:\n" in shown and "\n  generate " in shown


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == f"tts-agents {__version__}\n"


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_dash_h_is_help_on_every_command(command: str | None) -> None:
    args = [command] if command else []
    short, long = run_cli(*args, "-h"), run_cli(*args, "--help")
    assert short.returncode == 0, short.stderr
    assert short.stdout == long.stdout and short.stdout.startswith(b"Usage: ")
    assert b"-h, --help" in short.stdout


def test_verbose_is_accepted_after_the_command(tmp_path: Path) -> None:
    out = tmp_path / "x.wav"
    result = run_cli("generate", "Hello.", "-o", str(out), "--engine", "espeak", "--verbose")
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 44
    failed = run_cli("generate", "", "-o", str(out), "--verbose")
    assert failed.returncode == 2 and b"Traceback" in failed.stderr  # still verbose


def test_format_help_lists_every_format() -> None:
    lines = run_cli("generate", "--help").stdout.decode().splitlines()
    start = next(i for i, line in enumerate(lines) if "--format" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("-"))
    listed = " ".join(lines[start:end])
    for name in FORMATS:
        assert name in listed, (name, listed)


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("generate", "generate [OPTIONS] TEXT\n"),
        ("file", "file [OPTIONS] INPUT\n"),
        ("batch", "batch [OPTIONS] [TEXTS]...\n"),
        ("transcribe", "transcribe [OPTIONS] INPUT\n"),
        ("models pull", "pull [OPTIONS] NAMES...\n"),
    ],
)
def test_help_shows_readable_metavars(command: str, usage: str) -> None:
    shown = run_cli(*command.split(), "--help").stdout.decode()
    assert usage in shown, shown
    for placeholder in ("{", "<str>", "<int>", "<float>"):
        assert placeholder not in shown, (placeholder, shown)
