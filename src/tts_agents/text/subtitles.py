"""Subtitles from word marks: timed words, cues, SRT and WebVTT, character alignment.

The pipeline yields word marks while audio streams, so everything here is incremental:
:class:`WordTimeline` holds back one word, :class:`CueBuilder` one cue, and
:class:`SubtitleWriter` writes each cue as it comes. Memory stays flat for book-length input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Protocol

from tts_agents.errors import TTSValidationError, map_errors
from tts_agents.files import atomic_output

PAUSE_SECONDS = 0.6
"""A silence longer than this between two words starts a new cue."""

_SENTENCE_END = frozenset(".!?;:…。！？；：")
# Closing quotes and brackets may follow the punctuation: `He said "stop."`
_CLOSERS = "\"'”’»)]}」』"
_KINDS = ("srt", "vtt")


class Mark(Protocol):
    """What :class:`WordTimeline` needs of a word mark (:class:`~tts_agents.types.WordMark`)."""

    @property
    def text_start(self) -> int:
        """Offset of the word's first character in the original input."""

    @property
    def text_end(self) -> int:
        """Offset just past the word's last character."""

    @property
    def sample(self) -> int:
        """Sample index, from the start of the stream, where the word begins."""


@dataclass(frozen=True, slots=True)
class TimedWord:
    """A word with its time span in the audio (seconds) and its place in the input."""

    text: str
    start: float
    end: float
    source_start: int
    source_end: int


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: 1-based ``index``, times in seconds, plain text."""

    index: int
    start: float
    end: float
    text: str


class WordTimeline:
    """Turns a stream of (mark, word text) into :class:`TimedWord` values.

    A mark only says where a word begins, so a word ends where the next one begins and
    the last one where the audio (or, if the caller knows it, the speech) ends. Each word
    is therefore held back until the next mark or :meth:`finish`.
    """

    def __init__(self, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise TTSValidationError("sample_rate", f"must be positive, not {sample_rate}")
        self._rate = sample_rate
        self._pending: tuple[str, int, int, int] | None = None
        self._last_sample = 0

    def add(self, mark: Mark, word: str) -> list[TimedWord]:
        """Record the word starting at ``mark``; return the words now complete."""
        # A mark before the previous one would make time run backwards; pin it instead.
        start = max(mark.sample, self._last_sample)
        done = self._complete(start)
        self._pending = (word, start, mark.text_start, mark.text_end)
        self._last_sample = start
        return done

    def finish(self, total_samples: int, *, speech_end: int | None = None) -> list[TimedWord]:
        """Close the last word at ``total_samples``, or at ``speech_end`` if that is earlier.

        ``speech_end`` (a sample index) keeps trailing silence out of the last word.
        """
        end = total_samples if speech_end is None else min(speech_end, total_samples)
        return self._complete(max(end, self._last_sample))

    def _complete(self, end_sample: int) -> list[TimedWord]:
        if self._pending is None:
            return []
        word, start, source_start, source_end = self._pending
        self._pending = None
        return [
            TimedWord(word, start / self._rate, end_sample / self._rate, source_start, source_end)
        ]


class CueBuilder:
    """Groups :class:`TimedWord` values into subtitle cues, one cue held back at a time.

    A cue has at most ``max_chars`` characters and lasts at most ``max_seconds``; a cue
    ends after sentence punctuation (. ! ? ; :) and before a pause longer than
    :data:`PAUSE_SECONDS`. A word is never split: one longer than the limits gets a cue
    of its own. Times are whole milliseconds, each cue lasts at least 1 ms and starts no
    earlier than the previous one ends, so formatting can never reorder them.
    """

    def __init__(self, max_chars: int = 42, max_seconds: float = 6.0) -> None:
        if max_chars < 1:
            raise TTSValidationError("max_chars", f"must be at least 1, not {max_chars}")
        if not max_seconds > 0:
            raise TTSValidationError("max_seconds", f"must be positive, not {max_seconds}")
        self._max_chars = max_chars
        self._max_ms = _to_ms(max_seconds)
        self._pause_ms = _to_ms(PAUSE_SECONDS)
        self._words: list[TimedWord] = []
        self._chars = 0
        self._index = 0
        self._last_end_ms = 0

    def add(self, word: TimedWord) -> list[Cue]:
        """Add the next word; return the cues now complete (zero, one or two)."""
        text = " ".join(word.text.split())
        if not text:
            return []
        cues = []
        if self._words and not self._fits(word, text):
            cues.append(self._emit())
        self._chars += len(text) + (1 if self._words else 0)
        self._words.append(replace(word, text=text))
        if _ends_sentence(text):
            cues.append(self._emit())
        return cues

    def finish(self) -> list[Cue]:
        """Return the last cue, if any words are left."""
        return [self._emit()] if self._words else []

    def _fits(self, word: TimedWord, text: str) -> bool:
        return (
            _to_ms(word.start) - _to_ms(self._words[-1].end) <= self._pause_ms
            and self._chars + 1 + len(text) <= self._max_chars
            and _to_ms(word.end) - _to_ms(self._words[0].start) <= self._max_ms
        )

    def _emit(self) -> Cue:
        words, self._words, self._chars = self._words, [], 0
        start_ms = max(_to_ms(words[0].start), self._last_end_ms)
        end_ms = max(_to_ms(words[-1].end), start_ms + 1)
        self._last_end_ms = end_ms
        self._index += 1
        text = " ".join(word.text for word in words)
        return Cue(self._index, start_ms / 1000, end_ms / 1000, text)


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _to_ms(seconds: float) -> int:
    # Round half up; monotonic, so rounding two ordered times never swaps them.
    return math.floor(seconds * 1000 + 0.5)


def _timestamp(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _timing(cue: Cue, separator: str) -> str:
    start = max(_to_ms(cue.start), 0)
    end = max(_to_ms(cue.end), start)
    return f"{_timestamp(start, separator)} --> {_timestamp(end, separator)}"


def _payload(text: str) -> str:
    # A blank line ends a cue in both formats, so it must not appear inside one.
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("cue text is empty")
    return "\n".join(lines)


def format_srt_cue(cue: Cue) -> str:
    """Format one cue as an SRT block: index, ``HH:MM:SS,mmm`` timing line, text, blank line."""
    return f"{cue.index}\n{_timing(cue, ',')}\n{_payload(cue.text)}\n\n"


def format_vtt_header() -> str:
    """Return the header every WebVTT file starts with."""
    return "WEBVTT\n\n"


def format_vtt_cue(cue: Cue) -> str:
    """Format one cue as a WebVTT block (no identifier); ``& < >`` are escaped."""
    text = _payload(cue.text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"{_timing(cue, '.')}\n{text}\n\n"


def subtitle_kind(path: str | Path) -> str:
    """Return ``"srt"`` or ``"vtt"`` from the file extension, else raise a validation error."""
    suffix = Path(path).suffix.lower()
    if suffix.lstrip(".") not in _KINDS:
        shown = repr(suffix) if suffix else "no extension"
        raise TTSValidationError(
            "subtitles", f"unknown subtitle format ({shown}); use .srt or .vtt"
        )
    return suffix.lstrip(".")


class _Aborted(Exception):
    """Thrown into the atomic output to make it discard the temporary file."""


class SubtitleWriter:
    """Writes cues to ``path`` as they come; the file appears whole on :meth:`close`.

    Cues go to a temporary file beside ``path`` that replaces it on :meth:`close`;
    :meth:`abort`, or an exception inside ``with``, removes it and leaves nothing behind.
    ``kind`` (``"srt"`` or ``"vtt"``) defaults to the file extension.
    """

    def __init__(self, path: str | Path, kind: str | None = None) -> None:
        self.kind = subtitle_kind(path) if kind is None else kind.lower()
        if self.kind not in _KINDS:
            raise TTSValidationError(
                "subtitles", f"unknown subtitle format {kind!r}; use srt or vtt"
            )
        self._action = f"write {Path(path).name}"
        self._output = atomic_output(path)
        self._handle = self._output.__enter__()
        self._open = True
        if self.kind == "vtt":
            try:
                self._write(format_vtt_header())
            except BaseException:
                self.abort()
                raise

    def write(self, cues: Iterable[Cue]) -> None:
        """Append ``cues`` to the file."""
        if not self._open:
            raise ValueError("write to a closed SubtitleWriter")
        format_cue = format_srt_cue if self.kind == "srt" else format_vtt_cue
        for cue in cues:
            self._write(format_cue(cue))

    def close(self) -> None:
        """Finish the file and move it into place; does nothing if already closed."""
        if self._open:
            self._open = False
            self._output.__exit__(None, None, None)

    def abort(self) -> None:
        """Discard everything written; does nothing if already closed."""
        if self._open:
            self._open = False
            self._output.__exit__(_Aborted, _Aborted(), None)

    def __enter__(self) -> SubtitleWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self.abort()

    def _write(self, text: str) -> None:
        with map_errors(self._action):
            self._handle.write(text.encode("utf-8"))


_SRT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d),(\d{3})"
_SRT_TIMING = re.compile(rf"{_SRT_TIME}[ \t]+-->[ \t]+{_SRT_TIME}")
_VTT_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_TIMING = re.compile(rf"{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t]+\S.*)?")
_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t].*)?")
_VTT_TAG = re.compile(r"<[^>]*>")
_VTT_ENTITY = re.compile(r"&(amp|lt|gt|nbsp|lrm|rlm);")
_VTT_ENTITIES = {
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "nbsp": "\u00a0",
    "lrm": "\u200e",
    "rlm": "\u200f",
}


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number of the first line, lines) for each blank-line-separated block."""
    block: list[str] = []
    first = 0
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if line.strip():
            first = first if block else number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _parse_timing(line: str, number: int, pattern: re.Pattern[str]) -> tuple[float, float]:
    match = pattern.fullmatch(line)
    if match is None:
        raise ValueError(f"line {number}: expected a timing line, got {line!r}")
    h1, m1, s1, ms1, h2, m2, s2, ms2 = (int(group or 0) for group in match.groups())
    start = (h1 * 3600 + m1 * 60 + s1) * 1000 + ms1
    end = (h2 * 3600 + m2 * 60 + s2) * 1000 + ms2
    if end < start:
        raise ValueError(f"line {number}: cue ends before it starts")
    return start / 1000, end / 1000


def parse_srt(text: str) -> list[Cue]:
    """Parse SRT strictly; raise ``ValueError`` naming the line of the first problem."""
    cues = []
    for number, lines in _blocks(text):
        if not lines[0].isdigit() or int(lines[0]) < 1:
            raise ValueError(f"line {number}: expected a cue number, got {lines[0]!r}")
        if len(lines) < 2:
            raise ValueError(f"line {number + 1}: expected a timing line, got a blank line")
        start, end = _parse_timing(lines[1], number + 1, _SRT_TIMING)
        if len(lines) < 3:
            raise ValueError(f"line {number + 2}: cue {lines[0]} has no text")
        cues.append(Cue(int(lines[0]), start, end, "\n".join(lines[2:])))
    return cues


def parse_vtt(text: str) -> list[Cue]:
    """Parse WebVTT strictly into plain-text cues numbered from 1.

    Cue identifiers, settings, NOTE/STYLE/REGION blocks and markup tags are dropped;
    character references are decoded. Raises ``ValueError`` naming the line of a problem.
    """
    blocks = _blocks(text)
    number, header = next(blocks, (1, [""]))
    if number != 1 or not _VTT_HEADER.fullmatch(header[0]):
        raise ValueError("line 1: expected the WEBVTT header")
    for offset, line in enumerate(header):
        if "-->" in line:
            raise ValueError(f"line {number + offset}: expected a blank line after the header")
    cues = []
    for number, lines in blocks:
        if lines[0].split(maxsplit=1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing = 0 if "-->" in lines[0] else 1  # else the first line is an identifier
        if timing >= len(lines):
            raise ValueError(f"line {number + 1}: expected a timing line, got a blank line")
        start, end = _parse_timing(lines[timing], number + timing, _VTT_TIMING)
        payload = "\n".join(_VTT_TAG.sub("", line) for line in lines[timing + 1 :])
        payload = _VTT_ENTITY.sub(lambda match: _VTT_ENTITIES[match[1]], payload)
        cues.append(Cue(len(cues) + 1, start, end, payload))
    return cues


def character_alignment(
    words: Sequence[TimedWord], text: str, text_offset: int = 0
) -> tuple[list[str], list[float], list[float]]:
    """Per-character timing of ``text`` (ElevenLabs ``alignment``): characters, starts, ends.

    ``text`` starts at source offset ``text_offset``. A character inside a word gets an
    equal share of the word's span; one between words (space, punctuation) gets a
    zero-length span at the previous word's end, or 0.0 before the first word. The lists
    are as long as ``text``, and times never go backwards even if the words do.
    """
    ordered = sorted(words, key=lambda word: word.source_start)
    starts: list[float] = []
    ends: list[float] = []
    position, previous_end, floor = 0, 0.0, 0.0
    for offset in range(text_offset, text_offset + len(text)):
        while position < len(ordered) and ordered[position].source_end <= offset:
            previous_end = ordered[position].end
            position += 1
        start = end = previous_end
        if position < len(ordered) and ordered[position].source_start <= offset:
            word = ordered[position]
            duration, count = word.end - word.start, word.source_end - word.source_start
            index = offset - word.source_start
            start = word.start + index * duration / count
            end = word.start + (index + 1) * duration / count
        floor = max(start, floor)
        starts.append(floor)
        floor = max(end, floor)
        ends.append(floor)
    return list(text), starts, ends
