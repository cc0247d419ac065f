"""From one model call's raw output to PCM and word marks, timed by the model's durations.

Kokoro and Piper decide how many frames each input token lasts; the sum of the frames
before a word's first token, times the samples per frame, is where the word starts. When a
model does not give its durations, the audio is shared evenly among the tokens instead (an
estimate that drifts within a sentence, but keeps every word in order and in its clause).
Pads before the first spoken token and after the last one carry silence the model adds to
every call; trimming them to ``lead``/``tail`` keeps the gaps between pieces natural.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tts_agents.types import WordMark


@dataclass(frozen=True, slots=True)
class RunLayout:
    """Where things sit in one model call's input.

    ``tokens`` inputs in all (pads included); the spoken ones are ``first``..``last``;
    ``words[i]`` (a text span) starts at input ``positions[i]``.
    """

    tokens: int
    first: int
    last: int
    words: Sequence[tuple[int, int]]
    positions: Sequence[int]


def render(
    audio: np.ndarray,
    frames: np.ndarray | None,
    layout: RunLayout,
    *,
    frame: int,
    lead: int,
    tail: int,
    volume: float = 1.0,
    trim_quiet: bool = False,
) -> tuple[bytes, list[WordMark]]:
    """Trimmed s16le PCM of ``audio`` (floats in [-1, 1]) and its word marks.

    ``trim_quiet`` also cuts the fade after the last sound of the last token: a model
    that thinks its input is a whole utterance lengthens the last word and trails off into
    a quarter second of near-silence, which mid-sentence is a pause nobody said.
    """
    bounds = _token_bounds(frames, layout.tokens, len(audio), frame)
    start = max(0, int(bounds[layout.first]) - lead)
    last_end = int(bounds[layout.last + 1])
    if trim_quiet:
        last_end = _sound_end(audio, int(bounds[layout.last]), last_end)
    end = max(start, min(len(audio), last_end + tail))
    marks = [
        WordMark(span[0], span[1], max(0, int(bounds[position]) - start))
        for span, position in zip(layout.words, layout.positions, strict=True)
    ]
    scaled = np.clip(audio[start:end] * (32767.0 * volume), -32768, 32767)
    return scaled.astype("<i2").tobytes(), marks


_WINDOW = 240  # samples over which loudness is measured when trimming (10 ms at 24 kHz)
_QUIET_DB = -45.0  # dBFS: below this the voice has faded out


def _sound_end(audio: np.ndarray, begin: int, end: int) -> int:
    """The end of the last window between ``begin`` and ``end`` louder than ``_QUIET_DB``."""
    span = audio[begin:end]
    count = len(span) // _WINDOW
    if count == 0:
        return end
    windows = span[: count * _WINDOW].reshape(count, _WINDOW)
    loud = np.flatnonzero(np.mean(windows * windows, axis=1) > 10 ** (_QUIET_DB / 10))
    return end if len(loud) == 0 else begin + (int(loud[-1]) + 1) * _WINDOW


def _token_bounds(frames: np.ndarray | None, tokens: int, samples: int, frame: int) -> np.ndarray:
    """Sample offset where each input starts, plus the end.

    From ``frames`` when they account for exactly ``samples``, else an even split (so
    nothing depends on an export's details).
    """
    if frames is not None and len(frames) == tokens:
        bounds = np.concatenate([[0], np.cumsum(frames.astype(np.int64))]) * frame
        if bounds[-1] == samples:
            return bounds
    return np.linspace(0, samples, tokens + 1).round().astype(np.int64)


__all__ = ["RunLayout", "render"]
