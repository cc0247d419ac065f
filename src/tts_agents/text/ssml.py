"""SSML documents as flat runs of plain text, every character traced to the source.

Engines take plain text plus a few knobs (rate, pitch, volume, pauses, phonemes); SSML
nests those knobs in XML. :func:`parse_ssml` flattens a document into :class:`Run` objects
any engine can speak, and keeps the offset of each character in the original string so
word timestamps and subtitles point at what the user wrote.

defusedxml checks the document (no DTDs, so no entity expansion); a small scanner then
walks the same, now known well-formed, source to recover the positions ElementTree drops.
Supported: speak, p, s, break, prosody, emphasis, say-as, sub, phoneme and mark (ignored).
Any other tag is refused with its line and column rather than read aloud or skipped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from tts_agents.errors import TTSValidationError
from tts_agents.text.normalize import Fixed, Reader, reader_for
from tts_agents.text.say_as import BadValue as _BadValue
from tts_agents.text.say_as import attribute as _attribute
from tts_agents.text.say_as import label as _label
from tts_agents.text.say_as import labels as _labels
from tts_agents.text.say_as import required as _required
from tts_agents.text.say_as import say_as as _say_as
from tts_agents.text.segment import Prosody
from tts_agents.text.tokens import Token

__all__ = ["Prosody", "Run", "looks_like_ssml", "parse_ssml"]

_T = TypeVar("_T")

SSML_NAMESPACE = "http://www.w3.org/2001/10/synthesis"
MAX_BREAK_MS = 10_000

_SPACE = " \t\n\r"  # XML whitespace; others (no-break space) are kept as text
_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_BOUNDARY_MS = {"p": 400, "s": 200}
_CONTAINERS = frozenset({"speak", "p", "s", "prosody", "emphasis"})
_LEAVES = frozenset({"break", "mark", "say-as", "sub", "phoneme"})


_STRENGTH_MS = _labels("none x-weak weak medium strong x-strong", 0, 100, 200, 400, 700, 1200)
_RATES = _labels("x-slow slow medium fast x-fast default", 0.5, 0.75, 1.0, 1.5, 2.0, 1.0)
_PITCHES = _labels("x-low low medium high x-high default", 0.7, 0.85, 1.0, 1.15, 1.3, 1.0)
_VOLUMES = _labels("silent x-soft soft medium loud x-loud default", 0, 0.25, 0.5, 1, 1.5, 2, 1)
_EMPHASIS = _labels("strong moderate none reduced", (0.9, 1.3), (0.95, 1.15), (1, 1), (1.05, 0.8))
_LOOKS_LIKE = re.compile(r"\s*(?:<\?xml[^>]*\?>\s*)?<speak(?:[\s/>]|$)")
_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[(?P<cdata>.*?)\]\]>|<\?.*?\?>"
    r"|</(?P<end>[^\s>]+)\s*>"
    r"|<(?P<start>[^\s/>]+)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>"
    r"|(?P<text>[^<]+)",
    re.DOTALL,
)
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


@dataclass(frozen=True, slots=True)
class Run:
    """Plain text to speak with one prosody, then ``pause_after_ms`` of silence.

    ``offsets`` has ``len(text) + 1`` entries: the source offset of each character, then
    the end offset, so ``source[offsets[i]:offsets[i + 1]]`` is where ``text[i]`` came
    from. A ``<phoneme>`` run sets ``phonemes`` (and ``alphabet``); its ``text`` is the
    element's content, for engines that cannot take phonemes. ``ends`` holds where each
    character ends in the source (an entity spans several); ``fixed`` marks ``<say-as>``
    and ``<sub>`` content with the words to say for it. Once normalized, ``text`` is what
    is spoken and ``tokens`` ties it to the source tokens.
    """

    text: str
    offsets: tuple[int, ...]
    prosody: Prosody = Prosody()
    pause_after_ms: int = 0
    phonemes: str | None = None
    alphabet: str | None = None
    ends: tuple[int, ...] = field(default=(), compare=False)
    fixed: tuple[Fixed, ...] = ()
    tokens: tuple[Token, ...] | None = None


def looks_like_ssml(text: str) -> bool:
    """Whether ``text`` is an SSML document, so one input can take plain text or SSML."""
    return _LOOKS_LIKE.match(text) is not None


def parse_ssml(source: str, reader: Reader | None = None) -> list[Run]:
    """Flatten the SSML document ``source`` into runs an engine can speak in order.

    Whitespace collapses as in a browser; adjacent text with the same prosody is one run;
    ``<p>`` and ``<s>`` end with a pause unless a ``<break>`` sets it. Malformed XML, a DTD,
    an unknown tag or a bad attribute raises :class:`TTSValidationError` (field ``ssml``)
    naming the line and column. ``reader`` says ``<say-as>`` content (English by default).
    """
    start = len(source) - len(source.lstrip())
    walker = _Walker(source, _elements(source, start), reader or reader_for("en"))
    for token in _scan(source, start):
        walker.feed(token)
    return walker.builder.runs()


class _Char(NamedTuple):
    char: str
    start: int
    end: int


class _Tag(NamedTuple):
    name: str
    start: int
    end: int
    closing: bool = False
    empty: bool = False


def _error(source: str, offset: int, message: str) -> TTSValidationError:
    line = source.count("\n", 0, offset) + 1
    column = offset - source.rfind("\n", 0, offset)
    return TTSValidationError("ssml", f"{message} at line {line}, column {column}")


def _elements(source: str, start: int) -> Iterator[tuple[str, dict[str, str]]]:
    """Check the document with defusedxml; yield (tag, attributes) in document order."""
    body = source[start:]
    parser = DefusedXMLParser(forbid_dtd=True)
    try:
        parser.feed(body)
        root = parser.close()
    except ParseError as exc:
        reason = str(exc).rpartition(": line ")[0] or "malformed XML"
        raise _error(source, start + _body_offset(body, *exc.position), reason) from None
    except DefusedXmlException:
        expat = parser.parser
        offset = start + _body_offset(body, expat.CurrentLineNumber, expat.CurrentColumnNumber)
        doctype = source.rfind("<!DOCTYPE", start, offset + 1)
        offset = doctype if doctype >= 0 else offset
        raise _error(source, offset, "DOCTYPE and entity declarations are not allowed") from None
    return ((element.tag, dict(element.attrib)) for element in root.iter())


def _body_offset(body: str, line: int, column: int) -> int:
    line_start = sum(len(text) + 1 for text in body.split("\n")[: line - 1])
    return min(line_start + column, len(body))


def _scan(source: str, start: int) -> Iterator[_Tag | _Char]:
    """Tags and decoded characters of well-formed ``source``, with their offsets."""
    for match in _TOKEN.finditer(source, start):
        if match["text"] is not None:
            yield from _decode(match["text"], match.start())
        elif match["cdata"] is not None:
            yield from _plain(match["cdata"], match.start("cdata"))
        elif match["end"] is not None:
            yield _Tag(match["end"], match.start(), match.end(), closing=True)
        elif match["start"] is not None:
            empty = match[0].endswith("/>")
            yield _Tag(match["start"], match.start(), match.end(), empty=empty)


def _decode(text: str, base: int) -> Iterator[_Char]:
    done = 0
    for match in _ENTITY.finditer(text):
        yield from _plain(text[done : match.start()], base + done)
        name = match[1]
        if name.startswith("#"):
            char = chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
        else:
            char = _NAMED_ENTITIES[name]
        yield _Char(char, base + match.start(), base + match.end())
        done = match.end()
    yield from _plain(text[done:], base + done)


def _plain(text: str, base: int) -> Iterator[_Char]:
    return (_Char(char, i, i + 1) for i, char in enumerate(text, base))


@dataclass(slots=True)
class _Draft:
    prosody: Prosody
    phoneme: tuple[str, str | None] | None
    end: int
    chars: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    fixed: list[Fixed] = field(default_factory=list)
    pause_ms: int = 0
    explicit_pause: bool = False
    sealed: bool = False

    def accepts(self, prosody: Prosody) -> bool:
        return not self.sealed and self.prosody == prosody

    def append(self, char: str, start: int, end: int) -> None:
        self.chars.append(char)
        self.starts.append(start)
        self.ends.append(end)
        self.end = end

    def run(self) -> Run:
        phonemes, alphabet = self.phoneme or (None, None)
        offsets = (*self.starts, self.end)
        text = "".join(self.chars)
        return Run(
            text,
            offsets,
            self.prosody,
            self.pause_ms,
            phonemes,
            alphabet,
            tuple(self.ends),
            tuple(self.fixed),
        )


class _Builder:
    """Collects characters into runs, collapsing whitespace and placing pauses."""

    def __init__(self) -> None:
        self._drafts: list[_Draft] = []
        self._space: tuple[int, int] | None = None  # collapsed whitespace before the next word
        self._after_pause = True

    def add(
        self, char: _Char, prosody: Prosody, phoneme: tuple[str, str | None] | None = None
    ) -> None:
        if char.char in _SPACE:
            if not self._after_pause:
                self._space = (self._space[0] if self._space else char.start, char.end)
            return
        last = self._drafts[-1] if self._drafts else None
        if self._space and last is not None:  # so a run never starts with a space
            last.append(" ", *self._space)
            self._space = None
        if last is None or not last.accepts(prosody):
            last = _Draft(prosody, phoneme, char.start)
            self._drafts.append(last)
        last.append(char.char, char.start, char.end)
        self._after_pause = False

    def add_fixed(self, chars: list[_Char], prosody: Prosody, words: str) -> None:
        """Add ``chars`` as one token said as ``words``."""
        for index, char in enumerate(chars):
            self.add(char, prosody)
            if index == 0:
                draft, begin = self._drafts[-1], len(self._drafts[-1].chars) - 1
        if chars:
            draft.fixed.append(Fixed(begin, len(draft.chars), words))

    def seal(self) -> None:
        if self._drafts:
            self._drafts[-1].sealed = True

    def pause(self, ms: int, *, explicit: bool, offset: int) -> None:
        """An explicit break replaces a boundary's pause and adds to other breaks."""
        self._space = None
        self._after_pause = True
        if not self._drafts:
            if not explicit:
                return
            self._drafts.append(_Draft(Prosody(), None, offset))
        last = self._drafts[-1]
        last.sealed = True
        if explicit:
            last.pause_ms = last.pause_ms + ms if last.explicit_pause else ms
            last.explicit_pause = True
        elif not last.explicit_pause:
            last.pause_ms = max(last.pause_ms, ms)

    def runs(self) -> list[Run]:
        return [draft.run() for draft in self._drafts if draft.chars or draft.pause_ms]


@dataclass(slots=True)
class _Frame:
    name: str
    tag: _Tag
    attrib: dict[str, str]
    prosody: Prosody
    content: list[_Char] | None  # leaves collect their text here


class _Walker:
    """Applies each element's meaning to the builder as tags and characters arrive."""

    def __init__(
        self, source: str, elements: Iterator[tuple[str, dict[str, str]]], reader: Reader
    ) -> None:
        self.source = source
        self.reader = reader
        self.builder = _Builder()
        self._elements = elements
        self._stack: list[_Frame] = []

    def feed(self, token: _Tag | _Char) -> None:
        if isinstance(token, _Char):
            self._on_char(token)
        elif token.closing:
            self._on_end(self._stack.pop(), token)
        else:
            self._on_start(token)
            if token.empty:
                self._on_end(self._stack.pop(), token)

    def _on_char(self, char: _Char) -> None:
        if not self._stack:  # whitespace around the root
            return
        top = self._stack[-1]
        if top.content is not None:
            top.content.append(char)
        else:
            self.builder.add(char, top.prosody)

    def _on_start(self, tag: _Tag) -> None:
        qualified, attrib = next(self._elements)
        namespace, _, name = (
            qualified[1:].rpartition("}") if qualified[0] == "{" else ("", "", qualified)
        )
        self._check_placement(tag, name, namespace)
        parent = self._stack[-1].prosody if self._stack else Prosody()
        frame = _Frame(name, tag, attrib, parent, [] if name in _LEAVES else None)
        self._guarded(frame, self._open, frame)
        self._stack.append(frame)

    def _on_end(self, frame: _Frame, end: _Tag) -> None:
        self._guarded(frame, self._close, frame, end)

    def _check_placement(self, tag: _Tag, name: str, namespace: str) -> None:
        known = namespace in ("", SSML_NAMESPACE) and name in _CONTAINERS | _LEAVES
        if not self._stack and (name != "speak" or not known):
            raise _error(self.source, tag.start, f"the root must be <speak>, not <{tag.name}>")
        if self._stack and self._stack[-1].content is not None:
            parent = self._stack[-1].tag.name
            raise _error(self.source, tag.start, f"<{parent}> may hold only text, not <{tag.name}>")
        if not known:
            raise _error(self.source, tag.start, f"unknown tag <{tag.name}>")
        if name == "speak" and self._stack:
            raise _error(self.source, tag.start, "<speak> is allowed only as the root")

    def _guarded(self, frame: _Frame, action: Callable[..., None], *args: object) -> None:
        try:
            action(*args)
        except _BadValue as exc:
            raise _error(self.source, frame.tag.start, f"<{frame.tag.name}> {exc}") from None

    def _open(self, frame: _Frame) -> None:
        if frame.name in _BOUNDARY_MS:
            self.builder.seal()
        elif frame.name == "prosody":
            frame.prosody = _prosody(frame.prosody, frame.attrib)
        elif frame.name == "emphasis":
            level = _attribute(frame.attrib, "level", _label(_EMPHASIS)) or _EMPHASIS["moderate"]
            frame.prosody = _scaled(frame.prosody, rate=level[0], volume=level[1])

    def _close(self, frame: _Frame, end: _Tag) -> None:
        if frame.name in _BOUNDARY_MS:
            self.builder.pause(_BOUNDARY_MS[frame.name], explicit=False, offset=end.start)
        elif frame.content is None:
            return
        elif frame.name in ("break", "mark"):
            if any(char.char not in _SPACE for char in frame.content):
                raise _BadValue("must be empty")
            if frame.name == "break":
                self.builder.pause(_break_ms(frame.attrib), explicit=True, offset=frame.tag.start)
        elif frame.name == "phoneme":
            self._phoneme(frame, frame.content)
        else:
            self._expand(frame, frame.content, end)

    def _phoneme(self, frame: _Frame, content: list[_Char]) -> None:
        phoneme = (_required(frame.attrib, "ph"), frame.attrib.get("alphabet"))
        if all(char.char in _SPACE for char in content):
            raise _BadValue("needs its text as content")
        self.builder.seal()  # sealed on both sides, so a phoneme run never merges
        for char in content:
            self.builder.add(char, frame.prosody, phoneme)
        self.builder.seal()

    def _expand(self, frame: _Frame, content: list[_Char], end: _Tag) -> None:
        """Say say-as/sub content as one token read as the element asks."""
        words = [i for i, char in enumerate(content) if char.char not in _SPACE]
        first, last = (words[0], words[-1] + 1) if words else (len(content), len(content))
        text = "".join(char.char for char in content[first:last])
        if frame.name == "sub":
            spoken = " ".join(_required(frame.attrib, "alias").split())
        else:
            spoken = _say_as(frame.attrib, " ".join(text.split()), self.reader)
        for char in content[:first]:
            self.builder.add(char, frame.prosody)
        if words:
            self.builder.add_fixed(content[first:last], frame.prosody, spoken)
        else:  # nothing written to show: the alias itself, tied to the element
            for char in spoken:
                self.builder.add(_Char(char, frame.tag.start, end.end), frame.prosody)
        for char in content[last:]:
            self.builder.add(char, frame.prosody)


def _number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadValue("is too large")
    return value


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _scaled(parent: Prosody, rate: float = 1.0, pitch: float = 1.0, volume: float = 1.0) -> Prosody:
    return Prosody(
        _clamp(parent.rate * rate, 0.25, 4.0),
        _clamp(parent.pitch * pitch, 0.5, 2.0),
        _clamp(parent.volume * volume, 0.0, 2.0),
    )


def _prosody(parent: Prosody, attrib: dict[str, str]) -> Prosody:
    """Every value, labels included, scales the enclosing prosody."""
    rate = _attribute(attrib, "rate", _rate)
    pitch = _attribute(attrib, "pitch", _pitch)
    volume = _attribute(attrib, "volume", _volume)
    return _scaled(
        parent,
        1.0 if rate is None else rate,
        1.0 if pitch is None else pitch,
        1.0 if volume is None else volume,
    )


def _rate(value: str) -> float:
    if value in _RATES:
        return _RATES[value]
    match = re.fullmatch(f"({_NUMBER})(%?)", value)
    if match is None:
        raise _BadValue(f"is not one of {', '.join(_RATES)}, a percentage or a multiplier")
    return _number(match[1]) / (100 if match[2] else 1)


def _pitch(value: str) -> float:
    if value in _PITCHES:
        return _PITCHES[value]
    match = re.fullmatch(f"([+-]{_NUMBER})(%|st)", value)
    if match is None:
        raise _BadValue(f"is not one of {', '.join(_PITCHES)}, +N% or +Nst")
    change = _number(match[1])
    return 1 + change / 100 if match[2] == "%" else 2 ** (_clamp(change, -48, 48) / 12)


def _volume(value: str) -> float:
    if value in _VOLUMES:
        return _VOLUMES[value]
    decibels = re.fullmatch(f"([+-]?{_NUMBER})dB", value)
    percent = re.fullmatch(f"({_NUMBER})%", value)
    if decibels:
        return 10 ** (_clamp(_number(decibels[1]), -120, 120) / 20)
    if percent:
        return _number(percent[1]) / 100
    raise _BadValue(f"is not one of {', '.join(_VOLUMES)}, +NdB or N%")


def _break_ms(attrib: dict[str, str]) -> int:
    time = _attribute(attrib, "time", _duration_ms)
    if time is not None:
        return time
    strength = _attribute(attrib, "strength", _label(_STRENGTH_MS))
    return _STRENGTH_MS["medium"] if strength is None else strength


def _duration_ms(value: str) -> int:
    match = re.fullmatch(f"({_NUMBER})(ms|s)", value)
    if match is None:
        raise _BadValue("is not a duration like 500ms or 1.5s")
    ms = _number(match[1]) * (1 if match[2] == "ms" else 1000)
    if ms > MAX_BREAK_MS:
        raise _BadValue(f"is over the limit of {MAX_BREAK_MS}ms")
    return round(ms)
