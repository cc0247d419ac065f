"""``TTSAgent``: the library's front door (API kept from the original TTS Agents).

It validates input, resolves voice, format and rate, and hands a :class:`SpeechStream` to
whoever consumes it: bytes in memory, a file written atomically, or a stream of chunks.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_agents.audio.formats import FORMATS, FormatSpec, format_from_path, get_format
from tts_agents.audio.probe import encoded_duration
from tts_agents.config import TTSConfig
from tts_agents.engines import Capabilities, Engine, SynthesisOptions, engine_for, route
from tts_agents.engines.fallback import FallbackEngine, FallbackReport
from tts_agents.engines.voice_names import voice_language, voices_speaking
from tts_agents.errors import TTSValidationError
from tts_agents.files import atomic_output
from tts_agents.models import TTSResponse
from tts_agents.subtitling import SubtitleTrack, alignment
from tts_agents.synthesis import SpeechStream
from tts_agents.text.front_end import normalize_mode, normalizes, speech_segments
from tts_agents.text.segment import Segment, SegmentSizes
from tts_agents.text.ssml import looks_like_ssml
from tts_agents.text.validation import (
    validate_pieces,
    validate_range,
    validate_speed,
    validate_text,
)
from tts_agents.types import AudioFormat, TTSModel, Voice, VoiceInfo

logger = logging.getLogger("tts_agents")

_UNLIMITED = -1


@dataclass(frozen=True, slots=True)
class _Reading:
    """How a request's text is read: in which language, normalized or as written."""

    language: str | None
    normalize: bool


REMOTE_SEGMENT = 4000  # characters per cloud request (OpenAI takes at most 4096)
REMOTE_SIZES = SegmentSizes((REMOTE_SEGMENT,))


class TTSAgent:
    """Text to speech with the configured engine (offline espeak-ng by default).

    Use it as an async context manager::

        async with TTSAgent() as agent:
            response = await agent.generate_speech("Hello", output_path="hello.mp3")
    """

    def __init__(self, config: TTSConfig | None = None, *, engine: Engine | None = None) -> None:
        self.config = config or TTSConfig()
        self._engine = engine
        self.owns_engine = engine is None  # built from the config, so workers can rebuild it

    @property
    def engine(self) -> Engine:
        """The engine, created on first use."""
        if self._engine is None:
            self._engine = engine_for(self.config)
        return self._engine

    async def __aenter__(self) -> TTSAgent:
        self.engine  # noqa: B018 - load the engine now, so errors surface at entry
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the engine's resources."""
        if self._engine is not None:
            await self._engine.aclose()

    def prepare(
        self,
        text: str | bytes | Iterable[str],
        *,
        voice: str | Voice | None = None,
        format: str | AudioFormat | FormatSpec | None = None,
        speed: float | None = None,
        language: str | None = None,
        sample_rate: int | None = None,
        pitch: float = 1.0,
        volume: float = 1.0,
        ssml: bool | None = None,
        output_path: str | Path | None = None,
        max_length: int | None = None,
        collect_words: bool = True,
        model: str | None = None,
        instructions: str | None = None,
        max_break_seconds: float | None = None,
        normalize: str | bool | None = None,
    ) -> SpeechStream:
        """Validate a request and return the stream that will produce it.

        ``text`` is a string, or an iterable of string pieces (a file read block by block:
        checked as it streams, never held whole). ``max_length`` overrides the config's
        per-request limit for strings; ``-1`` means no limit. ``ssml=None`` detects SSML
        (text starting with ``<speak``). ``format`` may be a :class:`FormatSpec` with its own
        bit rate. ``model`` and ``instructions`` go to cloud engines; local ones ignore them.
        ``max_break_seconds`` caps the total of an SSML document's breaks (the server's
        guard against a few bytes asking for hours of silence); ``None`` is no cap.
        ``normalize`` (``auto``/``on``/``off``, default the config's) reads numbers, dates,
        money and symbols as people say them; ``auto`` does so for local engines.
        """
        config = self.config
        language = language or config.language
        engine, voice_id = route(self.engine, str(voice or config.default_voice), language)
        mode = normalize_mode(config.normalize if normalize is None else normalize)
        reading = _Reading(
            language or voice_language(voice_id), normalizes(mode, engine.capabilities.local)
        )
        segments, length = self._segments(text, ssml, max_length, engine.capabilities, reading)
        if max_break_seconds is not None and isinstance(segments, list):
            _check_breaks(segments, max_break_seconds)
        spec = _choose_format(format, output_path, config.default_format)
        options = SynthesisOptions(
            voice=voice_id,
            speed=validate_speed(config.default_speed if speed is None else speed),
            pitch=validate_range(pitch, "pitch", 0.0, 2.0),
            volume=validate_range(volume, "volume", 0.0, 2.0),
            language=language,
            model=model,
            instructions=instructions,
        )
        requested_rate = config.sample_rate if sample_rate is None else sample_rate
        rate = spec.output_rate(requested_rate, engine.capabilities.sample_rate)
        stream = SpeechStream(engine, segments, options, spec, rate, collect_words=collect_words)
        stream.text_length = length
        if isinstance(text, str) and not (ssml or looks_like_ssml(text)):
            stream.text = text
        stream.normalized = reading.normalize
        if isinstance(engine, FallbackEngine):
            stream.report = FallbackReport()
        return stream

    def _segments(
        self,
        text: str | bytes | Iterable[str],
        ssml: bool | None,
        max_length: int | None,
        capabilities: Capabilities,
        reading: _Reading,
    ) -> tuple[Iterable[Segment], int | None]:
        # A local engine gets its own schedule: a short first segment (first audio fast),
        # then pieces sized for its throughput. A cloud engine gets requests as large as
        # providers take, since each request costs a round trip and the limiter's spacing.
        sizes = capabilities.segments if capabilities.local else REMOTE_SIZES
        markup = capabilities.prosody_markup
        config = self.config
        front = {"language": reading.language, "normalize": reading.normalize, "sizes": sizes}
        if not isinstance(text, str | bytes):
            pieces = validate_pieces(text, security_checks=config.enable_security_checks)
            return speech_segments(pieces, ssml=False, **front), None
        limit = config.max_text_length if max_length is None else max_length
        checked = validate_text(
            text,
            max_length=None if limit == _UNLIMITED else limit,
            security_checks=config.enable_security_checks,
        )
        is_ssml = looks_like_ssml(checked) if ssml is None else ssml
        segments = speech_segments(checked, ssml=is_ssml, markup=markup, **front)
        return segments, len(checked)

    async def generate_speech(
        self,
        text: str,
        voice: str | Voice | None = None,
        model: str | TTSModel | None = None,
        format: str | AudioFormat | None = None,
        speed: float | None = None,
        output_path: str | Path | None = None,
        **options: Any,
    ) -> TTSResponse:
        """Speak ``text``; return the audio, and write it to ``output_path`` if given.

        ``format`` defaults to ``output_path``'s extension, then to the config's default.
        Extra keyword options: ``language``, ``sample_rate``, ``pitch``, ``volume``,
        ``ssml``. Raises :class:`~tts_agents.errors.TTSValidationError` for bad input and
        :class:`~tts_agents.errors.TTSAPIError` when the engine fails.
        """
        stream = self.prepare(
            text, voice=voice, format=format, speed=speed, output_path=output_path, **options
        )
        buffer = io.BytesIO()  # seekable, so encoders finalize their headers
        async with aclosing(stream.encoded(sink=buffer)) as chunks:
            async for _ in chunks:
                pass
        audio = buffer.getvalue()
        path = None
        if output_path is not None:
            path = _with_suffix(output_path, stream.format.extension)
            with atomic_output(path) as handle:
                handle.write(audio)
        response = self._response(stream, model, audio=audio, path=path, size=len(audio))
        if isinstance(text, str):
            response.alignment = alignment(text, stream.words, stream.sample_rate, stream.samples)
        return response

    async def generate_speech_streaming(
        self,
        text: str,
        voice: str | Voice | None = None,
        model: str | TTSModel | None = None,
        format: str | AudioFormat | None = None,
        speed: float | None = None,
        output_path: str | Path | None = None,
        **options: Any,
    ) -> TTSResponse:
        """Like :meth:`generate_speech`, but streamed to ``output_path`` without a size cap."""
        if output_path is None:
            return await self.generate_speech(text, voice, model, format, speed, **options)
        return await self.synthesize_to_file(
            text, output_path, voice=voice, model=model, format=format, speed=speed, **options
        )

    async def synthesize_to_file(
        self,
        text: str | Iterable[str],
        output_path: str | Path,
        *,
        model: str | TTSModel | None = None,
        subtitles: str | Path | None = None,
        **options: Any,
    ) -> TTSResponse:
        """Stream speech into ``output_path`` (atomically); the text has no length cap.

        ``text`` may be an iterable of pieces (a file read block by block). ``subtitles``
        names an ``.srt`` or ``.vtt`` file written alongside, cue by cue.
        """
        options.setdefault("max_length", _UNLIMITED)
        options.setdefault("collect_words", False)  # flat memory: marks go to subtitles only
        stream = self.prepare(text, output_path=output_path, **options)
        path = _with_suffix(output_path, stream.format.extension)
        track = SubtitleTrack(subtitles, stream.sample_rate) if subtitles is not None else None
        if track is not None:
            stream.on_words = track.add
        try:
            with atomic_output(path) as handle:
                async with aclosing(stream.encoded(sink=handle)) as chunks:
                    async for _ in chunks:
                        pass
                size = handle.tell()
            if track is not None:
                track.finish(stream.samples)
        except BaseException:
            if track is not None:
                track.abort()
            raise
        return self._response(stream, model, audio=None, path=path, size=size)

    async def stream(self, text: str, **options: Any) -> AsyncIterator[bytes]:
        """Yield encoded audio chunks as they are made (no length cap by default)."""
        options.setdefault("max_length", _UNLIMITED)
        stream = self.prepare(text, **options)
        async with aclosing(stream.encoded()) as chunks:
            async for chunk in chunks:
                yield chunk

    async def list_voices(self, language: str | None = None) -> list[VoiceInfo]:
        """The engine's voices; with ``language``, the ones that will speak it.

        OpenAI's voice names work in every language, so they are listed for any language
        the engine speaks, each with the voice it maps to there.
        """
        if not language:
            return await self.engine.voices()
        return await voices_speaking(self.engine, language)

    def get_available_voices(self) -> list[Voice]:
        """The OpenAI voice names every engine accepts."""
        return list(Voice)

    def get_available_models(self) -> list[TTSModel]:
        """The model names accepted for compatibility."""
        return list(TTSModel)

    def get_available_formats(self) -> list[AudioFormat]:
        """The output formats."""
        return list(AudioFormat)

    def _response(
        self,
        stream: SpeechStream,
        model: str | TTSModel | None,
        *,
        audio: bytes | None,
        path: Path | None,
        size: int,
    ) -> TTSResponse:
        options = stream.options
        duration: float | None = stream.duration
        metadata: dict[str, Any] = {
            "engine": stream.engine.name,
            "voice": options.voice,
            "model": str(model or self.config.default_model),
            "format": stream.format.name,
            "speed": options.speed,
            "sample_rate": stream.sample_rate,
            "text_length": stream.text_length,
        }
        if stream.passed_through:  # the provider's own bytes: measure them
            metadata["passthrough"] = True
            source = audio if audio is not None else path
            duration = None
            if source is not None:
                duration = encoded_duration(source, stream.format, stream.sample_rate)
        if stream.report is not None:
            metadata.update(stream.report.as_metadata())
        return TTSResponse(
            success=True,
            audio_data=audio,
            file_path=path,
            duration=duration,
            file_size=size,
            sample_rate=stream.sample_rate,
            format=AudioFormat(stream.format.name),
            words=stream.words,
            metadata=metadata,
        )


def _check_breaks(segments: list[Segment], limit: float) -> None:
    total = sum(segment.pause_after_ms for segment in segments) / 1000
    if total > limit:
        raise TTSValidationError(
            "text", f"the breaks add up to {total:g} s; at most {limit:g} s per request"
        )


def _choose_format(
    requested: str | AudioFormat | FormatSpec | None,
    path: str | Path | None,
    default: AudioFormat,
) -> FormatSpec:
    if isinstance(requested, FormatSpec):
        return requested
    if requested is not None:
        spec = get_format(requested)
        implied = format_from_path(path) if path is not None and str(path) != "-" else None
        # the extension picks the container of the same codec (AAC in an .m4a is MP4)
        return implied if implied is not None and implied.name == spec.name else spec
    if path is not None and str(path) != "-":
        implied = format_from_path(path)
        if implied is not None:
            return implied
        if Path(path).suffix:
            raise TTSValidationError(
                "format",
                f"cannot tell the format from {Path(path).suffix!r}; "
                f"pass one of {', '.join(FORMATS)}",
            )
    return get_format(default)


def _with_suffix(path: str | Path, extension: str) -> Path:
    target = Path(path)
    if str(path).endswith(("/", "\\")) or target.is_dir():
        raise TTSValidationError("output_path", f"{str(path)!r} is a directory, not a file")
    return target if target.suffix else target.with_suffix(f".{extension}")
