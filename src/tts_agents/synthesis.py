"""The one synthesis pipeline every consumer uses.

``segments -> engine.synthesize() per segment -> speed remainder (atempo) -> resample ->
encode``. The CLI, the library, streaming, batch and the server all iterate a
:class:`SpeechStream`; nobody re-implements chunking, timing or encoding. Segments are
spoken one after another, so the first bytes leave before later sentences are synthesized
and memory stays flat however long the text is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from tts_agents.audio.encode import create_encoder
from tts_agents.audio.formats import FORMATS, FormatSpec
from tts_agents.audio.resample import Resampler
from tts_agents.audio.tempo import TempoStretcher
from tts_agents.engines.base import Engine, SynthesisOptions
from tts_agents.errors import TTSAPIError, TTSValidationError
from tts_agents.text.segment import Segment
from tts_agents.text.token_clock import TokenClock
from tts_agents.text.validation import MAX_SPEED, MIN_SPEED
from tts_agents.types import AudioChunk, WordMark

_SPEED_EPSILON = 1e-3
_FIRST_PIECE_MS = 150  # audio encoded before the first bytes are handed out
WordSink = Callable[[Sequence[WordMark]], None]


@dataclass
class SpeechStream:
    """One synthesis: iterate :meth:`pcm` or :meth:`encoded`; read the totals afterwards.

    ``options`` hold the request's voice, speed (0.25-4.0), pitch and volume; a segment's
    prosody (from SSML) multiplies them. The part of the speed outside the engine's native
    range is applied here by time-stretching. Word marks point into the caller's text; they
    are kept in ``words`` when ``collect_words`` and handed to ``on_words`` as they come.
    """

    engine: Engine
    segments: Iterable[Segment]
    options: SynthesisOptions
    format: FormatSpec
    sample_rate: int
    collect_words: bool = True
    on_words: WordSink | None = None
    samples: int = 0
    text_length: int | None = None
    text: str | None = None  # the whole plain text (alignment; provider pass-through)
    normalized: bool = False  # the segments are read for the engine, not the text as written
    report: Any = None  # a FallbackReport when the engine is a fallback chain
    passed_through: bool = False
    words: list[WordMark] = field(default_factory=list)
    _resampler: Resampler | None = field(default=None, repr=False)

    @property
    def duration(self) -> float:
        """Seconds of audio produced so far."""
        return self.samples / self.sample_rate

    async def pcm(self) -> AsyncIterator[AudioChunk]:
        """PCM at ``sample_rate`` and the requested speed, with word marks mapped back."""
        for segment in self.segments:
            if segment.text.strip():
                async with aclosing(self._speak(segment)) as chunks:
                    async for chunk in chunks:
                        yield chunk
            if segment.pause_after_ms:
                yield self._count(bytes(2 * (self.sample_rate * segment.pause_after_ms // 1000)))
        tail = self._resampler.flush() if self._resampler else b""
        if tail:
            yield self._count(tail)
        if self.samples == 0:
            if self.engine.capabilities.local:  # our own engine: the text had no sound in it
                raise TTSValidationError("text", "there is nothing to speak in it")
            raise TTSAPIError(f"engine {self.engine.name!r} produced no audio")

    async def encoded(self, sink: BinaryIO | None = None) -> AsyncIterator[bytes]:
        """Encoded bytes in ``format`` as they are ready (nothing when writing to ``sink``).

        When the engine already speaks ``format`` and nothing needs changing, the provider's
        own bytes pass through untouched (no decode, no re-encode).
        """
        if self._can_pass_through():
            self.passed_through = True
            async with aclosing(self._provider_bytes()) as chunks:
                async for data in chunks:
                    if sink is None:
                        yield data
                    else:
                        sink.write(data)
            return
        encoder = create_encoder(self.format, self.sample_rate, sink)
        first = True
        async with aclosing(self.pcm()) as chunks:
            async for chunk in chunks:
                if not chunk.pcm:  # no header before there is audio: the text may have none
                    continue
                # The first bytes leave after a short piece is encoded, not a whole chunk:
                # slow encoders (mp3) would otherwise hold them back by ~0.5 s of audio.
                pieces = _split_first(chunk.pcm, self.sample_rate) if first else (chunk.pcm,)
                first = False
                for piece in pieces:
                    data = encoder.encode(piece)
                    if data:
                        yield data
        tail = encoder.finish()
        if tail:
            yield tail

    def _can_pass_through(self) -> bool:
        capabilities = self.engine.capabilities
        low, high = capabilities.speed_range
        return (
            self.text is not None
            and not self.normalized
            and self.format.name in capabilities.native_formats
            # a provider streams its format's usual container (ADTS, never MP4 for .m4a)
            and self.format.container == FORMATS[self.format.name].container
            and self.sample_rate == capabilities.sample_rate
            and low <= self.options.speed <= high
            and self.options.pitch == 1.0
            and self.options.volume == 1.0
            # keep the engine's own timestamps when someone wants words
            and not (capabilities.word_timestamps and (self.collect_words or self.on_words))
        )

    def _provider_bytes(self) -> AsyncIterator[bytes]:
        extra = {} if self.report is None else {"report": self.report}
        encoded = self.engine.synthesize_encoded  # type: ignore[attr-defined]
        stream: AsyncIterator[bytes] = encoded(self.text, self.options, self.format.name, **extra)
        return stream

    async def _speak(self, segment: Segment) -> AsyncIterator[AudioChunk]:
        options, tempo = self._segment_options(segment)
        stretch: TempoStretcher | None = None
        clock: TokenClock | None = None
        extra = {} if self.report is None else {"report": self.report}
        source = self.engine.synthesize(segment.text, options, **extra)  # type: ignore[call-arg]
        async with aclosing(source):
            async for chunk in source:
                if abs(tempo - 1.0) > _SPEED_EPSILON and stretch is None:
                    stretch = TempoStretcher(chunk.sample_rate, tempo)
                if clock is None:
                    scale = self.sample_rate / chunk.sample_rate / tempo
                    clock = TokenClock(segment, self.samples, scale)
                pcm = stretch.process(chunk.pcm) if stretch else chunk.pcm
                marks = tuple(clock.place(chunk.marks))
                yield self._count(self._resample(pcm, chunk.sample_rate), marks)
        if stretch:
            tail = stretch.flush()
            if tail:
                yield self._count(self._resample(tail, stretch.sample_rate))
        if clock is not None and self.engine.capabilities.word_timestamps:
            rest = tuple(clock.finish(self.samples))
            if rest:  # tokens the engine never marked: timed, with no audio of their own
                yield self._count(b"", rest)

    def _segment_options(self, segment: Segment) -> tuple[SynthesisOptions, float]:
        """Engine options for a segment, and the tempo left for time-stretching."""
        prosody = segment.prosody
        speed = min(max(self.options.speed * prosody.rate, MIN_SPEED), MAX_SPEED)
        low, high = self.engine.capabilities.speed_range
        native = min(max(speed, low), high)
        options = replace(
            self.options,
            markup=segment.markup,
            speed=native,
            pitch=min(max(self.options.pitch * prosody.pitch, 0.0), 2.0),
            volume=min(max(self.options.volume * prosody.volume, 0.0), 2.0),
        )
        return options, speed / native

    def _resample(self, pcm: bytes, source_rate: int) -> bytes:
        if source_rate == self.sample_rate:
            return pcm
        if self._resampler is None or self._resampler.source_rate != source_rate:
            self._resampler = Resampler(source_rate, self.sample_rate)
        return self._resampler.process(pcm)

    def record(self, samples: int, marks: Sequence[WordMark] = ()) -> None:
        """Count audio made for this stream (here, or by a worker process speaking it)."""
        self.samples += samples
        if marks:
            if self.collect_words:
                self.words.extend(marks)
            if self.on_words is not None:
                self.on_words(marks)

    def _count(self, pcm: bytes, marks: tuple[WordMark, ...] = ()) -> AudioChunk:
        chunk = AudioChunk(pcm, self.sample_rate, marks)
        self.record(chunk.samples, marks)
        return chunk


def _split_first(pcm: bytes, sample_rate: int) -> tuple[bytes, ...]:
    cut = 2 * (sample_rate * _FIRST_PIECE_MS // 1000)
    return (pcm[:cut], pcm[cut:]) if len(pcm) > 2 * cut else (pcm,)
