"""SSML documents as segments: parsed runs, cut like plain text, offsets kept.

Runs with no pause between them belong to one phrase. For an engine that reads prosody
markup, a phrase whose prosody changes part-way (an emphasized word) becomes one markup
segment, so the sentence keeps its intonation; for other engines each run is spoken on its
own. Every character of a markup segment still maps back to the SSML source.

Each run is read first (:func:`~tts_agents.text.normalize.read_text`): ``<say-as>`` and
``<sub>`` content always, the rest of the text when normalization is on. Segments carry the
tokens, so word timings point at the SSML source.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from tts_agents.errors import TTSValidationError
from tts_agents.text.normalize import Reader, read_text, reader_for
from tts_agents.text.segment import (
    DEFAULT_SIZES,
    MAX_CHARS,
    Prosody,
    Segment,
    SegmentSizes,
    split_segment,
)
from tts_agents.text.ssml import Run, parse_ssml
from tts_agents.text.tokens import Token

__all__ = ["ssml_segments"]

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def ssml_segments(
    source: str,
    *,
    markup: bool = False,
    sizes: SegmentSizes = DEFAULT_SIZES,
    language: str | None = None,
    normalize: bool = False,
) -> list[Segment]:
    """Parse ``source`` (raising a validation error with the position) into segments.

    ``language`` picks the reader for ``<say-as>`` (and for all text when ``normalize``).
    A document with neither words nor breaks (``<speak></speak>``, only ``<mark>``s, an
    empty ``<sub>``) is refused: there is nothing to speak.
    """
    reader = reader_for(language)
    runs = [_read(run, reader if normalize else None) for run in parse_ssml(source, reader)]
    segments = list(_segments(runs, markup, sizes))
    if not segments:
        raise TTSValidationError("text", "the SSML holds nothing to speak (no words, no breaks)")
    return segments


def _segments(runs: list[Run], markup: bool, sizes: SegmentSizes) -> Iterator[Segment]:
    spoken = emitted = 0  # segments with words so far, and their characters
    for phrase in _phrases(runs):
        if markup and len({run.prosody for run in phrase}) > 1:
            segment = _markup_segment(phrase)
            spoken, emitted = spoken + 1, emitted + sum(len(run.text) for run in phrase)
            yield segment
            continue
        for run in phrase:
            pause = run.pause_after_ms
            segment = Segment(
                run.text, run.offsets[0], run.offsets, run.prosody, pause, tokens=run.tokens
            )
            if not run.text.strip():  # a break with no words around it: only its silence
                if pause:
                    yield segment
                continue
            for part in split_segment(segment, index=spoken, emitted=emitted, sizes=sizes):
                if part.text.strip():
                    spoken, emitted = spoken + 1, emitted + len(part.text)
                yield part


def _read(run: Run, reader: Reader | None) -> Run:
    """The run as it will be spoken (a ``<phoneme>`` run is spoken from its phonemes)."""
    ends = run.ends or tuple(start + 1 for start in run.offsets[:-1])
    reading = read_text(run.text, run.offsets, ends, None if run.phonemes else reader, run.fixed)
    return replace(run, text=reading.text, offsets=reading.offsets, tokens=reading.tokens, fixed=())


def _phrases(runs: list[Run]) -> Iterator[list[Run]]:
    """Runs joined while no pause separates them and the phrase stays segment-sized."""
    phrase: list[Run] = []
    size = 0
    for run in runs:
        if phrase and (phrase[-1].pause_after_ms or size + len(run.text) > MAX_CHARS):
            yield phrase
            phrase, size = [], 0
        phrase.append(run)
        size += len(run.text)
    if phrase:
        yield phrase


def _markup_segment(phrase: list[Run]) -> Segment:
    parts: list[str] = []
    offsets: list[int] = []
    tokens: list[Token] = []

    def add(text: str, offset: int) -> None:
        parts.append(text)
        offsets.extend([offset] * len(text))

    add("<speak>", phrase[0].offsets[0])
    for run in phrase:
        add(_prosody_tag(run.prosody), run.offsets[0])
        positions = []  # where each character of the run lands, escapes included
        for index, char in enumerate(run.text):
            positions.append(len(offsets))
            add(_ESCAPES.get(char, char), run.offsets[index])
        positions.append(len(offsets))
        for token in run.tokens or ():
            begin, end = positions[token.begin], positions[token.end]
            tokens.append(Token(begin, end, token.source_start, token.source_end, token.written))
        add("</prosody>", run.offsets[-1])
    end = phrase[-1].offsets[-1]
    add("</speak>", end)
    offsets.append(end)
    text = "".join(parts)
    pause = phrase[-1].pause_after_ms
    return Segment(text, offsets[0], tuple(offsets), Prosody(), pause, True, tuple(tokens))


def _prosody_tag(prosody: Prosody) -> str:
    return (
        f'<prosody rate="{prosody.rate * 100:.0f}%" pitch="{prosody.pitch * 100:.0f}%" '
        f'volume="{prosody.volume * 100:.0f}%">'
    )
