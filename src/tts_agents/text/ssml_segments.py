"""SSML documents as segments: parsed runs, cut like plain text, offsets kept."""

from __future__ import annotations

from collections.abc import Iterator

from tts_agents.text.segment import Segment, split_segment
from tts_agents.text.ssml import parse_ssml

__all__ = ["ssml_segments"]


def ssml_segments(source: str) -> list[Segment]:
    """Parse ``source`` (raising a validation error with the position) into segments."""
    return list(_segments(source))


def _segments(source: str) -> Iterator[Segment]:
    first = True
    for run in parse_ssml(source):
        segment = Segment(run.text, run.offsets[0], run.offsets, run.prosody, run.pause_after_ms)
        for part in split_segment(segment, first=first):
            first = first and not part.text.strip()
            yield part
