"""Timing consumers of a speech stream: subtitle files and the response's alignment.

Both turn the stream's word marks into timed words; subtitles go to disk cue by cue as the
audio streams (memory stays flat for a book), the alignment is built for short requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tts_agents.models import Alignment, WordTiming
from tts_agents.text.subtitles import (
    CueBuilder,
    SubtitleWriter,
    TimedWord,
    WordTimeline,
    character_alignment,
    subtitle_kind,
)
from tts_agents.types import WordMark


class SubtitleTrack:
    """Writes an SRT or VTT file from word marks as they arrive; atomic on :meth:`finish`."""

    def __init__(self, path: str | Path, sample_rate: int) -> None:
        subtitle_kind(path)  # refuse a bad extension before any audio is made
        self._writer = SubtitleWriter(path)
        self._timeline = WordTimeline(sample_rate)
        self._cues = CueBuilder()

    def add(self, marks: Sequence[WordMark]) -> None:
        """Feed the marks of one audio chunk."""
        for mark in marks:
            for word in self._timeline.add(mark, mark.word):
                self._writer.write(self._cues.add(word))

    def finish(self, total_samples: int) -> None:
        """Close the last word at the end of the audio and move the file into place."""
        for word in self._timeline.finish(total_samples):
            self._writer.write(self._cues.add(word))
        self._writer.write(self._cues.finish())
        self._writer.close()

    def abort(self) -> None:
        """Drop the partial file."""
        self._writer.abort()


def timed_words(marks: Sequence[WordMark], sample_rate: int, total_samples: int) -> list[TimedWord]:
    """Start and end times of every word (a word ends where the next begins)."""
    timeline = WordTimeline(sample_rate)
    words = [word for mark in marks for word in timeline.add(mark, mark.word)]
    return words + timeline.finish(total_samples)


def alignment(text: str, marks: Sequence[WordMark], sample_rate: int, samples: int) -> Alignment:
    """Word- and character-level timings of ``text`` from the stream's word marks."""
    words = timed_words(marks, sample_rate, samples)
    characters, starts, ends = character_alignment(words, text)
    return Alignment(
        words=[
            WordTiming(
                word=w.text,
                start=w.start,
                end=w.end,
                text_start=w.source_start,
                text_end=w.source_end,
            )
            for w in words
        ],
        characters=characters,
        character_start_times=starts,
        character_end_times=ends,
    )
