"""Whole 16-bit samples out of raw PCM that arrives in pieces of any size."""

from __future__ import annotations


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


__all__ = ["PcmFramer"]
