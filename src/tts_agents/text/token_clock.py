"""One timed mark per input token, whatever marks an engine gives.

Engines mark the words they speak: several for a token read as many words ("$1,234.56"),
sometimes none (a word run into the next, an emoji nobody says), and they point into the
spoken text. :class:`TokenClock` turns them into exactly one mark per token of the
segment, in order, with times that never go back: the first mark inside a token times it,
later ones are dropped, and a token with none gets a time spread evenly between its
neighbours' (or up to the end of the segment's audio).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from tts_agents.text.segment import Segment
from tts_agents.types import WordMark


class TokenClock:
    """Marks for one segment's tokens; samples count from the stream's start."""

    def __init__(self, segment: Segment, base: int, scale: float) -> None:
        """Start at stream sample ``base``; ``scale`` maps engine samples to the stream's."""
        self._tokens = segment.spoken_tokens()
        self._begins = [token.begin for token in self._tokens]
        self._base = base
        self._scale = scale
        self._next = 0  # the first token not yet marked
        self._last: int | None = None  # the sample of the last mark handed out

    def place(self, marks: Iterable[WordMark]) -> list[WordMark]:
        """The token marks that the engine's ``marks`` settle, in order."""
        placed: list[WordMark] = []
        for mark in marks:
            index = self._token_at(mark.text_start)
            if index is None or index < self._next:
                continue  # a later word of a token already marked
            sample = self._base + round(mark.sample * self._scale)
            placed += self._release(index, sample)
            placed.append(self._mark(index, max(sample, self._last or self._base)))
        return placed

    def finish(self, end: int) -> list[WordMark]:
        """Marks for the tokens left unmarked when the segment's audio ends at ``end``."""
        return self._release(len(self._tokens), end)

    def _token_at(self, position: int) -> int | None:
        """The token whose reading holds ``position``, else the next one."""
        index = max(0, bisect_right(self._begins, position) - 1)
        if index < len(self._tokens) and self._tokens[index].end <= position:
            index += 1  # in the space after a token: the next one starts there
        return index if index < len(self._tokens) else None

    def _release(self, upto: int, sample: int) -> list[WordMark]:
        """Marks for tokens ``_next..upto-1``, which the engine did not mark."""
        missing = upto - self._next
        if missing <= 0:
            return []
        # With no mark yet, the first missing token starts the segment; otherwise they
        # sit evenly between the last mark and ``sample``.
        start = self._base if self._last is None else self._last
        lead = 0 if self._last is None else 1
        step = (max(sample, start) - start) / (missing + lead)
        return [self._mark(self._next, round(start + step * (k + lead))) for k in range(missing)]

    def _mark(self, index: int, sample: int) -> WordMark:
        token = self._tokens[index]
        self._next = index + 1
        self._last = sample
        return WordMark(token.source_start, token.source_end, sample, token.written)


__all__ = ["TokenClock"]
