"""Segmentation: short first piece, long later ones, cuts only on whitespace, exact offsets."""

from __future__ import annotations

import re

import pytest

from tts_agents.text.segment import FIRST_MAX_CHARS, MAX_CHARS, SegmentSizes, segment_text

TEXT = (
    "Dr. Smith paid 1,234.56 dollars at 10.30 a.m. on 2024-03-05, and nobody asked why. "
    "The committee met again; it voted. Then it adjourned!  Questions? None.\n\n"
) * 40


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 13, 4096, len(TEXT)])
def test_segments_do_not_depend_on_how_input_is_split(size: int) -> None:
    expected = [(s.text, s.start) for s in segment_text([TEXT])]
    assert [(s.text, s.start) for s in segment_text(pieces(TEXT, size))] == expected


def test_offsets_point_at_the_input_and_cover_every_word() -> None:
    segments = list(segment_text(pieces(TEXT, 97)))
    for segment in segments:
        assert TEXT[segment.start : segment.start + len(segment.text)] == segment.text
    assert " ".join(s.text for s in segments).split() == TEXT.split()


def test_first_segment_is_short_and_later_ones_are_long() -> None:
    segments = list(segment_text([TEXT]))
    assert len(segments[0].text) <= FIRST_MAX_CHARS
    assert all(len(s.text) <= MAX_CHARS for s in segments)
    assert sum(len(s.text) for s in segments[1:-1]) / len(segments[1:-1]) > MAX_CHARS / 2


def test_never_cuts_inside_a_word_or_number() -> None:
    words = set(TEXT.split())
    for segment in segment_text(pieces(TEXT, 7), sizes=SegmentSizes((50,))):
        first, last = segment.text.split()[0], segment.text.split()[-1]
        assert first in words and last in words, segment.text


def test_no_cut_after_abbreviations_or_initials() -> None:
    text = "Dr. Smith met Mrs. Jones at 9 a.m. in the U.S. office today. " * 30
    starts = {s.text.split()[0] for s in segment_text([text])}
    assert starts <= {"Dr."}, starts


def test_overlong_word_and_whitespace_only_input() -> None:
    word = "x" * 3000
    assert [len(s.text) for s in segment_text([word + " end"])] == [3000, 3]
    assert list(segment_text(["   \n\t  "])) == []


def test_sentence_ends_are_preferred_cut_points() -> None:
    segments = list(segment_text([TEXT]))
    ends = [s.text[-1] for s in segments[1:-1]]
    assert all(re.match(r"[.!?]", end) for end in ends), ends


def test_growth_keeps_each_segment_within_the_text_already_cut() -> None:
    sizes = SegmentSizes((24, 400), growth=1.0)
    segments = list(segment_text(pieces(TEXT, 11), sizes=sizes))
    assert len(segments[0].text) <= 24
    emitted = 0
    for segment in segments:
        if emitted:
            assert len(segment.text) <= max(24, emitted), (emitted, segment.text)
        emitted += len(segment.text)
    assert max(len(s.text) for s in segments) > 300  # and they still grow to the cap


def test_a_first_piece_does_not_end_on_a_leaning_word() -> None:
    text = "Please tell me the weather forecast for tomorrow in London."
    first = next(segment_text([text], sizes=SegmentSizes((24, 400))))
    assert first.text == "Please tell me"
