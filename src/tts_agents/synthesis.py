"""The one synthesis pipeline every consumer uses.

``engine.synthesize() -> speed remainder (atempo) -> resample -> encode``. The CLI, the
library, streaming, batch and (later) the server all iterate a :class:`SpeechStream`;
nobody re-implements encoding or chunking.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from tts_agents.audio.encode import create_encoder
from tts_agents.audio.formats import FormatSpec
from tts_agents.audio.resample import Resampler
from tts_agents.audio.tempo import TempoStretcher
from tts_agents.engines.base import Engine, SynthesisOptions
from tts_agents.errors import TTSAPIError
from tts_agents.types import AudioChunk, WordMark

_SPEED_EPSILON = 1e-3


@dataclass
class SpeechStream:
    """One synthesis: iterate :meth:`pcm` or :meth:`encoded`; read the totals afterwards.

    ``options.speed`` is the speed the caller asked for (0.25-4.0); the part outside the
    engine's native range is applied here by time-stretching.
    """

    engine: Engine
    text: str
    options: SynthesisOptions
    format: FormatSpec
    sample_rate: int
    samples: int = 0
    words: list[WordMark] = field(default_factory=list)

    @property
    def duration(self) -> float:
        """Seconds of audio produced so far."""
        return self.samples / self.sample_rate

    async def pcm(self) -> AsyncIterator[AudioChunk]:
        """PCM at ``sample_rate`` and the requested speed, with word marks rescaled."""
        low, high = self.engine.capabilities.speed_range
        native = min(max(self.options.speed, low), high)
        tempo = self.options.speed / native
        transform: _Transform | None = None
        source = self.engine.synthesize(self.text, replace(self.options, speed=native))
        async with aclosing(source):
            async for chunk in source:
                if transform is None:
                    transform = _Transform(chunk.sample_rate, self.sample_rate, tempo)
                out = self._count(transform.process(chunk))
                if out.pcm or out.marks:
                    yield out
        tail = transform.flush() if transform else b""
        if tail:
            yield self._count(AudioChunk(tail, self.sample_rate))
        if self.samples == 0:
            raise TTSAPIError(f"engine {self.engine.name!r} produced no audio")

    async def encoded(self, sink: BinaryIO | None = None) -> AsyncIterator[bytes]:
        """Encoded bytes in ``format`` as they are ready (nothing when writing to ``sink``)."""
        encoder = create_encoder(self.format, self.sample_rate, sink)
        async with aclosing(self.pcm()) as chunks:
            async for chunk in chunks:
                data = encoder.encode(chunk.pcm)
                if data:
                    yield data
        tail = encoder.finish()
        if tail:
            yield tail

    def _count(self, chunk: AudioChunk) -> AudioChunk:
        self.samples += chunk.samples
        self.words.extend(chunk.marks)
        return chunk


class _Transform:
    """Speed remainder then resampling, with word-mark positions mapped through both."""

    def __init__(self, source_rate: int, target_rate: int, tempo: float) -> None:
        self._target = target_rate
        self._stretch = (
            TempoStretcher(source_rate, tempo) if abs(tempo - 1.0) > _SPEED_EPSILON else None
        )
        self._resample = Resampler(source_rate, target_rate) if source_rate != target_rate else None
        self._scale = target_rate / source_rate / tempo

    def process(self, chunk: AudioChunk) -> AudioChunk:
        if self._stretch is None and self._resample is None:
            return chunk
        pcm = chunk.pcm
        if self._stretch:
            pcm = self._stretch.process(pcm)
        if self._resample:
            pcm = self._resample.process(pcm)
        marks = chunk.marks
        if marks and self._scale != 1.0:
            marks = tuple(
                WordMark(m.text_start, m.text_end, round(m.sample * self._scale)) for m in marks
            )
        return AudioChunk(pcm, self._target, marks)

    def flush(self) -> bytes:
        pcm = self._stretch.flush() if self._stretch else b""
        if self._resample:
            pcm = self._resample.process(pcm) + self._resample.flush()
        return pcm
