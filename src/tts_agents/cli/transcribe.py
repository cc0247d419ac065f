"""``tts-agents transcribe``: speech to text for a recording, offline with Whisper."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tts_agents.config import TTSConfig
from tts_agents.errors import TTSValidationError
from tts_agents.files import atomic_output
from tts_agents.stt.render import RESPONSE_FORMATS, render
from tts_agents.transcribe import transcribe


def transcribe_command(
    input: Annotated[str, typer.Argument(help="An audio file (any common format); '-' is stdin.")],
    model: Annotated[
        str | None, typer.Option(help="Whisper model: base (default) or tiny.en.")
    ] = None,
    language: Annotated[
        str | None, typer.Option("--language", "-l", help="Language code (default: detect).")
    ] = None,
    format: Annotated[
        str,
        typer.Option("--format", "-f", help="text, json, verbose_json, srt or vtt."),
    ] = "text",
    output: Annotated[
        str, typer.Option("--output", "-o", help="Output file; '-' (default) prints.")
    ] = "-",
    prompt: Annotated[
        str | None, typer.Option(help="Words or a sentence to guide spelling and style.")
    ] = None,
    translate: Annotated[bool, typer.Option(help="Translate the speech into English.")] = False,
    device: Annotated[
        str | None, typer.Option(help="auto (CUDA when present), cpu or cuda.")
    ] = None,
) -> None:
    """Write what INPUT says as text, JSON or subtitles."""
    if format not in RESPONSE_FORMATS:
        raise TTSValidationError("format", f"must be one of {', '.join(RESPONSE_FORMATS)}")
    data = sys.stdin.buffer.read() if input == "-" else _read(input)
    config = TTSConfig(**({"device": device} if device else {}))
    result = asyncio.run(
        transcribe(
            data,
            model=model,
            language=language,
            prompt=prompt,
            task="translate" if translate else "transcribe",
            word_timestamps=format == "verbose_json",
            config=config,
        )
    )
    body = render(result, format, ("segment", "word"))
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, indent=2) + "\n"
    if output == "-":
        sys.stdout.write(text)
        return
    with atomic_output(output) as handle:
        handle.write(text.encode())


def _read(name: str) -> bytes:
    path = Path(name)
    if not path.is_file():
        raise TTSValidationError("input", f"{name!r} is not a readable file")
    return path.read_bytes()
