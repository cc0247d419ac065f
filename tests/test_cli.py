"""The real CLI: listings, stdin and stdout, the file command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import SENTENCE, Transcriber, decode, run_cli


def test_voices_json_lists_openai_names_and_espeak_voices() -> None:
    result = run_cli("voices", "--json")
    assert result.returncode == 0, result.stderr
    voices = json.loads(result.stdout)
    ids = [v["id"] for v in voices]
    assert ids[:3] == ["alloy", "ash", "ballad"] and "en-us" in ids and len(ids) > 140


def test_voices_filter_by_language() -> None:
    voices = json.loads(run_cli("voices", "--language", "de", "--json").stdout)
    assert voices and all(any(lang.startswith("de") for lang in v["languages"]) for v in voices)


def test_models_and_formats_list() -> None:
    assert b"tts-1-hd" in run_cli("models").stdout
    out = run_cli("formats").stdout
    for name in (b"mp3", b"opus", b"aac", b"flac", b"wav", b"pcm"):
        assert name in out


def test_stdin_to_stdout(transcribe: Transcriber) -> None:
    result = run_cli("generate", "-", "-o", "-", "--format", "wav", stdin=SENTENCE.encode())
    assert result.returncode == 0, result.stderr
    assert "forecast" in transcribe(decode(result.stdout))


def test_file_command_streams_a_long_file(tmp_path: Path) -> None:
    text = ("This is a long paragraph that goes on. " * 200).strip()  # > 4096 characters
    src = tmp_path / "in.txt"
    src.write_text(text, encoding="utf-8")
    result = run_cli("file", str(src), "-o", str(tmp_path / "out.ogg"))
    assert result.returncode == 0, result.stderr
    audio = decode(tmp_path / "out.ogg")
    assert audio.codec == "opus" and audio.duration > 200
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_language_and_voice_options(tmp_path: Path) -> None:
    out = tmp_path / "fr.flac"
    result = run_cli(
        "generate",
        "Bonjour tout le monde",
        "-o",
        str(out),
        "--language",
        "fr",
        "--voice",
        "nova",
        "--speed",
        "1.2",
        "--sample-rate",
        "16000",
    )
    assert result.returncode == 0, result.stderr
    audio = decode(out)
    assert audio.sample_rate == 16000 and audio.duration > 0.5
