"""Streaming sample-rate conversion with soxr (high quality, stateful across chunks)."""

from __future__ import annotations

import numpy as np
import soxr


class Resampler:
    """Converts s16le mono PCM from one rate to another, chunk by chunk."""

    def __init__(self, source_rate: int, target_rate: int) -> None:
        self.source_rate = source_rate
        self.target_rate = target_rate
        self._stream = soxr.ResampleStream(source_rate, target_rate, 1, dtype="int16", quality="HQ")

    def process(self, pcm: bytes) -> bytes:
        """Resample one chunk; output may lag input by the filter's delay."""
        samples = np.frombuffer(pcm, dtype="<i2")
        return bytes(self._stream.resample_chunk(samples, last=False).tobytes())

    def flush(self) -> bytes:
        """Return the samples still held in the filter."""
        empty = np.zeros(0, dtype="<i2")
        return bytes(self._stream.resample_chunk(empty, last=True).tobytes())
