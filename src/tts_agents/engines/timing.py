"""Word start times from the per-phoneme durations a neural model predicts.

Kokoro and Piper decide how many frames each input token lasts; the sum of the frames
before a word's first token, times the samples per frame, is where the word starts. When a
model does not give its durations, the audio is shared evenly among the tokens instead (an
estimate that drifts within a sentence, but keeps every word in order and in its clause).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def token_bounds(
    frames: np.ndarray | None, tokens: int, samples: int, frame_samples: int
) -> np.ndarray:
    """Sample offset where each of ``tokens`` inputs starts, plus the end (``tokens + 1``).

    Uses ``frames`` (per-token durations) when they account for exactly ``samples``;
    otherwise an even split, so callers never depend on a model's export details.
    """
    if frames is not None and len(frames) == tokens:
        bounds = np.concatenate([[0], np.cumsum(frames, dtype=np.int64)]) * frame_samples
        if bounds[-1] == samples:
            return bounds
    return np.linspace(0, samples, tokens + 1).round().astype(np.int64)


def trim_silence(
    bounds: np.ndarray, first: int, last: int, lead: int, tail: int
) -> tuple[int, int]:
    """Where to cut the audio: ``lead``/``tail`` samples kept around tokens ``first``..``last``.

    Pads before the first spoken token and after the last one carry silence the model
    adds to every call; trimming them keeps the gaps between pieces natural.
    """
    start = max(0, int(bounds[first]) - lead)
    end = min(int(bounds[-1]), int(bounds[last + 1]) + tail)
    return start, max(start, end)


def starts(bounds: np.ndarray, positions: Sequence[int], cut: int) -> list[int]:
    """Sample (after cutting ``cut`` samples from the front) where each position starts."""
    return [max(0, int(bounds[position]) - cut) for position in positions]


__all__ = ["starts", "token_bounds", "trim_silence"]
