"""Tokens: the units word timings are reported in.

A token is a whitespace-separated run of what the caller wrote (``$1,234.56``, ``10:30``,
``a.m.``); SSML tags are not tokens, and a ``<say-as>`` element is one token. Normalization
may read a token as several words, or none (an emoji); either way it gets exactly one timed
mark spanning its characters, so subtitles list every token once, in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Token:
    """A token's reading at ``text[begin:end]`` of the spoken text, from ``source`` chars.

    ``source_start``/``source_end`` are offsets into the caller's input; ``written`` is the
    token as written (entities decoded).
    """

    begin: int
    end: int
    source_start: int
    source_end: int
    written: str

    def clipped(self, end: int) -> Token:
        """The token with its reading cut off at ``end`` of the spoken text."""
        if self.end <= end:
            return self
        return Token(self.begin, end, self.source_start, self.source_end, self.written)

    def shifted(self, by: int) -> Token:
        """The same token in a text that starts ``by`` characters later."""
        return Token(
            self.begin + by, self.end + by, self.source_start, self.source_end, self.written
        )


def whitespace_tokens(text: str, start: int) -> tuple[Token, ...]:
    """Tokens of plain ``text`` that sits at ``start`` in the input (nothing rewritten)."""
    return tuple(
        Token(m.start(), m.end(), start + m.start(), start + m.end(), m.group())
        for m in _WORD.finditer(text)
    )


__all__ = ["Token", "whitespace_tokens"]
