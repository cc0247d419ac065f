"""Cutting text into the pieces engines speak one at a time.

The first segment is short (a clause) so the first audio comes fast; later ones gather
whole sentences up to ``max_chars`` so engines work efficiently. A cut only ever falls on
whitespace, so no word or number is split. Input arrives as an iterable of pieces (blocks
of a file), so memory stays flat in the length of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

FIRST_MIN_CHARS = 12
FIRST_MAX_CHARS = 100
MAX_CHARS = 600

_SENTENCE_END = re.compile(r"""(?:[.!?…]+["'”’)\]]*|\n\s*\n)\s+""")
_CLAUSE_END = re.compile(r"""[,;:—–][)"'”’]*\s+""")
_INITIALS = re.compile(r"(?:[a-z]\.)*[a-z]")  # "a.m", "u.s", "j"
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc e.g i.e no fig approx dept est inc ltd co".split()
)


@dataclass(frozen=True, slots=True)
class Prosody:
    """Multipliers applied to a segment on top of the request's own speed/pitch/volume."""

    rate: float = 1.0
    pitch: float = 1.0
    volume: float = 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text to speak, and where its characters came from in the input.

    ``start`` is the input offset of ``text[0]``. When the text is not a plain slice of
    the input (SSML, expansions), ``offsets`` holds the input offset of every character
    plus the end offset.
    """

    text: str
    start: int
    offsets: tuple[int, ...] | None = None
    prosody: Prosody = field(default_factory=Prosody)
    pause_after_ms: int = 0
    markup: bool = False  # ``text`` is <speak> markup carrying prosody changes inside it

    def source_span(self, begin: int, end: int) -> tuple[int, int]:
        """Input offsets of ``text[begin:end]``."""
        if self.offsets is None:
            return self.start + begin, self.start + end
        last = max(begin, end - 1)
        return self.offsets[begin], self.offsets[last] + 1

    def part(self, begin: int, end: int, pause_after_ms: int = 0) -> Segment:
        """The segment for ``text[begin:end]``, with the same prosody."""
        offsets = None if self.offsets is None else self.offsets[begin : end + 1]
        start = self.start + begin if offsets is None else offsets[0]
        return Segment(self.text[begin:end], start, offsets, self.prosody, pause_after_ms)


def segment_text(
    pieces: Iterable[str],
    *,
    first_max: int = FIRST_MAX_CHARS,
    max_chars: int = MAX_CHARS,
) -> Iterator[Segment]:
    """Cut a stream of text pieces into segments with input offsets."""
    buffer = ""
    offset = 0  # input offset of buffer[0]
    first = True
    for piece in pieces:
        buffer += piece
        while True:
            limit = first_max if first else max_chars
            cut = _find_cut(buffer, limit, first, final=False)
            if cut is None:
                break
            segment, buffer, offset = _emit(buffer, cut, offset)
            if segment is not None:
                first = False
                yield segment
    while buffer:
        cut = _find_cut(buffer, first_max if first else max_chars, first, final=True)
        segment, buffer, offset = _emit(buffer, cut or len(buffer), offset)
        if segment is not None:
            first = False
            yield segment


def split_segment(
    segment: Segment, *, first: bool, max_chars: int = MAX_CHARS
) -> Iterator[Segment]:
    """Cut one long segment (an SSML run) with the same rules as :func:`segment_text`."""
    begin = 0
    text = segment.text
    while begin < len(text):
        limit = FIRST_MAX_CHARS if first else max_chars
        cut = _find_cut(text[begin:], limit, first, final=True) or len(text) - begin
        end = begin + cut
        pause = segment.pause_after_ms if end >= len(text) else 0
        if text[begin:end].strip():
            first = False
            yield segment.part(begin, end, pause)
        elif pause:
            yield segment.part(begin, end, pause)
        begin = end


def _emit(buffer: str, cut: int, offset: int) -> tuple[Segment | None, str, int]:
    head, rest = buffer[:cut], buffer[cut:]
    stripped = head.strip()
    segment = None
    if stripped:
        lead = len(head) - len(head.lstrip())
        segment = Segment(stripped, offset + lead)
    return segment, rest, offset + cut


def _find_cut(buffer: str, limit: int, first: bool, *, final: bool) -> int | None:
    """Where to cut ``buffer`` (an index just after whitespace), or None to read more.

    Decisions look only at ``buffer[:limit + 1]`` and wait until that much is buffered, so
    the segments do not depend on how the input was split into pieces.
    """
    if len(buffer) <= limit:
        return len(buffer) if final else None
    window = buffer[: limit + 1]
    if first:  # the first sentence if it is short, else the last clause that fits
        cut = _first_boundary(window, _SENTENCE_END, FIRST_MIN_CHARS)
        cut = cut or _last_boundary(window, _CLAUSE_END, FIRST_MIN_CHARS)
    else:
        cut = _last_boundary(window, _SENTENCE_END, 1)
    if cut is not None:
        return cut
    space = max(window.rfind(" ", 0, limit), window.rfind("\n", 0, limit))
    if space > 0:
        return space + 1
    nxt = re.search(r"\s", buffer[limit:])  # a single "word" longer than the limit
    if nxt is None:
        return len(buffer) if final else None
    return limit + nxt.end()


def _boundaries(window: str, pattern: re.Pattern[str], minimum: int) -> Iterator[int]:
    for match in pattern.finditer(window):
        if match.end() >= minimum and not _after_abbreviation(window, match.start()):
            yield match.end()


def _first_boundary(window: str, pattern: re.Pattern[str], minimum: int) -> int | None:
    return next(_boundaries(window, pattern, minimum), None)


def _last_boundary(window: str, pattern: re.Pattern[str], minimum: int) -> int | None:
    best = None
    for best in _boundaries(window, pattern, minimum):  # noqa: B007 - keep the last one
        pass
    return best


def _after_abbreviation(text: str, dot: int) -> bool:
    if not text.startswith(".", dot):
        return False
    word = text[:dot].rsplit(None, 1)[-1].lower() if text[:dot].strip() else ""
    word = word.lstrip("(\"'")
    return word in _ABBREVIATIONS or _INITIALS.fullmatch(word) is not None
