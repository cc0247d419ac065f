"""Cutting text into the pieces engines speak one at a time.

Segment sizes follow :class:`SegmentSizes`: the first segment is short (a clause) so the
first audio comes fast; later ones grow to whole sentences up to the schedule's last size, so
engines work efficiently. An engine whose cost grows with the piece (Kokoro) also sets a
growth limit: a segment holds at most that many times the characters already cut, so each
piece is ready before the audio made before it has played. A cut prefers a
sentence end, then a clause end, then the space before a linking word ("and", "for"), and
only ever falls on whitespace, so no word or number is split. Input arrives as an iterable
of pieces (blocks of a file), so memory stays flat in the length of the text.

:func:`split_clauses` cuts one segment into the clauses a phonemizer reads, each with the
punctuation that ends it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tts_agents.text.tokens import Token, whitespace_tokens

FIRST_MIN_CHARS = 12
FIRST_MAX_CHARS = 100
MAX_CHARS = 600
DEFAULT_SCHEDULE = (FIRST_MAX_CHARS, MAX_CHARS)

_SENTENCE_END = re.compile(r"""(?:[.!?…]+["'”’)\]]*|\n\s*\n)\s+""")
_CLAUSE_END = re.compile(r"""[,;:—–][)"'”’]*\s+""")
_INITIALS = re.compile(r"(?:[a-z]\.)*[a-z]")  # "a.m", "u.s", "j"
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt vs etc e.g i.e no fig approx dept est inc ltd co".split()
)
# A cut before one of these words falls between phrases rather than inside one.
_LINKING_WORD = re.compile(
    r"\s+(?=(?:and|but|or|so|because|for|from|in|into|on|at|to|with|without|about|of|"
    r"that|which|who|when|while|where|if|then|than|after|before)\b)",
    re.IGNORECASE,
)
# Words that lean on the next one: a piece should not end with them ("tell me the").
_LEANING_WORDS = frozenset(
    "a an the my your his her its our their this that these those to of in on at for with "
    "by from and or but is are was were be will would can could should not no".split()
)
_CLAUSE_PUNCTUATION = re.compile(r"""([.!?…;:,—–]+)["'”’)\]]*(?=\s|$)""")
_LINKING_LOOKAHEAD = 10  # characters past the limit that show where a linking word ends


@dataclass(frozen=True, slots=True)
class SegmentSizes:
    """The most characters segment ``n`` may hold, after ``emitted`` characters were cut.

    ``schedule[n]`` (the last size repeats); with ``growth``, also at most ``growth`` times
    the characters already cut (never under the first size). An engine that speaks ``r``
    times faster than real time keeps ahead of playback with a growth below ``r``.
    """

    schedule: tuple[int, ...] = DEFAULT_SCHEDULE
    growth: float | None = None

    def limit(self, count: int, emitted: int) -> int:
        """The limit for the segment after ``count`` segments of ``emitted`` characters."""
        limit = self.schedule[min(count, len(self.schedule) - 1)]
        if self.growth and count:
            limit = min(limit, max(self.schedule[0], int(self.growth * emitted)))
        return limit


DEFAULT_SIZES = SegmentSizes()


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
    plus the end offset. ``tokens`` says which input token each part of ``text`` reads
    (None: the text is the input as written, one token per whitespace run).
    """

    text: str
    start: int
    offsets: tuple[int, ...] | None = None
    prosody: Prosody = field(default_factory=Prosody)
    pause_after_ms: int = 0
    markup: bool = False  # ``text`` is <speak> markup carrying prosody changes inside it
    tokens: tuple[Token, ...] | None = None

    def spoken_tokens(self) -> tuple[Token, ...]:
        """The input tokens this segment speaks, in order."""
        if self.tokens is not None:
            return self.tokens
        return whitespace_tokens(self.text, self.start)

    def part(self, begin: int, end: int, pause_after_ms: int = 0) -> Segment:
        """The segment for ``text[begin:end]``, with the same prosody."""
        offsets = None if self.offsets is None else self.offsets[begin : end + 1]
        start = self.start + begin if offsets is None else offsets[0]
        tokens = None
        if self.tokens is not None:  # a token belongs to the part its reading starts in
            tokens = tuple(
                token.clipped(end).shifted(-begin)
                for token in self.tokens
                if begin <= token.begin < end or token.begin == end == len(self.text)
            )
        return Segment(
            self.text[begin:end], start, offsets, self.prosody, pause_after_ms, tokens=tokens
        )


def segment_text(
    pieces: Iterable[str], *, sizes: SegmentSizes = DEFAULT_SIZES
) -> Iterator[Segment]:
    """Cut a stream of text pieces into segments with input offsets (see ``sizes``).

    A segment is longer than its limit only when one word is.
    """
    buffer = ""
    offset = 0  # input offset of buffer[0]
    count = emitted = 0
    for piece in pieces:
        buffer += piece
        while True:
            cut = _find_cut(buffer, sizes.limit(count, emitted), count == 0, final=False)
            if cut is None:
                break
            segment, buffer, offset = _emit(buffer, cut, offset)
            if segment is not None:
                count, emitted = count + 1, emitted + len(segment.text)
                yield segment
    while buffer:
        cut = _find_cut(buffer, sizes.limit(count, emitted), count == 0, final=True)
        segment, buffer, offset = _emit(buffer, cut or len(buffer), offset)
        if segment is not None:
            count, emitted = count + 1, emitted + len(segment.text)
            yield segment


def split_segment(
    segment: Segment, *, index: int = 0, emitted: int = 0, sizes: SegmentSizes = DEFAULT_SIZES
) -> Iterator[Segment]:
    """Cut one long segment (an SSML run) with the rules of :func:`segment_text`.

    ``index`` segments of ``emitted`` characters with words were spoken before this one.
    """
    begin = 0
    text = segment.text
    while begin < len(text):
        limit = sizes.limit(index, emitted)
        cut = _find_cut(text[begin:], limit, index == 0, final=True) or len(text) - begin
        end = _outside_tokens(segment, begin + cut)
        pause = segment.pause_after_ms if end >= len(text) else 0
        if text[begin:end].strip():
            index, emitted = index + 1, emitted + end - begin
            yield segment.part(begin, end, pause)
        elif pause:
            yield segment.part(begin, end, pause)
        begin = end


def _outside_tokens(segment: Segment, end: int) -> int:
    """``end``, moved past the reading it falls inside ("one thousand | two hundred")."""
    for token in segment.tokens or ():
        if token.begin < end < token.end:
            rest = segment.text[token.end :]
            return token.end + len(rest) - len(rest.lstrip())
    return end


def split_clauses(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, punctuation)`` for each clause of ``text``, in order.

    ``text[start:end]`` holds the clause's words; ``punctuation`` is the mark that ends it
    (``","``, ``"."``, ``"?!"``; empty when the text simply stops). Periods of
    abbreviations and initials ("Dr.", "a.m.") do not end a clause.
    """
    clauses = []
    begin = 0
    for match in _CLAUSE_PUNCTUATION.finditer(text):
        if _after_abbreviation(text, match.start()):
            continue
        if text[begin : match.start()].strip():
            clauses.append((begin, match.start(), match.group(1)))
        begin = match.end()  # closing quotes and brackets stay with their clause
    if text[begin:].strip():
        clauses.append((begin, len(text.rstrip()), ""))
    return clauses


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

    Decisions look only at ``buffer[:limit + 10]`` and wait until that much is buffered (or
    the input ends), so the segments do not depend on how the input was split into pieces.
    """
    if len(buffer) <= limit:
        return len(buffer) if final else None
    if not final and len(buffer) <= limit + _LINKING_LOOKAHEAD:
        return None
    window = buffer[: limit + 1]
    if first:  # the first sentence if it is short, else the last clause that fits
        cut = _first_boundary(window, _SENTENCE_END, FIRST_MIN_CHARS)
        cut = cut or _last_boundary(window, _CLAUSE_END, FIRST_MIN_CHARS)
    else:
        cut = _last_boundary(window, _SENTENCE_END, 1)
        cut = cut or _last_boundary(window, _CLAUSE_END, limit // 3)
    ahead = buffer[: limit + _LINKING_LOOKAHEAD]  # to see that "for" is not "format"
    cut = cut or _last_linking_cut(ahead, limit, max(FIRST_MIN_CHARS, limit // 3))
    if cut is not None:
        return cut
    space = _last_free_space(window[:limit])
    if space > 0:
        return space + 1
    nxt = re.search(r"\s", buffer[limit:])  # a single "word" longer than the limit
    if nxt is None:
        return len(buffer) if final else None
    return limit + nxt.end()


def _last_free_space(window: str) -> int:
    """The last whitespace not right after a leaning word (else the last whitespace)."""
    spaces = [match.start() for match in re.finditer(r"\s", window)]
    for space in reversed(spaces):
        before = window[:space].rsplit(None, 1)
        if before and before[-1].lower() not in _LEANING_WORDS and space >= FIRST_MIN_CHARS:
            return space
    return spaces[-1] if spaces else -1


def _last_linking_cut(text: str, limit: int, minimum: int) -> int | None:
    """Just after the whitespace before the last linking word that starts within ``limit``.

    The head must be at least ``minimum`` characters; ``text`` reaches past ``limit`` so a
    word cut by the limit ("for" of "format") is not taken for a linking word.
    """
    best = None
    for match in _LINKING_WORD.finditer(text):
        if minimum <= match.start() and match.end() <= limit:
            best = match.end()
    return best


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
