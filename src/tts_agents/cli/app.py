"""The ``tts-agents`` commands. Errors are turned into exit codes in :mod:`tts_agents.cli`."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from contextlib import aclosing
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tts_agents.audio.formats import FORMATS
from tts_agents.config import TTSConfig
from tts_agents.engines import ENGINES
from tts_agents.errors import TTSValidationError
from tts_agents.speech import TTSAgent
from tts_agents.text.validation import decode_text
from tts_agents.types import TTSModel

app = typer.Typer(
    name="tts-agents",
    help="Offline-first text to speech: espeak-ng in-process, every audio format.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
console = Console()
notices = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
T = TypeVar("T")

OutputOpt = Annotated[
    str, typer.Option("--output", "-o", help="Output file; '-' writes to stdout.")
]
VoiceOpt = Annotated[
    str | None, typer.Option("--voice", "-v", help="OpenAI voice name or engine voice id.")
]
FormatOpt = Annotated[
    str | None,
    typer.Option("--format", "-f", help="mp3, opus, aac, flac, wav or pcm (default: extension)."),
]
SpeedOpt = Annotated[float | None, typer.Option(help="0.25 to 4.0.")]
EngineOpt = Annotated[str | None, typer.Option(help="Engine name (default: espeak).")]
LanguageOpt = Annotated[str | None, typer.Option("--language", "-l", help="Language code.")]
RateOpt = Annotated[int | None, typer.Option("--sample-rate", help="Output sample rate in Hz.")]
PitchOpt = Annotated[float, typer.Option(help="Pitch multiplier, 0 to 2.")]
VolumeOpt = Annotated[float, typer.Option(help="Volume multiplier, 0 to 2.")]
SsmlOpt = Annotated[bool, typer.Option("--ssml", help="Treat the text as SSML.")]
ModelOpt = Annotated[str | None, typer.Option(help="Model name (kept for compatibility).")]


@app.callback()
def _root(
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Show debug logs and tracebacks.")
    ] = False,
) -> None:
    """Offline-first text to speech."""


@app.command()
def generate(
    text: Annotated[str, typer.Argument(help="Text to speak; '-' reads stdin.")],
    output: OutputOpt,
    voice: VoiceOpt = None,
    format: FormatOpt = None,
    speed: SpeedOpt = None,
    engine: EngineOpt = None,
    language: LanguageOpt = None,
    sample_rate: RateOpt = None,
    pitch: PitchOpt = 1.0,
    volume: VolumeOpt = 1.0,
    ssml: SsmlOpt = False,
    model: ModelOpt = None,
) -> None:
    """Speak TEXT into a file (or stdout)."""
    if text == "-":
        text = decode_text(sys.stdin.buffer.read(), "text")
    _run(
        _speak(
            text,
            output,
            engine,
            model,
            voice=voice,
            format=format,
            speed=speed,
            language=language,
            sample_rate=sample_rate,
            pitch=pitch,
            volume=volume,
            ssml=ssml,
            max_length=None,
        )
    )


@app.command("file")
def file_command(
    input: Annotated[str, typer.Argument(help="UTF-8 text file; '-' reads stdin.")],
    output: OutputOpt,
    voice: VoiceOpt = None,
    format: FormatOpt = None,
    speed: SpeedOpt = None,
    engine: EngineOpt = None,
    language: LanguageOpt = None,
    sample_rate: RateOpt = None,
    pitch: PitchOpt = 1.0,
    volume: VolumeOpt = 1.0,
    ssml: SsmlOpt = False,
    model: ModelOpt = None,
) -> None:
    """Speak a whole text file, streamed to the output (no length limit)."""
    text = decode_text(_read_input(input), "input")
    _run(
        _speak(
            text,
            output,
            engine,
            model,
            voice=voice,
            format=format,
            speed=speed,
            language=language,
            sample_rate=sample_rate,
            pitch=pitch,
            volume=volume,
            ssml=ssml,
            max_length=-1,
        )
    )


@app.command()
def voices(
    engine: EngineOpt = None,
    language: LanguageOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the voices of an engine."""
    agent = TTSAgent(_config(engine))
    found = _run(agent.list_voices(language))
    if as_json:
        rows = [
            {
                "id": v.id,
                "name": v.name,
                "engine": v.engine,
                "languages": list(v.languages),
                "gender": v.gender,
                "description": v.description,
            }
            for v in found
        ]
        print(json.dumps(rows, indent=2))
        return
    table = Table("id", "name", "languages", "gender", title=f"{len(found)} voices")
    for v in found:
        table.add_row(v.id, v.name, ", ".join(v.languages), v.gender or "")
    console.print(table)


@app.command()
def models() -> None:
    """List model names (accepted for compatibility with the OpenAI API) and engines."""
    table = Table("model", "meaning")
    for model in TTSModel:
        table.add_row(model.value, "accepted; the engine picks its own model")
    console.print(table)
    console.print("engines: " + ", ".join(sorted(ENGINES)))


@app.command()
def formats() -> None:
    """List output formats."""
    table = Table("format", "extension", "mime type", "sample rates")
    for spec in FORMATS.values():
        rates = ", ".join(str(r) for r in spec.sample_rates) if spec.sample_rates else "any"
        table.add_row(spec.name, spec.extension, spec.mime, rates)
    console.print(table)


def _config(engine: str | None) -> TTSConfig:
    return TTSConfig(engine=engine) if engine else TTSConfig()


async def _speak(
    text: str, output: str, engine: str | None, model: str | None, **options: Any
) -> None:
    async with TTSAgent(_config(engine)) as agent:
        if output == "-":
            await _to_stdout(agent, text, options)
            return
        response = await agent.synthesize_to_file(text, output, model=model, **options)
    notices.print(
        f"wrote {response.file_path} ({response.duration:.2f} s, {response.file_size} bytes)"
    )


async def _to_stdout(agent: TTSAgent, text: str, options: dict[str, Any]) -> None:
    if options.get("format") is None:
        options["format"] = agent.config.default_format
    stream = agent.prepare(text, **options)  # validates before a byte is written
    out = sys.stdout.buffer
    async with aclosing(stream.encoded()) as chunks:
        async for chunk in chunks:
            out.write(chunk)
            out.flush()


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.is_file():
        raise TTSValidationError("input", f"{name!r} is not a readable file")
    return path.read_bytes()


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)
