"""PCM helpers for engines: whole 16-bit samples from pieces, and chunks with word marks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

from tts_agents.types import AudioChunk, WordMark


class PcmFramer:
    """Cut a byte stream of s16le PCM into pieces holding whole samples.

    Network reads split bytes anywhere; a chunk of odd length would shift every later
    sample by one byte. The odd byte is carried over to the next piece.
    """

    def __init__(self) -> None:
        self._carry = b""

    def push(self, data: bytes) -> bytes:
        """The whole samples available after ``data`` (possibly empty)."""
        data = self._carry + data
        cut = len(data) - len(data) % 2
        self._carry = data[cut:]
        return data[:cut]

    @property
    def leftover(self) -> int:
        """Bytes held back (0 or 1); a 1 at the end means the stream was cut mid-sample."""
        return len(self._carry)


def chunked(
    pcm: bytes,
    sample_rate: int,
    marks: Sequence[WordMark],
    offset: int = 0,
    seconds: float = 0.5,
) -> Iterator[AudioChunk]:
    """``pcm`` (s16le) in chunks of ``seconds``, each with the marks that start in it.

    Mark samples are relative to ``pcm``; ``offset`` (samples already yielded before it by
    the same stream) is added, so the marks count from the stream's start.
    """
    step = max(1, int(sample_rate * seconds)) * 2
    total = len(pcm)
    pending = sorted(marks, key=lambda mark: mark.sample)
    start = 0
    while True:
        end = min(start + step, total)
        last = end >= total
        here = [m for m in pending if last or m.sample * 2 < end]
        pending = pending[len(here) :]
        shifted = tuple(replace(m, sample=m.sample + offset) for m in here)
        if pcm[start:end] or shifted:
            yield AudioChunk(pcm[start:end], sample_rate, shifted)
        if last:
            return
        start = end


__all__ = ["PcmFramer", "chunked"]
