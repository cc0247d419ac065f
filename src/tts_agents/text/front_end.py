"""From the caller's text to the segments an engine speaks: parse, segment, normalize.

``normalize`` is ``auto`` (on for local engines, off for cloud engines that read numbers
and symbols themselves), ``on`` or ``off``. Plain text is cut into segments first (cuts fall
on whitespace, so a token is never split), then each segment is read by the language's
reader; SSML is read run by run before it is cut. Either way every segment carries its
tokens, and :func:`spoken_words` shows exactly what will be said for each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from tts_agents.errors import TTSValidationError
from tts_agents.text.normalize import Reader, read_text, reader_for
from tts_agents.text.segment import DEFAULT_SIZES, Segment, SegmentSizes, segment_text
from tts_agents.text.ssml import looks_like_ssml
from tts_agents.text.ssml_segments import ssml_segments

NormalizeMode = Literal["auto", "on", "off"]
NORMALIZE_MODES: tuple[NormalizeMode, ...] = ("auto", "on", "off")


@dataclass(frozen=True, slots=True)
class SpokenWord:
    """A word the engine will say, and the input token (``text[start:end]``) it reads."""

    word: str
    start: int
    end: int


def normalize_mode(value: str | bool | None) -> NormalizeMode:
    """``auto``/``on``/``off`` (also ElevenLabs' values and booleans), else a validation error."""
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return "on" if value else "off"
    mode = value.strip().lower()
    if mode in NORMALIZE_MODES:
        return mode  # type: ignore[return-value]
    raise TTSValidationError("normalize", f"must be one of auto, on, off, not {value!r}")


def normalizes(mode: NormalizeMode, local: bool) -> bool:
    """Whether text is normalized for an engine (``local``: not a cloud provider)."""
    return mode == "on" or (mode == "auto" and local)


def speech_segments(
    text: str | Iterable[str],
    *,
    ssml: bool,
    language: str | None,
    normalize: bool,
    markup: bool = False,
    sizes: SegmentSizes = DEFAULT_SIZES,
) -> Iterable[Segment]:
    """Segments to speak, each carrying its tokens (SSML ``text`` must be a string)."""
    if ssml:
        if not isinstance(text, str):
            raise TypeError("SSML arrives whole, as a string")
        return ssml_segments(
            text, markup=markup, sizes=sizes, language=language, normalize=normalize
        )
    segments = segment_text([text] if isinstance(text, str) else text, sizes=sizes)
    return _read(segments, reader_for(language)) if normalize else segments


def spoken_words(
    text: str, *, language: str | None = "en-us", ssml: bool | None = None
) -> list[SpokenWord]:
    """Every word that will be spoken for ``text``, with the span of the token it reads.

    This is the front end the engines use (normalization on), so it answers "how will this
    be read?" without synthesizing anything.
    """
    is_ssml = looks_like_ssml(text) if ssml is None else ssml
    words = []
    for segment in speech_segments(text, ssml=is_ssml, language=language, normalize=True):
        for token in segment.spoken_tokens():
            for word in segment.text[token.begin : token.end].split():
                words.append(SpokenWord(word, token.source_start, token.source_end))
    return words


def _read(segments: Iterable[Segment], reader: Reader) -> Iterator[Segment]:
    for segment in segments:
        start, size = segment.start, len(segment.text)
        reading = read_text(
            segment.text, range(start, start + size), range(start + 1, start + size + 1), reader
        )
        yield Segment(
            reading.text,
            start,
            reading.offsets,
            segment.prosody,
            segment.pause_after_ms,
            tokens=reading.tokens,
        )


__all__ = [
    "NORMALIZE_MODES",
    "NormalizeMode",
    "SpokenWord",
    "normalize_mode",
    "normalizes",
    "speech_segments",
    "spoken_words",
]
