"""SSML to runs: exact source offsets, every supported element, and refused input."""

from __future__ import annotations

import pytest

from tts_agents.errors import TTSValidationError
from tts_agents.text.segment import Segment
from tts_agents.text.ssml import Prosody, Run, looks_like_ssml, parse_ssml
from tts_agents.text.ssml_segments import ssml_segments
from tts_agents.text.tokens import Token

SAMPLES = [
    "<speak>Hello <s>world</s></speak>",
    '<speak>\n<p>One <prosody rate="slow">two</prosody> three.</p>\n<p><s>Four</s></p>\n</speak>',
    "<speak>a &amp; b&#233;&#x41; <![CDATA[<y>]]> z</speak>",
    '<speak>Day <say-as interpret-as="date" format="mdy">03/05/2024</say-as>, ok</speak>',
    '<speak>Say <phoneme ph="x">tomato</phoneme> <sub alias="W W W">WWW</sub>.</speak>',
    '<speak><break time="1s"/> <emphasis>hi</emphasis> <break/> there </speak>',
]


def spoken(source: str) -> Segment:
    """The one segment ``source`` is spoken as (say-as and sub read, the rest as written)."""
    segments = ssml_segments(source)
    assert len(segments) == 1, segments
    return segments[0]


def only(source: str) -> Run:
    runs = parse_ssml(source)
    assert len(runs) == 1, runs
    return runs[0]


def source_chars(source: str, run: Run) -> str:
    return "".join(source[offset] for offset in run.offsets[:-1])


# --- offsets -------------------------------------------------------------------------


def test_plain_text_maps_every_char_to_its_source_index() -> None:
    source = "<speak>Hello <s>world</s></speak>"
    assert parse_ssml(source) == [
        Run("Hello ", (7, 8, 9, 10, 11, 12, 13)),
        Run("world", (16, 17, 18, 19, 20, 21), pause_after_ms=200),
    ]


def test_offsets_point_back_at_the_source_across_lines_and_tags() -> None:
    source = SAMPLES[1]
    runs = parse_ssml(source)
    assert [run.text for run in runs] == ["One ", "two ", "three.", "Four"]
    for run in runs:
        assert source_chars(source, run) == run.text


@pytest.mark.parametrize("source", SAMPLES)
def test_offsets_have_one_entry_per_char_plus_end_and_never_go_back(source: str) -> None:
    for run in parse_ssml(source):
        assert len(run.offsets) == len(run.text) + 1
        assert list(run.offsets) == sorted(run.offsets)
        assert 0 <= run.offsets[0] and run.offsets[-1] <= len(source)


def test_entities_map_to_the_start_of_the_entity() -> None:
    source = "<speak>a &amp; b&#233;&#x41;&lt;</speak>"
    run = only(source)
    assert run.text == "a & béA<"
    spans = [source[a:b] for a, b in zip(run.offsets[:-1], run.offsets[1:], strict=True)]
    assert spans == ["a", " ", "&amp;", " ", "b", "&#233;", "&#x41;", "&lt;"]


def test_cdata_is_literal_text_and_comments_are_skipped() -> None:
    source = "<speak>x<![CDATA[<y>\n]]><!-- a\n<foo> --><?pi\n?>z</speak>"
    run = only(source)
    assert run.text == "x<y> z"
    assert source_chars(source, run) == "x<y>\nz"


def test_leading_whitespace_and_xml_declaration_are_accepted() -> None:
    source = '\n  <?xml version="1.0" encoding="UTF-8"?>\n<speak>Hi</speak>'
    run = only(source)
    assert run.text == "Hi"
    assert run.offsets == (source.index("Hi"), source.index("Hi") + 1, source.index("Hi") + 2)


def test_ssml_namespace_is_accepted() -> None:
    source = '<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis"><s>Hi</s></speak>'
    assert only(source).text == "Hi"


# --- whitespace and merging ----------------------------------------------------------


def test_whitespace_collapses_to_one_space_at_the_first_whitespace_char() -> None:
    source = "<speak>\n  Hello   \n\t world  <s> again </s>\n</speak>"
    first, second = parse_ssml(source)
    assert (first.text, second.text) == ("Hello world ", "again")
    assert first.offsets[5] == source.index("   \n\t world")
    assert first.offsets[6] == source.index("world")
    assert second.offsets[0] == source.index("again")


def test_leading_and_trailing_whitespace_is_dropped_and_nbsp_is_kept() -> None:
    assert only("<speak>  Hi  </speak>").text == "Hi"
    assert only("<speak>a\u00a0\u00a0b</speak>").text == "a\u00a0\u00a0b"


def test_no_run_starts_with_a_space() -> None:
    runs = parse_ssml('<speak>a<prosody rate="fast"> b </prosody>c</speak>')
    assert [run.text for run in runs] == ["a ", "b ", "c"]


def test_adjacent_text_with_the_same_prosody_merges() -> None:
    source = (
        '<speak>a <emphasis level="none">b</emphasis> <prosody rate="default">c</prosody></speak>'
    )
    assert only(source).text == "a b c"


def test_empty_document_and_empty_elements_give_no_runs() -> None:
    assert parse_ssml("<speak/>") == []
    assert parse_ssml("<speak> <p> </p> <s/> </speak>") == []


# --- prosody and emphasis ------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "value", "expected"),
    [
        ("rate", "x-slow", 0.5),
        ("rate", "slow", 0.75),
        ("rate", "medium", 1.0),
        ("rate", "fast", 1.5),
        ("rate", "x-fast", 2.0),
        ("rate", "default", 1.0),
        ("rate", "150%", 1.5),
        ("rate", "0.8", 0.8),
        ("rate", "0", 0.25),
        ("rate", "9", 4.0),
        ("pitch", "x-low", 0.7),
        ("pitch", "low", 0.85),
        ("pitch", "high", 1.15),
        ("pitch", "x-high", 1.3),
        ("pitch", "+10%", 1.1),
        ("pitch", "-20%", 0.8),
        ("pitch", "+2st", 2 ** (2 / 12)),
        ("pitch", "-12st", 0.5),
        ("pitch", "-100%", 0.5),
        ("volume", "silent", 0.0),
        ("volume", "x-soft", 0.25),
        ("volume", "soft", 0.5),
        ("volume", "loud", 1.5),
        ("volume", "x-loud", 2.0),
        ("volume", "+6dB", 10 ** (6 / 20)),
        ("volume", "-3dB", 10 ** (-3 / 20)),
        ("volume", "50%", 0.5),
        ("volume", "+999dB", 2.0),
    ],
)
def test_prosody_values(attribute: str, value: str, expected: float) -> None:
    run = only(f'<speak><prosody {attribute}="{value}">x</prosody></speak>')
    assert getattr(run.prosody, attribute) == pytest.approx(expected)
    untouched = {"rate", "pitch", "volume"} - {attribute}
    assert all(getattr(run.prosody, name) == 1.0 for name in untouched)


def test_nested_prosody_multiplies() -> None:
    source = (
        '<speak><prosody rate="2" pitch="+10%" volume="50%">a '
        '<prosody rate="150%" pitch="+10%" volume="50%">b</prosody></prosody></speak>'
    )
    outer, inner = parse_ssml(source)
    assert (outer.prosody.rate, outer.prosody.pitch, outer.prosody.volume) == pytest.approx(
        (2.0, 1.1, 0.5)
    )
    assert (inner.prosody.rate, inner.prosody.pitch, inner.prosody.volume) == pytest.approx(
        (3.0, 1.21, 0.25)
    )


def test_nested_prosody_is_clamped() -> None:
    tag = '<prosody rate="x-fast" volume="x-loud" pitch="x-high">'
    run = only(f"<speak>{tag * 3}x{'</prosody>' * 3}</speak>")
    assert run.prosody == Prosody(rate=4.0, pitch=2.0, volume=2.0)


@pytest.mark.parametrize(
    ("attributes", "rate", "volume"),
    [
        ('level="strong"', 0.9, 1.3),
        ('level="moderate"', 0.95, 1.15),
        ('level="none"', 1.0, 1.0),
        ('level="reduced"', 1.05, 0.8),
        ("", 0.95, 1.15),
    ],
)
def test_emphasis_levels(attributes: str, rate: float, volume: float) -> None:
    run = only(f"<speak><emphasis {attributes}>x</emphasis></speak>")
    assert (run.prosody.rate, run.prosody.pitch, run.prosody.volume) == pytest.approx(
        (rate, 1.0, volume)
    )


# --- breaks and boundaries -----------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "ms"),
    [
        ('time="500ms"', 500),
        ('time="1.5s"', 1500),
        ('time=".25s"', 250),
        ('time="0ms"', 0),
        ('strength="none"', 0),
        ('strength="x-weak"', 100),
        ('strength="weak"', 200),
        ('strength="medium"', 400),
        ('strength="strong"', 700),
        ('strength="x-strong"', 1200),
        ("", 400),
        ('time="300ms" strength="x-strong"', 300),
    ],
)
def test_break_forms(attributes: str, ms: int) -> None:
    first, second = parse_ssml(f"<speak>Hi <break {attributes}/> there</speak>")
    assert (first.text, first.pause_after_ms) == ("Hi", ms)
    assert (second.text, second.pause_after_ms) == ("there", 0)


def test_break_before_any_text_is_an_empty_run() -> None:
    source = '<speak><break time="300ms"/>Hi</speak>'
    assert parse_ssml(source) == [Run("", (7,), pause_after_ms=300), Run("Hi", (28, 29, 30))]


def test_breaks_add_up() -> None:
    source = '<speak>Hi<break time="1s"/> <break time="200ms"/>there</speak>'
    assert parse_ssml(source)[0].pause_after_ms == 1200


def test_sentence_and_paragraph_pauses() -> None:
    runs = parse_ssml("<speak><p><s>A</s><s>B</s></p><p>C</p>D</speak>")
    assert [(run.text, run.pause_after_ms) for run in runs] == [
        ("A", 200),
        ("B", 400),
        ("C", 400),
        ("D", 0),
    ]


def test_the_longer_boundary_pause_wins() -> None:
    assert parse_ssml("<speak><s><p>A</p></s></speak>")[0].pause_after_ms == 400


@pytest.mark.parametrize(
    ("source", "ms"),
    [
        ('<speak><s>A</s><break time="1s"/><s>B</s></speak>', 1000),
        ('<speak><s>A</s><break strength="none"/>B</speak>', 0),
        ('<speak><s>A<break time="50ms"/></s>B</speak>', 50),
    ],
)
def test_an_explicit_break_replaces_the_boundary_pause(source: str, ms: int) -> None:
    assert parse_ssml(source)[0].pause_after_ms == ms


def test_mark_is_accepted_and_ignored() -> None:
    assert only('<speak>a <mark name="m1"/>b</speak>').text == "a b"


# --- say-as, sub, phoneme ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "content", "expected"),
    [
        ('interpret-as="characters"', "ABC", "eh B C"),
        ('interpret-as="spell-out"', "a1 b", "eh one B"),
        ('interpret-as="cardinal"', "1,234", "one thousand two hundred thirty-four"),
        (
            'interpret-as="number"',
            "-1,234,567.5",
            "minus one million two hundred thirty-four thousand "
            "five hundred sixty-seven point five",
        ),
        ('interpret-as="number"', "42", "forty-two"),
        ('interpret-as="ordinal"', "0", "zeroth"),
        ('interpret-as="ordinal"', "1", "first"),
        ('interpret-as="ordinal"', "2", "second"),
        ('interpret-as="ordinal"', "3", "third"),
        ('interpret-as="ordinal"', "4", "fourth"),
        ('interpret-as="ordinal"', "11", "eleventh"),
        ('interpret-as="ordinal"', "12", "twelfth"),
        ('interpret-as="ordinal"', "15", "fifteenth"),
        ('interpret-as="ordinal"', "20", "twentieth"),
        ('interpret-as="ordinal"', "21", "twenty-first"),
        ('interpret-as="ordinal"', "42nd", "forty-second"),
        ('interpret-as="ordinal"', "100", "one hundredth"),
        ('interpret-as="ordinal"', "101", "one hundred first"),
        ('interpret-as="ordinal"', "1,000", "one thousandth"),
        ('interpret-as="ordinal"', "2005", "two thousand fifth"),
        (
            'interpret-as="ordinal"',
            "123456",
            "one hundred twenty-three thousand four hundred fifty-sixth",
        ),
        (
            'interpret-as="ordinal"',
            "999999",
            "nine hundred ninety-nine thousand nine hundred ninety-ninth",
        ),
        ('interpret-as="date"', "2024-03-05", "March fifth, twenty twenty-four"),
        (
            'interpret-as="date" format="ymd"',
            "2024/12/31",
            "December thirty-first, twenty twenty-four",
        ),
        ('interpret-as="date" format="mdy"', "03/05/2024", "March fifth, twenty twenty-four"),
        ('interpret-as="date" format="dmy"', "05.03.2024", "March fifth, twenty twenty-four"),
        ('interpret-as="date" format="md"', "7/4", "July fourth"),
        ('interpret-as="date" format="dm"', "29-2", "February twenty-ninth"),
        ('interpret-as="date" format="ym"', "2024-02", "February twenty twenty-four"),
        ('interpret-as="date" format="my"', "11/1999", "November nineteen ninety-nine"),
        ('interpret-as="date" format="y"', "1999", "nineteen ninety-nine"),
        ('interpret-as="date"', "2024-02-29", "February twenty-ninth, twenty twenty-four"),
        ('interpret-as="telephone"', "555-1234", "five five five, one two three four"),
        (
            'interpret-as="telephone"',
            "(555) 123-4567",
            "five five five, one two three, four five six seven",
        ),
        ('interpret-as="telephone"', "+1 555", "plus one, five five five"),
    ],
)
def test_say_as(kind: str, content: str, expected: str) -> None:
    assert spoken(f"<speak><say-as {kind}>{content}</say-as></speak>").text == expected


def test_say_as_expansion_is_one_token_over_the_content() -> None:
    source = '<speak>Day <say-as interpret-as="ordinal">21</say-as></speak>'
    segment = spoken(source)
    content = source.index("21")
    assert segment.text == "Day twenty-first"
    assert segment.tokens == (
        Token(0, 3, source.index("Day"), source.index("Day") + 3, "Day"),
        Token(4, 16, content, content + 2, "21"),
    )


def test_text_after_say_as_is_its_own_token() -> None:
    source = '<speak>On <say-as interpret-as="ordinal"> 3 </say-as> May</speak>'
    segment = spoken(source)
    assert segment.text == "On third May"
    three, may = source.index("3"), source.index("May")
    assert [(t.written, t.source_start, t.source_end) for t in segment.spoken_tokens()] == [
        ("On", 7, 9),
        ("3", three, three + 1),
        ("May", may, may + 3),
    ]
    assert segment.text[9:] == "May"


def test_sub_alias_replaces_the_content() -> None:
    source = '<speak>The <sub alias="  World   Wide Web ">WWW</sub>.</speak>'
    segment = spoken(source)
    content = source.index("WWW")
    assert segment.text == "The World Wide Web."
    www = segment.tokens[1]
    assert (www.written, www.source_start, www.source_end) == (
        "WWW.",
        content,
        source.index(".") + 1,
    )
    assert segment.text[www.begin : www.end] == "World Wide Web."


def test_empty_sub_maps_to_the_element() -> None:
    source = '<speak>a <sub alias="b"/></speak>'
    run = only(source)
    assert run.text == "a b"
    assert run.offsets == (7, 8, 9, source.index("</speak>"))


def test_phoneme_is_its_own_run_with_the_content_as_text() -> None:
    source = '<speak>Say <phoneme alphabet="ipa" ph="təˈmeɪtoʊ">tomato</phoneme> now</speak>'
    runs = parse_ssml(source)
    assert [(run.text, run.phonemes, run.alphabet) for run in runs] == [
        ("Say ", None, None),
        ("tomato ", "təˈmeɪtoʊ", "ipa"),
        ("now", None, None),
    ]
    assert source_chars(source, runs[1]).startswith("tomato")


def test_adjacent_phonemes_stay_apart() -> None:
    runs = parse_ssml('<speak><phoneme ph="a">x</phoneme><phoneme ph="a">y</phoneme></speak>')
    assert [(run.text, run.phonemes, run.alphabet) for run in runs] == [
        ("x", "a", None),
        ("y", "a", None),
    ]


# --- detection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<speak>hi</speak>", True),
        ("  \n<speak>hi</speak>", True),
        ('<?xml version="1.0"?>\n<speak>hi</speak>', True),
        ('<speak xmlns="http://www.w3.org/2001/10/synthesis">', True),
        ("<speak/>", True),
        ("Hello <speak>hi</speak>", False),
        ("<speaker>hi</speaker>", False),
        ("<p>hi</p>", False),
        ("&lt;speak>", False),
        ("", False),
    ],
)
def test_looks_like_ssml(text: str, expected: bool) -> None:
    assert looks_like_ssml(text) is expected


# --- refused input -------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<speak>&lol3;</speak>"""

MALFORMED = [
    ("unclosed tag", "<speak>Hello <s>world</speak>", "mismatched tag at line 1, column 24"),
    ("unclosed on line 3", "<speak>\n  <s>Hi\n</speak>", "mismatched tag at line 3, column 3"),
    ("unfinished", "<speak>Hello", "no element found at line 1, column 13"),
    ("empty", "", "no element found at line 1, column 1"),
    ("undefined entity", "<speak>&foo;</speak>", "undefined entity at line 1, column 8"),
    ("after emoji", "<speak>😀😀 <s>x</speak>", "mismatched tag at line 1, column 17"),
    ("shifted", "\n  <speak>x</spek>", "mismatched tag at line 2, column 13"),
    (
        "unknown tag",
        '<speak>\n  <voice name="x">hi</voice>\n</speak>',
        "unknown tag <voice> at line 2, column 3",
    ),
    (
        "audio",
        '<speak>é😀 <audio src="a.wav"/></speak>',
        "unknown tag <audio> at line 1, column 11",
    ),
    (
        "unknown after blank lines",
        "\n\n  <speak><foo/></speak>",
        "unknown tag <foo> at line 3, column 10",
    ),
    (
        "foreign namespace",
        '<speak xmlns:a="urn:a"><a:effect>x</a:effect></speak>',
        "unknown tag <a:effect> at line 1, column 24",
    ),
    ("root not speak", "<p>Hi</p>", "the root must be <speak>, not <p> at line 1, column 1"),
    (
        "root in other namespace",
        '<speak xmlns="urn:x">Hi</speak>',
        "the root must be <speak>, not <speak> at line 1, column 1",
    ),
    (
        "nested speak",
        "<speak>a<speak>b</speak></speak>",
        "<speak> is allowed only as the root at line 1, column 9",
    ),
    (
        "break time",
        '<speak>Hi<break time="abc"/></speak>',
        "<break> attribute time='abc' is not a duration like 500ms or 1.5s at line 1, column 10",
    ),
    (
        "break too long",
        '<speak>\n<break time="11s"/></speak>',
        "<break> attribute time='11s' is over the limit of 10000ms at line 2, column 1",
    ),
    (
        "break strength",
        '<speak><break strength="loud"/></speak>',
        "<break> attribute strength='loud' is not one of none, x-weak",
    ),
    (
        "break with text",
        "<speak><break>x</break></speak>",
        "<break> must be empty at line 1, column 8",
    ),
    (
        "prosody rate",
        '<speak>\n <prosody rate="zzz">x</prosody></speak>',
        "<prosody> attribute rate='zzz' is not one of x-slow",
    ),
    ("rate position", '<speak>\n <prosody rate="zzz">x</prosody></speak>', "at line 2, column 2"),
    (
        "negative rate",
        '<speak><prosody rate="-10%">x</prosody></speak>',
        "<prosody> attribute rate='-10%'",
    ),
    (
        "rate nan",
        '<speak><prosody rate="nan">x</prosody></speak>',
        "<prosody> attribute rate='nan'",
    ),
    (
        "huge rate",
        f'<speak><prosody rate="{"9" * 400}">x</prosody></speak>',
        "is too large at line 1, column 8",
    ),
    (
        "pitch unsigned",
        '<speak><prosody pitch="10%">x</prosody></speak>',
        "<prosody> attribute pitch='10%' is not one of x-low",
    ),
    (
        "pitch hertz",
        '<speak><prosody pitch="+10Hz">x</prosody></speak>',
        "<prosody> attribute pitch='+10Hz'",
    ),
    (
        "volume",
        '<speak><prosody volume="loud!">x</prosody></speak>',
        "<prosody> attribute volume='loud!' is not one of silent",
    ),
    (
        "emphasis level",
        '<speak><emphasis level="huge">x</emphasis></speak>',
        "<emphasis> attribute level='huge' is not one of strong",
    ),
    (
        "say-as kind",
        '<speak>a <say-as interpret-as="verbatim">x</say-as></speak>',
        "<say-as> attribute interpret-as='verbatim' is not one of characters",
    ),
    (
        "say-as kind position",
        '<speak>a <say-as interpret-as="verbatim">x</say-as></speak>',
        "at line 1, column 10",
    ),
    (
        "say-as missing kind",
        "<speak><say-as>x</say-as></speak>",
        "<say-as> needs the attribute interpret-as at line 1, column 8",
    ),
    (
        "ordinal text",
        '<speak><say-as interpret-as="ordinal">abc</say-as></speak>',
        "<say-as> content 'abc' is not a whole number from 0 to 999999",
    ),
    (
        "ordinal too big",
        '<speak><say-as interpret-as="ordinal">1000000</say-as></speak>',
        "content '1000000' is not a whole number",
    ),
    (
        "cardinal text",
        '<speak><say-as interpret-as="cardinal">1,23</say-as></speak>',
        "content '1,23' is not a number",
    ),
    (
        "date format",
        '<speak><say-as interpret-as="date" format="qq">1</say-as></speak>',
        "<say-as> attribute format='qq' is not one of mdy",
    ),
    (
        "date shape",
        '<speak><say-as interpret-as="date">2024-03</say-as></speak>',
        "content '2024-03' is not a date in the format ymd",
    ),
    (
        "date month",
        '<speak><say-as interpret-as="date">2024-13-01</say-as></speak>',
        "has no month 13",
    ),
    (
        "date day",
        '<speak><say-as interpret-as="date">2023-02-29</say-as></speak>',
        "has no day 29 in that month",
    ),
    (
        "telephone",
        '<speak><say-as interpret-as="telephone">call me</say-as></speak>',
        "content 'call me' is not a telephone number",
    ),
    (
        "child of say-as",
        '<speak><say-as interpret-as="ordinal">1<s>x</s></say-as></speak>',
        "<say-as> may hold only text, not <s> at line 1, column 40",
    ),
    (
        "sub alias",
        "<speak><sub>WWW</sub></speak>",
        "<sub> needs the attribute alias at line 1, column 8",
    ),
    (
        "phoneme ph",
        "<speak><phoneme>x</phoneme></speak>",
        "<phoneme> needs the attribute ph at line 1, column 8",
    ),
    (
        "phoneme empty",
        '<speak><phoneme ph="a"> </phoneme></speak>',
        "<phoneme> needs its text as content at line 1, column 8",
    ),
    (
        "doctype",
        "<!DOCTYPE speak>\n<speak>x</speak>",
        "DOCTYPE and entity declarations are not allowed at line 1, column 1",
    ),
    (
        "billion laughs",
        BILLION_LAUGHS,
        "DOCTYPE and entity declarations are not allowed at line 2, column 1",
    ),
    (
        "external entity",
        '<!-- x -->\n<!DOCTYPE s [<!ENTITY e SYSTEM "file:///etc/passwd">]><speak>&e;</speak>',
        "not allowed at line 2, column 1",
    ),
]


@pytest.mark.parametrize(
    ("source", "fragment"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_malformed_input_names_the_problem_and_position(source: str, fragment: str) -> None:
    with pytest.raises(TTSValidationError) as caught:
        parse_ssml(source)
    assert caught.value.field == "ssml"
    assert str(caught.value).startswith("ssml: ")
    assert fragment in str(caught.value)
