"""The bad-input table, through the library and the real CLI: a named error, no file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tts_agents import (
    EngineNotFoundError,
    TTSAgent,
    TTSConfig,
    TTSConfigError,
    TTSRequest,
    TTSValidationError,
    UnsupportedFormatError,
    VoiceNotFoundError,
)

# (case id, library kwargs, expected error type, message fragment)
LIBRARY_CASES = [
    ("empty", {"text": ""}, TTSValidationError, "text: is empty"),
    ("whitespace", {"text": " \t\n "}, TTSValidationError, "text: is empty or only whitespace"),
    ("too long", {"text": "a" * 4097}, TTSValidationError, "over the limit of 4096"),
    ("invalid utf-8", {"text": b"ab\xffcd"}, TTSValidationError, "text: invalid UTF-8 at byte 2"),
    ("lone surrogate", {"text": "ab\ud800"}, TTSValidationError, "lone surrogate U+D800"),
    ("nul", {"text": "a\x00b"}, TTSValidationError, "control character U+0000 at position 1"),
    ("control", {"text": "a\x1bb"}, TTSValidationError, "control character U+001B"),
    ("speed high", {"speed": 4.5}, TTSValidationError, "speed: 4.5 is outside 0.25 to 4.0"),
    ("speed low", {"speed": 0.1}, TTSValidationError, "speed: 0.1 is outside 0.25 to 4.0"),
    ("speed nan", {"speed": math.nan}, TTSValidationError, "speed: nan is outside"),
    ("speed inf", {"speed": math.inf}, TTSValidationError, "speed: inf is outside"),
    ("voice", {"voice": "nobody"}, VoiceNotFoundError, "voice: unknown voice 'nobody'"),
    ("variant", {"voice": "en-us+nobody"}, VoiceNotFoundError, "voice: unknown voice"),
    ("format", {"format": "ogg-vorbis"}, UnsupportedFormatError, "format: unknown format"),
    ("language", {"language": "xx-klingon"}, TTSValidationError, "language: unknown language"),
    ("pitch", {"pitch": 3.0}, TTSValidationError, "pitch: 3.0 is outside 0.0 to 2.0"),
    ("volume", {"volume": -1}, TTSValidationError, "volume: -1 is outside 0.0 to 2.0"),
]


@pytest.mark.parametrize(
    ("case", "kwargs", "error", "fragment"), LIBRARY_CASES, ids=[c[0] for c in LIBRARY_CASES]
)
async def test_library_rejects_bad_input(
    case: str, kwargs: dict[str, object], error: type, fragment: str, tmp_path: Path
) -> None:
    request = {"text": "Hello there.", **kwargs}
    async with TTSAgent() as agent:
        with pytest.raises(error) as info:
            await agent.generate_speech(output_path=tmp_path / "out.mp3", **request)  # type: ignore[arg-type]
    assert fragment in str(info.value)
    assert list(tmp_path.iterdir()) == []


async def test_length_limit_is_configurable_and_lifted_for_files(tmp_path: Path) -> None:
    async with TTSAgent(TTSConfig(max_text_length=10)) as agent:
        with pytest.raises(TTSValidationError, match="over the limit of 10"):
            await agent.generate_speech("eleven chars")
        response = await agent.synthesize_to_file("eleven chars", tmp_path / "a.wav")
    assert response.duration and response.duration > 0.3


async def test_security_checks_can_be_turned_off() -> None:
    async with TTSAgent(TTSConfig(enable_security_checks=False, max_text_length=5)) as agent:
        response = await agent.generate_speech("tab\x07 and bell, long", format="pcm")
    assert response.success
    async with TTSAgent(TTSConfig(enable_security_checks=False)) as agent:
        with pytest.raises(TTSValidationError, match="empty"):
            await agent.generate_speech("   ")


def test_unknown_engine_and_bad_config_are_named() -> None:
    with pytest.raises(
        EngineNotFoundError, match="engine: unknown engine 'nope'; available: .*espeak"
    ):
        TTSAgent(TTSConfig(engine="nope")).engine  # noqa: B018
    with pytest.raises(TTSConfigError, match="timeout"):
        TTSConfig(timeout=-1)
    with pytest.raises(TTSConfigError, match="default_speed"):
        TTSConfig(default_speed=9)


def test_request_model_rejects_bad_speed() -> None:
    with pytest.raises(TTSValidationError, match="speed"):
        TTSRequest(text="hi", speed=7)


# (case id, extra CLI args, stdin, message fragment)
CLI_CASES = [
    ("empty", ["generate", ""], None, "text: is empty"),
    ("whitespace", ["generate", "   "], None, "text: is empty"),
    ("too long", ["generate", "a" * 4097], None, "over the limit of 4096"),
    ("invalid utf-8 stdin", ["generate", "-"], b"ab\xffcd", "text: invalid UTF-8 at byte 2"),
    ("invalid utf-8 file", ["file", "BADFILE"], None, "input: invalid UTF-8 at byte 2"),
    ("nul stdin", ["generate", "-"], b"a\x00b", "control character U+0000"),
    ("control", ["generate", "a\x07b"], None, "control character U+0007"),
    ("speed", ["generate", "hi", "--speed", "5"], None, "speed: 5.0 is outside 0.25 to 4.0"),
    ("speed nan", ["generate", "hi", "--speed", "nan"], None, "speed: nan is outside"),
    ("speed text", ["generate", "hi", "--speed", "fast"], None, "Invalid value for '--speed'"),
    ("voice", ["generate", "hi", "--voice", "nobody"], None, "voice: unknown voice"),
    ("format", ["generate", "hi", "--format", "wma"], None, "format: unknown format 'wma'"),
    ("extension", ["generate", "hi", "-o", "OUTDIR/out.xyz"], None, "cannot tell the format"),
    ("engine", ["generate", "hi", "--engine", "nope"], None, "engine: unknown engine"),
    ("language", ["generate", "hi", "--language", "qq"], None, "language: unknown language"),
    ("missing text", ["generate"], None, "Missing argument"),
    ("missing file", ["file", "/nonexistent/in.txt"], None, "input: '/nonexistent/in.txt' is not"),
    ("unknown command", ["speak", "hi"], None, "No such command"),
    ("output is a dir", ["generate", "hi", "-o", "OUTDIR/"], None, "is a directory"),
]


@pytest.mark.parametrize(
    ("case", "args", "stdin", "fragment"), CLI_CASES, ids=[c[0] for c in CLI_CASES]
)
def test_cli_rejects_bad_input_with_exit_2_and_one_line(
    case: str, args: list[str], stdin: bytes | None, fragment: str, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ab\xffcd")
    argv = [a.replace("BADFILE", str(bad)).replace("OUTDIR", str(out_dir)) for a in args]
    if "-o" not in argv and argv[0] in ("generate", "file") and len(argv) > 1:
        argv += ["-o", str(out_dir / "out.mp3")]
    result = run_cli(*argv, stdin=stdin, cwd=tmp_path)
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("tts-agents: error: "), stderr
    assert fragment in stderr
    assert "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []
    assert result.stdout == b""


def test_cli_lone_surrogate_from_argv_bytes(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    out = tmp_path / "o.wav"
    result = subprocess.run(  # noqa: S603
        [
            os.fsencode(sys.executable),
            b"-m",
            b"tts_agents",
            b"generate",
            b"ab\xffcd",
            b"-o",
            os.fsencode(out),
        ],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert b"lone surrogate U+DCFF at position 2" in result.stderr
    assert not out.exists()


def test_write_failure_exits_1_with_one_line_and_no_file(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("x")
    result = run_cli("generate", "hello", "-o", str(not_a_dir / "x.wav"))
    stderr = result.stderr.decode()
    assert result.returncode == 1 and stderr.count("\n") == 1, stderr
    assert (
        "write x.wav failed: its parent is not a directory" in stderr and "Traceback" not in stderr
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain-file"]


def test_verbose_shows_the_traceback() -> None:
    result = run_cli("--verbose", "generate", "", "-o", "/tmp/never.wav")
    assert result.returncode == 2
    assert b"Traceback" in result.stderr


def test_control_character_check_matches_unicode_category_cc() -> None:
    import unicodedata

    from tts_agents.text.validation import _CONTROL

    for code in range(0x110000):
        char = chr(code)
        expected = unicodedata.category(char) == "Cc" and char not in "\t\n\r"
        assert (_CONTROL.fullmatch(char) is not None) == expected, hex(code)
