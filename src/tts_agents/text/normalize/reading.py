"""Spoken text assembled from readings, every token traced to the characters it came from.

:func:`read_text` takes text with the input offset of each character (plain text is a slice
of the input; SSML text is not) and a reader, and returns the text to speak with a
:class:`~tts_agents.text.tokens.Token` per input token. Whitespace between tokens is kept
as written, so sentence and paragraph breaks survive.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tts_agents.text.normalize.languages import Reader
from tts_agents.text.tokens import Token

_WORD = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Fixed:
    """``text[begin:end]`` is one token said as ``words`` (a ``<say-as>`` or ``<sub>``)."""

    begin: int
    end: int
    words: str


@dataclass(frozen=True, slots=True)
class Reading:
    """Text to speak; ``offsets`` holds each character's input offset, then the end."""

    text: str
    offsets: tuple[int, ...]
    tokens: tuple[Token, ...]


def read_text(
    text: str,
    starts: Sequence[int],
    ends: Sequence[int],
    reader: Reader | None,
    fixed: Sequence[Fixed] = (),
) -> Reading:
    """``text`` as it will be spoken; ``starts[i]``/``ends[i]`` bound ``text[i]`` in the input.

    With no ``reader`` every token is spoken as written (normalization off); ``fixed``
    readings apply either way.
    """
    units = _units(text, fixed)
    written = [text[begin:end] for begin, end, _ in units]
    readings = reader.read(written) if reader is not None else written
    chars: list[str] = []
    offsets: list[int] = []
    tokens: list[Token] = []
    cursor = 0
    for (begin, end, words), reading in zip(units, readings, strict=True):
        chars.extend(text[cursor:begin])
        offsets.extend(starts[cursor:begin])
        said = reading if words is None else words
        tokens.append(
            Token(
                len(chars),
                len(chars) + len(said),
                starts[begin],
                ends[end - 1],
                written_of(text, begin, end),
            )
        )
        chars.extend(said)
        if said == text[begin:end]:  # as written: each character keeps its own offset
            offsets.extend(starts[begin:end])
        else:
            offsets.extend([starts[begin]] * len(said))
        cursor = end
    chars.extend(text[cursor:])
    offsets.extend(starts[cursor:])
    offsets.append(ends[-1] if len(text) else (starts[0] if starts else 0))
    return Reading("".join(chars), tuple(offsets), tuple(tokens))


def written_of(text: str, begin: int, end: int) -> str:
    """The token as written, its inner whitespace collapsed."""
    return " ".join(text[begin:end].split())


def _units(text: str, fixed: Sequence[Fixed]) -> list[tuple[int, int, str | None]]:
    """Whitespace tokens and fixed spans, in order.

    A fixed span takes in what is written right against it (``<sub>WWW</sub>.``), so the
    token is still a whitespace-separated run; that punctuation is spoken as written.
    """
    units: list[tuple[int, int, str | None]] = []
    cursor = 0
    for span in sorted(fixed, key=lambda span: span.begin):
        begin = span.begin
        while begin > cursor and not text[begin - 1].isspace():
            begin -= 1
        end = span.end
        while end < len(text) and not text[end].isspace() and not _starts_fixed(fixed, end):
            end += 1
        units += [(m.start(), m.end(), None) for m in _WORD.finditer(text, cursor, begin)]
        units.append((begin, end, text[begin : span.begin] + span.words + text[span.end : end]))
        cursor = end
    units += [(m.start(), m.end(), None) for m in _WORD.finditer(text, cursor)]
    return units


def _starts_fixed(fixed: Sequence[Fixed], position: int) -> bool:
    return any(span.begin == position for span in fixed)


__all__ = ["Fixed", "Reading", "read_text"]
