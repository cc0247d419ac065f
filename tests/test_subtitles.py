"""Subtitles: word timeline, cue grouping, SRT/WebVTT, atomic writer, character alignment."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tts_agents.errors import TTSFileError, TTSValidationError
from tts_agents.text.subtitles import (
    Cue,
    CueBuilder,
    SubtitleWriter,
    TimedWord,
    WordTimeline,
    character_alignment,
    format_srt_cue,
    format_vtt_cue,
    format_vtt_header,
    parse_srt,
    parse_vtt,
    subtitle_kind,
)
from tts_agents.types import WordMark

RATE = 1000  # one sample per millisecond keeps the arithmetic readable


@dataclass(frozen=True)
class FakeMark:
    text_start: int
    text_end: int
    sample: int


def timed(text: str, start: float, end: float, source_start: int = 0) -> TimedWord:
    return TimedWord(text, start, end, source_start, source_start + len(text))


def words_of(text: str, seconds_per_word: float = 0.3) -> list[TimedWord]:
    """Back-to-back words with their real offsets in ``text``."""
    return [
        TimedWord(m[0], i * seconds_per_word, (i + 1) * seconds_per_word, m.start(), m.end())
        for i, m in enumerate(re.finditer(r"\S+", text))
    ]


def build(words: list[TimedWord], **limits: float) -> list[Cue]:
    builder = CueBuilder(**limits)  # type: ignore[arg-type]
    cues = [cue for word in words for cue in builder.add(word)]
    return cues + builder.finish()


def assert_monotonic(cues: list[Cue]) -> None:
    assert [cue.index for cue in cues] == list(range(1, len(cues) + 1))
    for cue in cues:
        assert cue.end > cue.start
    for before, after in zip(cues, cues[1:], strict=False):
        assert after.start >= before.end


# --- WordTimeline -------------------------------------------------------------------------


def test_timeline_holds_back_one_word_and_ends_it_at_the_next_mark() -> None:
    timeline = WordTimeline(RATE)
    assert timeline.add(FakeMark(0, 5, 100), "Hello") == []
    assert timeline.add(FakeMark(6, 11, 600), "world") == [TimedWord("Hello", 0.1, 0.6, 0, 5)]


def test_timeline_closes_the_last_word_at_total_samples() -> None:
    timeline = WordTimeline(RATE)
    timeline.add(FakeMark(0, 5, 100), "Hello")
    timeline.add(FakeMark(6, 11, 600), "world")
    assert timeline.finish(1500) == [TimedWord("world", 0.6, 1.5, 6, 11)]
    assert timeline.finish(2000) == []


def test_timeline_speech_end_trims_trailing_silence() -> None:
    timeline = WordTimeline(RATE)
    timeline.add(FakeMark(0, 5, 100), "Hello")
    assert timeline.finish(1500, speech_end=900)[0].end == 0.9


def test_timeline_never_runs_backwards() -> None:
    timeline = WordTimeline(RATE)
    timeline.add(FakeMark(0, 1, 500), "a")
    assert timeline.add(FakeMark(2, 3, 200), "b")[0].end == 0.5
    last = timeline.finish(100)[0]
    assert last.start == last.end == 0.5


def test_timeline_accepts_the_real_word_mark() -> None:
    timeline = WordTimeline(24_000)
    timeline.add(WordMark(text_start=0, text_end=2, sample=0), "Hi")
    assert timeline.finish(12_000) == [TimedWord("Hi", 0.0, 0.5, 0, 2)]


def test_timeline_rejects_a_bad_sample_rate() -> None:
    with pytest.raises(TTSValidationError) as info:
        WordTimeline(0)
    assert info.value.field == "sample_rate"


# --- CueBuilder ---------------------------------------------------------------------------


def test_cues_break_before_exceeding_max_chars() -> None:
    words = words_of("aaaa bbbb cccc dddd eeee", seconds_per_word=0.1)
    cues = build(words, max_chars=14)
    assert [cue.text for cue in cues] == ["aaaa bbbb cccc", "dddd eeee"]


def test_cues_break_before_exceeding_max_seconds() -> None:
    words = words_of("one two three four five", seconds_per_word=1.0)
    cues = build(words, max_seconds=2.0)
    assert [cue.text for cue in cues] == ["one two", "three four", "five"]
    assert all(cue.end - cue.start <= 2.0 for cue in cues)


def test_cues_break_after_sentence_punctuation() -> None:
    text = 'Stop. Wait! Why? Because; "it is." Fine: ok'
    cues = build(words_of(text, seconds_per_word=0.1))
    assert [cue.text for cue in cues] == [
        "Stop.",
        "Wait!",
        "Why?",
        "Because;",
        '"it is."',
        "Fine:",
        "ok",
    ]


def test_cues_break_at_long_pauses_only() -> None:
    words = [timed("one", 0.0, 0.3), timed("two", 0.9, 1.2), timed("three", 1.85, 2.0)]
    assert [cue.text for cue in build(words)] == ["one two", "three"]


def test_cue_builder_emits_a_cue_as_soon_as_it_is_complete() -> None:
    builder = CueBuilder(max_chars=11)
    assert builder.add(timed("Hello", 0.0, 0.5)) == []
    assert builder.add(timed("again", 0.5, 1.0)) == []
    assert [cue.text for cue in builder.add(timed("world", 1.0, 1.5))] == ["Hello again"]
    assert [cue.text for cue in builder.add(timed("now.", 1.5, 2.0))] == ["world now."]
    assert builder.finish() == []


def test_a_long_word_is_never_split() -> None:
    word = "Donaudampfschifffahrtsgesellschaftskapitän"
    cues = build([timed("a", 0, 1), timed(word, 1, 9), timed("b", 9, 10)], max_chars=10)
    assert [cue.text for cue in cues] == ["a", word, "b"]


def test_cue_text_is_the_words_joined_by_single_spaces() -> None:
    words = [timed(" spaced ", 0, 1), timed("", 1, 1.5), timed("out\nword", 1.5, 2)]
    assert [cue.text for cue in build(words)] == ["spaced out word"]


def test_cue_times_are_whole_milliseconds_and_strictly_monotonic() -> None:
    words = [
        timed("zero", 1.0, 1.0),  # zero length
        timed("back", 0.5, 0.8),  # earlier than the previous word
        timed("tiny.", 2.00001, 2.00004),
        timed("next", 2.00004, 2.0005),
    ]
    cues = build(words, max_chars=9)
    assert_monotonic(cues)
    for cue in cues:
        assert round(cue.start * 1000) / 1000 == cue.start
        assert round(cue.end * 1000) / 1000 == cue.end


def test_many_cues_from_a_real_timeline_stay_monotonic() -> None:
    text = (
        "The weather is fine today. Tomorrow it may rain, they say, so take a coat! " * 40
    ).strip()
    timeline = WordTimeline(22_050)
    sample, words = 0, []
    for i, match in enumerate(re.finditer(r"\S+", text)):
        words += timeline.add(FakeMark(match.start(), match.end(), sample), match[0])
        sample += 3_000 + (i % 7) * 1_111
    words += timeline.finish(sample + 5_000)
    cues = build(words)
    assert_monotonic(cues)
    assert all(len(cue.text) <= 42 and cue.end - cue.start <= 6.0 for cue in cues)
    assert " ".join(cue.text for cue in cues) == text


@pytest.mark.parametrize(
    ("limits", "field"), [({"max_chars": 0}, "max_chars"), ({"max_seconds": 0}, "max_seconds")]
)
def test_cue_builder_rejects_bad_limits(limits: dict[str, float], field: str) -> None:
    with pytest.raises(TTSValidationError) as info:
        CueBuilder(**limits)  # type: ignore[arg-type]
    assert info.value.field == field


# --- formatting and parsing ---------------------------------------------------------------


def test_srt_and_vtt_cue_format() -> None:
    cue = Cue(1, 0.0, 1.25, "text")
    assert format_srt_cue(cue) == "1\n00:00:00,000 --> 00:00:01,250\ntext\n\n"
    assert format_vtt_header() == "WEBVTT\n\n"
    assert format_vtt_cue(cue) == "00:00:00.000 --> 00:00:01.250\ntext\n\n"
    late = Cue(7, 3723.0045, 363_599.9996, "x")
    assert format_srt_cue(late).splitlines()[1] == "01:02:03,005 --> 101:00:00,000"


def test_rounding_never_makes_a_cue_end_before_it_starts() -> None:
    timing = format_srt_cue(Cue(1, 0.0005, 0.0004, "x")).splitlines()[1]
    assert timing == "00:00:00,001 --> 00:00:00,001"


def test_formatting_rejects_empty_text_and_drops_blank_lines() -> None:
    with pytest.raises(ValueError, match="empty"):
        format_srt_cue(Cue(1, 0, 1, " \n "))
    assert parse_srt(format_srt_cue(Cue(1, 0, 1, "a\n\nb")))[0].text == "a\nb"


def test_srt_round_trip() -> None:
    cues = build(words_of("Hello there. This is a test of the subtitle writer, it works!"))
    assert len(cues) > 1
    assert parse_srt("".join(format_srt_cue(cue) for cue in cues)) == cues


def test_vtt_round_trip_with_escaping() -> None:
    cues = [Cue(1, 0.0, 1.0, "AT&T <b> & -->"), Cue(2, 1.0, 2.5, "x &lt; y")]
    body = "".join(format_vtt_cue(cue) for cue in cues)
    assert "AT&amp;T &lt;b&gt; &amp; --&gt;" in body and "x &amp;lt; y" in body
    assert "<" not in body and "-->" not in body.replace(" --> ", "")
    assert parse_vtt(format_vtt_header() + body) == cues


def test_parse_srt_accepts_crlf_and_a_bom() -> None:
    text = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\nhi\r\nthere\r\n\r\n\r\n"
        "2\r\n00:00:02,000 --> 00:00:03,500\r\nyo\r\n"
    )
    assert parse_srt(text) == [Cue(1, 1.0, 2.0, "hi\nthere"), Cue(2, 2.0, 3.5, "yo")]


def test_parse_vtt_skips_notes_ids_settings_and_tags() -> None:
    text = (
        "WEBVTT - a title\nKind: captions\n\nNOTE a comment\nspanning lines\n\n"
        "intro\n01:02.500 --> 01:03.000 align:start\n<v Bob>Hi</v> &gt; there\n\n"
        "00:00:04.000 --> 00:00:05.000\nsecond\n"
    )
    assert parse_vtt(text) == [Cue(1, 62.5, 63.0, "Hi > there"), Cue(2, 4.0, 5.0, "second")]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("x\n00:00:00,000 --> 00:00:01,000\nhi\n", 1),
        ("1\n00:00:00.000 --> 00:00:01,000\nhi\n", 2),
        ("1\n00:00:00,000 --> 00:00:01,000\n", 3),
        ("1\n00:00:02,000 --> 00:00:01,000\nhi\n", 2),
        ("1\n00:00:00,000 --> 00:00:01,000\nhi\n\n\n2\n00:61:00,000 --> 00:00:01,000\nhi\n", 7),
        ("1\n00:00:00,000 --> 00:00:01,000\nhi\n\n2\n", 6),
    ],
)
def test_parse_srt_names_the_bad_line(text: str, line: int) -> None:
    with pytest.raises(ValueError, match=rf"^line {line}:"):
        parse_srt(text)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 1),
        ("\nWEBVTT\n", 1),
        ("WEBVTTX\n", 1),
        ("1\n00:00:00,000 --> 00:00:01,000\nhi\n", 1),
        ("WEBVTT\n00:00.000 --> 00:01.000\nhi\n", 2),
        ("WEBVTT\n\n00:00,000 --> 00:01.000\nhi\n", 3),
        ("WEBVTT\n\nid only\n", 4),
        ("WEBVTT\n\nid\n00:02.000 --> 00:01.000\n", 4),
    ],
)
def test_parse_vtt_names_the_bad_line(text: str, line: int) -> None:
    with pytest.raises(ValueError, match=rf"^line {line}:"):
        parse_vtt(text)


def test_parse_empty_files() -> None:
    assert parse_srt("") == []
    assert parse_vtt("WEBVTT\n") == []


# --- subtitle_kind ------------------------------------------------------------------------


def test_subtitle_kind_from_extension() -> None:
    assert subtitle_kind("a/b/out.srt") == "srt"
    assert subtitle_kind(Path("OUT.VTT")) == "vtt"


@pytest.mark.parametrize("path", ["out.txt", "out", "srt", "out.srt.bak", ".vtt"])
def test_subtitle_kind_rejects_other_extensions(path: str) -> None:
    with pytest.raises(TTSValidationError) as info:
        subtitle_kind(path)
    assert info.value.field == "subtitles"
    assert ".srt or .vtt" in info.value.message


# --- SubtitleWriter -----------------------------------------------------------------------

CUES = [Cue(1, 0.0, 1.0, "Hello & welcome."), Cue(2, 1.0, 2.0, "Goodbye <now>.")]


def test_writer_file_appears_only_on_close(tmp_path: Path) -> None:
    target = tmp_path / "out.srt"
    writer = SubtitleWriter(target)
    writer.write(CUES[:1])
    writer.write(iter(CUES[1:]))
    assert not target.exists()
    writer.close()
    assert os.listdir(tmp_path) == ["out.srt"]
    assert parse_srt(target.read_text(encoding="utf-8")) == CUES
    writer.close()  # idempotent


def test_writer_vtt_with_context_manager(tmp_path: Path) -> None:
    target = tmp_path / "out.vtt"
    with SubtitleWriter(target) as writer:
        writer.write(CUES)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n\n") and "&lt;now&gt;" in text
    assert parse_vtt(text) == CUES
    assert os.listdir(tmp_path) == ["out.vtt"]


def test_writer_kind_overrides_the_extension(tmp_path: Path) -> None:
    target = tmp_path / "captions.txt"
    with SubtitleWriter(target, kind="VTT") as writer:
        writer.write(CUES)
    assert parse_vtt(target.read_text(encoding="utf-8")) == CUES


def test_writer_replaces_an_existing_file_only_on_close(tmp_path: Path) -> None:
    target = tmp_path / "out.srt"
    target.write_text("old", encoding="utf-8")
    with SubtitleWriter(target) as writer:
        writer.write(CUES)
        assert target.read_text(encoding="utf-8") == "old"
    assert parse_srt(target.read_text(encoding="utf-8")) == CUES


def test_writer_abort_leaves_nothing(tmp_path: Path) -> None:
    writer = SubtitleWriter(tmp_path / "out.srt")
    writer.write(CUES)
    assert len(os.listdir(tmp_path)) == 1  # the temporary file
    writer.abort()
    assert os.listdir(tmp_path) == []
    writer.close()  # no-op after abort
    assert os.listdir(tmp_path) == []
    with pytest.raises(ValueError, match="closed"):
        writer.write(CUES)


def test_writer_exception_inside_with_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.vtt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="boom"):
        with SubtitleWriter(target) as writer:
            writer.write(CUES)
            raise RuntimeError("boom")
    assert os.listdir(tmp_path) == ["out.vtt"]
    assert target.read_text(encoding="utf-8") == "old"


def test_writer_rejects_unknown_kinds(tmp_path: Path) -> None:
    with pytest.raises(TTSValidationError):
        SubtitleWriter(tmp_path / "out.txt")
    with pytest.raises(TTSValidationError):
        SubtitleWriter(tmp_path / "out.srt", kind="ass")
    assert os.listdir(tmp_path) == []


def test_writer_reports_an_unwritable_path(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(TTSFileError):
        SubtitleWriter(tmp_path / "file" / "out.srt")


# --- character_alignment ------------------------------------------------------------------


def assert_alignment_shape(
    text: str, chars: list[str], starts: list[float], ends: list[float]
) -> None:
    assert chars == list(text)
    assert len(starts) == len(ends) == len(text)
    for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
        assert start <= end
        if i:
            assert start >= ends[i - 1] and start >= starts[i - 1]


def test_alignment_shares_word_spans_and_pins_gaps() -> None:
    text = "Hi, you!"
    words = [TimedWord("Hi", 0.5, 0.9, 0, 2), TimedWord("you", 1.0, 1.6, 4, 7)]
    chars, starts, ends = character_alignment(words, text)
    assert_alignment_shape(text, chars, starts, ends)
    assert starts == pytest.approx([0.5, 0.7, 0.9, 0.9, 1.0, 1.2, 1.4, 1.6])
    assert ends == pytest.approx([0.7, 0.9, 0.9, 0.9, 1.2, 1.4, 1.6, 1.6])


def test_alignment_before_the_first_word_starts_at_zero() -> None:
    chars, starts, ends = character_alignment([TimedWord("a", 1.0, 2.0, 2, 3)], "  a")
    assert starts == [0.0, 0.0, 1.0] and ends == [0.0, 0.0, 2.0]


def test_alignment_non_ascii_text() -> None:
    text = "«Grüße», café — 東京！"
    words = [
        TimedWord("Grüße", 0.0, 0.5, 1, 6),
        TimedWord("café", 0.5, 0.9, 9, 13),
        TimedWord("東京", 1.0, 1.4, 16, 18),
    ]
    chars, starts, ends = character_alignment(words, text)
    assert_alignment_shape(text, chars, starts, ends)
    assert (starts[1], ends[5]) == (0.0, 0.5)
    assert (starts[16], ends[16], starts[17], ends[17]) == pytest.approx((1.0, 1.2, 1.2, 1.4))
    assert starts[18] == ends[18] == 1.4  # the full-width "！" sits at the last word's end


def test_alignment_with_an_offset_and_words_outside_the_text() -> None:
    source = "One two three four"
    words = words_of(source)  # 0.3 s each, back to back
    chars, starts, ends = character_alignment(words, source[5:14], text_offset=5)
    assert_alignment_shape(source[5:14], chars, starts, ends)
    assert starts[0] == pytest.approx(0.3 + 0.1)  # "w", the middle of "two"
    assert starts[2] == ends[2] == pytest.approx(0.6)  # the space after "two"
    assert ends[-1] == pytest.approx(0.9)  # "three" ends where it ends
    _, starts, ends = character_alignment(words, source[3:5], text_offset=3)
    assert starts[0] == ends[0] == pytest.approx(0.3)  # the space after "One", outside the text


def test_alignment_never_goes_backwards_with_disordered_words() -> None:
    text = "ab cd ef"
    words = [
        TimedWord("ab", 2.0, 3.0, 0, 2),
        TimedWord("cd", 0.0, 1.0, 3, 5),
        TimedWord("ef", 2.5, 2.5, 6, 8),
    ]
    assert_alignment_shape(text, *character_alignment(words, text))


def test_alignment_of_empty_text_and_no_words() -> None:
    assert character_alignment([], "") == ([], [], [])
    assert character_alignment([], "ab") == (["a", "b"], [0.0, 0.0], [0.0, 0.0])
