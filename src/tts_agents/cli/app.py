"""The ``tts-agents`` commands. Errors are turned into exit codes in :mod:`tts_agents.cli`."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
from collections.abc import Coroutine, Iterable, Iterator
from contextlib import aclosing, contextmanager
from pathlib import Path
from typing import Annotated, Any, BinaryIO, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tts_agents import __version__
from tts_agents.audio.formats import FORMATS, choose_format
from tts_agents.batch import BatchProcessor, BatchResult, load_requests
from tts_agents.cli.models import app as models_app
from tts_agents.cli.privacy import app as privacy_app
from tts_agents.cli.progress import progress_for_terminal
from tts_agents.cli.transcribe import transcribe_command
from tts_agents.config import TTSConfig
from tts_agents.engines.auto import HINT as AUTO_HINT
from tts_agents.engines.auto import AutoEngine
from tts_agents.errors import TTSValidationError
from tts_agents.models import TTSRequest
from tts_agents.speech import TTSAgent
from tts_agents.text.front_end import normalize_mode
from tts_agents.text.validation import decode_text, read_pieces

app = typer.Typer(
    name="tts-agents",
    help="Offline-first text to speech: espeak-ng in-process, every audio format.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},  # commands inherit it
)
app.add_typer(models_app, name="models")
app.add_typer(privacy_app, name="privacy")
console = Console()
notices = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
T = TypeVar("T")

OutputOpt = Annotated[
    str,
    typer.Option("--output", "-o", metavar="FILE", help="Output file; '-' writes to stdout."),
]
VoiceOpt = Annotated[
    str | None,
    typer.Option("--voice", "-v", metavar="VOICE", help="OpenAI voice name or engine voice id."),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help=f"{', '.join(FORMATS)} (default: from the file's extension; .m4a is AAC in MP4).",
    ),
]
SpeedOpt = Annotated[float | None, typer.Option(metavar="SPEED", help="0.25 to 4.0.")]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        metavar="ENGINE",
        help="auto (default: best installed), kokoro, piper, espeak, or a cloud engine.",
    ),
]
DeviceOpt = Annotated[
    str | None,
    typer.Option(metavar="DEVICE", help="Neural engines: auto (CUDA when present), cpu or cuda."),
]
VariantOpt = Annotated[
    str | None,
    typer.Option(metavar="VARIANT", help="Kokoro weights: int8 (default, offline), fp16 or fp32."),
]
LanguageOpt = Annotated[
    str | None, typer.Option("--language", "-l", metavar="LANG", help="Language code.")
]
RateOpt = Annotated[
    int | None,
    typer.Option(
        "--sample-rate",
        metavar="HZ",
        help="Output sample rate in Hz (the rates each format takes: tts-agents formats).",
    ),
]
PitchOpt = Annotated[float, typer.Option(metavar="PITCH", help="Pitch multiplier, 0 to 2.")]
VolumeOpt = Annotated[float, typer.Option(metavar="VOLUME", help="Volume multiplier, 0 to 2.")]
SsmlOpt = Annotated[
    bool | None,
    typer.Option("--ssml/--no-ssml", help="Treat the text as SSML (default: detect <speak>)."),
]
SubtitlesOpt = Annotated[
    str | None,
    typer.Option(
        "--subtitles", metavar="FILE", help="Also write word-timed subtitles (.srt or .vtt)."
    ),
]
NormalizeOpt = Annotated[
    str | None,
    typer.Option(
        metavar="MODE",
        help="Read numbers, dates, money and symbols as words: auto (default: on for local "
        "engines), on or off.",
    ),
]
ModelOpt = Annotated[
    str | None, typer.Option(metavar="MODEL", help="Model name (kept for compatibility).")
]


def _print_version(wanted: bool) -> None:
    if wanted:
        print(f"tts-agents {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", help="Show debug logs and tracebacks (before or after the command)."
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
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
    ssml: SsmlOpt = None,
    model: ModelOpt = None,
    subtitles: SubtitlesOpt = None,
    device: DeviceOpt = None,
    model_variant: VariantOpt = None,
    normalize: NormalizeOpt = None,
) -> None:
    """Speak TEXT (at most the configured length, 4096 by default) into a file or stdout."""
    if text == "-":
        text = decode_text(sys.stdin.buffer.read(), "text")
    options = _speech_options(voice, format, speed, language, sample_rate, pitch, volume, ssml)
    config = _config(engine, device, model_variant, normalize)
    _run(_speak(text, output, config, model, subtitles, max_length=None, **options))


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
    ssml: SsmlOpt = None,
    model: ModelOpt = None,
    subtitles: SubtitlesOpt = None,
    device: DeviceOpt = None,
    model_variant: VariantOpt = None,
    normalize: NormalizeOpt = None,
) -> None:
    """Speak a whole text file, read and spoken as it streams (no length limit)."""
    options = _speech_options(voice, format, speed, language, sample_rate, pitch, volume, ssml)
    config = _config(engine, device, model_variant, normalize)
    with _open_input(input) as handle:
        text = _file_text(handle, ssml)
        _run(_speak(text, output, config, model, subtitles, max_length=-1, **options))


def _speech_options(
    voice: str | None,
    format: str | None,
    speed: float | None,
    language: str | None,
    sample_rate: int | None,
    pitch: float,
    volume: float,
    ssml: bool | None,
) -> dict[str, Any]:
    return {
        "voice": voice,
        "format": format,
        "speed": speed,
        "language": language,
        "sample_rate": sample_rate,
        "pitch": pitch,
        "volume": volume,
        "ssml": ssml,
    }


@app.command()
def batch(
    texts: Annotated[
        list[str] | None, typer.Argument(help="Texts to speak, one file each.")
    ] = None,
    output_dir: Annotated[str, typer.Option("--output-dir", "-d", help="Where files go.")] = ".",
    input_file: Annotated[
        str | None, typer.Option("--input-file", "-i", help="lines.txt, .csv or .jsonl")
    ] = None,
    concurrent: Annotated[
        int | None, typer.Option("--concurrent", "-c", help="Parallel items (default: cores).")
    ] = None,
    format: FormatOpt = None,
    voice: VoiceOpt = None,
    speed: SpeedOpt = None,
    language: LanguageOpt = None,
    engine: EngineOpt = None,
    resume: Annotated[bool, typer.Option(help="Skip items the manifest says are done.")] = False,
    retries: Annotated[int, typer.Option(help="Retries for retryable failures.")] = 2,
    backend: Annotated[str, typer.Option(help="local or ray (extra: ray).")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    device: DeviceOpt = None,
    model_variant: VariantOpt = None,
    normalize: NormalizeOpt = None,
) -> None:
    """Speak many texts into files; crash-safe with a manifest and --resume.

    Neural voices (the default when installed) run a few times real time; pass
    --engine espeak for hundreds of times real time.
    """
    defaults = {"format": format, "voice": voice, "speed": speed, "language": language}
    defaults = {key: value for key, value in defaults.items() if value is not None}
    requests = [TTSRequest(text=text, **defaults) for text in texts or []]
    if input_file is not None:
        requests += load_requests(input_file, defaults)
    if not requests:
        raise TTSValidationError("texts", "give texts as arguments or --input-file")
    if retries < 0:
        raise TTSValidationError("retries", "must be 0 or more")
    progress = progress_for_terminal()

    async def run() -> BatchResult:
        async with TTSAgent(_config(engine, device, model_variant, normalize)) as agent:
            _hint_natural_voice(agent)
            processor = BatchProcessor(agent, concurrent, backend=backend, ray_address=ray_address)
            try:
                return await processor.process_batch(
                    requests, output_dir, retries, resume=resume, progress=progress
                )
            finally:
                progress.close()

    result = _run(run())
    summary = {
        "total": result.total_requests,
        "done": result.successful + result.skipped,
        "succeeded": result.successful,
        "skipped": result.skipped,
        "failed": result.failed,
        "seconds": round(result.processing_time, 3),
        "manifest": str(result.manifest),
        "errors": result.errors,
    }
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        notices.print(
            f"batch: {summary['done']}/{summary['total']} done ({result.skipped} skipped), "
            f"{result.failed} failed in {summary['seconds']} s; manifest {result.manifest}"
        )
    if result.failed:
        raise typer.Exit(1)


@app.command()
def voices(
    engine: EngineOpt = None,
    language: LanguageOpt = None,
    variants: Annotated[
        bool,
        typer.Option(
            "--variants",
            help="List espeak-ng's voice variants, as ids on the language's voice (en-us+anika).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the voices of an engine; with --language, the ones that will speak it.

    OpenAI's voice names work in every language, so --language lists them too, with the
    voice each one maps to there.
    """
    from tts_agents.engines.espeak.voices import describe_variants
    from tts_agents.engines.voice_names import voices_speaking

    if variants:
        found = describe_variants(language)
    else:
        agent = TTSAgent(_config(engine))
        found = _run(voices_speaking(agent.engine, language) if language else agent.list_voices())
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
    table = Table("id", "name", "languages", "gender", "notes", title=f"{len(found)} voices")
    for v in found:
        table.add_row(v.id, v.name, ", ".join(v.languages), v.gender or "-", v.description or "")
    console.print(table)


@app.command()
def formats() -> None:
    """List output formats."""
    table = Table("format", "extension", "mime type", "sample rates")
    for spec in FORMATS.values():
        table.add_row(spec.name, spec.extension, spec.mime, spec.allowed_rates)
    console.print(table)


def _config(
    engine: str | None,
    device: str | None = None,
    model_variant: str | None = None,
    normalize: str | None = None,
) -> TTSConfig:
    chosen = {
        "engine": engine,
        "device": device,
        "model_variant": model_variant,
        "normalize": normalize and normalize_mode(normalize),
    }
    return TTSConfig(**{key: value for key, value in chosen.items() if value})


def _hint_natural_voice(agent: TTSAgent) -> None:
    """On a terminal, say once how to get the natural voice when espeak-ng stands in."""
    engine = agent.engine
    if isinstance(engine, AutoEngine) and not engine.neural and sys.stderr.isatty():
        notices.print(AUTO_HINT)


async def _speak(
    text: str | Iterable[str],
    output: str,
    config: TTSConfig,
    model: str | None,
    subtitles: str | None,
    **options: Any,
) -> None:
    # Format and rate are checked before the engine loads: a mistake there costs nothing.
    spec = choose_format(options["format"], output, config.default_format)
    if options["sample_rate"] is not None:
        spec.check_rate(options["sample_rate"])  # 0 would otherwise mean "the default"
    options["format"] = spec
    async with TTSAgent(config) as agent:
        _hint_natural_voice(agent)
        if output == "-":
            if subtitles is not None:
                raise TTSValidationError("subtitles", "needs an output file, not stdout")
            await _to_stdout(agent, text, options)
            return
        response = await agent.synthesize_to_file(
            text, output, model=model, subtitles=subtitles, **options
        )
    notices.print(
        f"wrote {response.file_path} ({response.duration:.2f} s, {response.file_size} bytes)"
    )


async def _to_stdout(agent: TTSAgent, text: str | Iterable[str], options: dict[str, Any]) -> None:
    stream = agent.prepare(text, collect_words=False, **options)
    out = sys.stdout.buffer
    async with aclosing(stream.encoded()) as chunks:
        async for chunk in chunks:
            out.write(chunk)
            out.flush()


@contextmanager
def _open_input(name: str) -> Iterator[BinaryIO]:
    if name == "-":
        yield sys.stdin.buffer
        return
    path = Path(name)
    if not path.is_file():
        raise TTSValidationError("input", f"{name!r} is not a readable file")
    with path.open("rb") as handle:
        yield handle


def _file_text(handle: BinaryIO, ssml: bool | None) -> str | Iterable[str]:
    """Pieces of the file as it is read; a whole string when it is SSML (parsed whole)."""
    pieces = read_pieces(handle)
    first = next(pieces, "")
    if ssml or (ssml is None and first.lstrip().startswith(("<speak", "<?xml"))):
        return first + "".join(pieces)
    return itertools.chain([first], pieces)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    engine: EngineOpt = None,
    ssl_certfile: Annotated[str | None, typer.Option(help="TLS certificate (PEM).")] = None,
    ssl_keyfile: Annotated[str | None, typer.Option(help="TLS private key (PEM).")] = None,
    cors_origin: Annotated[
        list[str] | None, typer.Option(help="Allow browser calls from this origin (repeatable).")
    ] = None,
    keys_file: Annotated[
        str | None, typer.Option(help="File of API keys, one per line (or TTS_AGENTS_API_KEYS).")
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="No API key needed (loopback only).")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, help="Synthesis processes for the offline engine (default: one per core)."
        ),
    ] = None,
    stt_workers: Annotated[
        int, typer.Option(min=0, help="Speech-to-text processes for uploads (0: in-process).")
    ] = 1,
    public_url: Annotated[
        str | None,
        typer.Option(help="The address clients use (https://host[:port]), for generated URLs."),
    ] = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(help="A Host name generated URLs may use (repeatable; default: --host)."),
    ] = None,
    agent: Annotated[
        list[str] | None,
        typer.Option(
            help="Voice agent YAML file (repeatable); the help-desk agent is always served."
        ),
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            envvar="TTS_AGENTS_REDIS_URL",
            help="Redis (redis://host:port/db) where replicas share rate limits, single-use"
            " tokens and browser sessions; prefer the variable for a URL with a password.",
        ),
    ] = None,
    key_requests_per_minute: Annotated[
        int | None, typer.Option(min=1, help="Requests one API key may make a minute.")
    ] = None,
    key_characters_per_minute: Annotated[
        int | None,
        typer.Option(min=1, help="Characters plus SSML break seconds one key may speak a minute."),
    ] = None,
    key_audio_seconds_per_minute: Annotated[
        int | None, typer.Option(min=1, help="Seconds of audio one key may have made a minute.")
    ] = None,
    forwarded_allow_ips: Annotated[
        list[str] | None,
        typer.Option(
            help="A proxy's IP address whose X-Forwarded-For is believed (repeatable); it is"
            " not capped per address."
        ),
    ] = None,
    max_connections_per_ip: Annotated[
        int, typer.Option(min=1, help="Open connections one client address may hold.")
    ] = 64,
    device: DeviceOpt = None,
    model_variant: VariantOpt = None,
) -> None:
    """Serve OpenAI- and ElevenLabs-compatible speech APIs and voice agents (extra: server)."""
    from tts_agents.errors import MissingExtraError

    # The server, its synthesis workers and its agents all read these from the environment.
    _config(engine, device, model_variant)  # a bad value fails here, with its name
    for name, value in (("DEVICE", device), ("MODEL_VARIANT", model_variant)):
        if value:
            os.environ[f"TTS_AGENTS_{name}"] = value

    try:
        from tts_agents.server.run import build_settings, check_port_free, check_tls_files
        from tts_agents.server.run import serve as run_server
    except ImportError as exc:  # a partly installed extra
        raise MissingExtraError("the speech server", "server") from exc

    check_tls_files(ssl_certfile, ssl_keyfile)
    check_port_free(host, port)  # before a key is generated or a link printed
    settings = build_settings(
        host=host,
        engine=engine,
        cors_origins=cors_origin or [],
        tls=ssl_certfile is not None,
        auth=not no_auth,
        keys_file=keys_file,
        workers=workers,
        stt_workers=stt_workers,
        public_url=public_url,
        allowed_hosts=allowed_host or [],
        announce_key=lambda key: notices.print(
            f"no API key configured; generated one for this run: {key}"
        ),
        agent_files=agent or [],
        redis_url=redis_url,
        requests_per_minute_per_key=key_requests_per_minute,
        cost_per_minute_per_key=key_characters_per_minute,
        audio_seconds_per_minute_per_key=key_audio_seconds_per_minute,
        forwarded_allow_ips=forwarded_allow_ips or [],
        max_connections_per_ip=max_connections_per_ip,
    )
    run_server(
        settings,
        host=host,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        announce_url=lambda url: notices.print(
            f"browser app: open {url}" + (" (the link signs you in, once)" if not no_auth else "")
        ),
    )


app.command("transcribe")(transcribe_command)
