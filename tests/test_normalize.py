"""The text front end: what people write, read the way a person reads it aloud.

The table is checked on :func:`spoken_words`, the public function that shows what every
local engine will say; the token tests check that each input token keeps exactly one span
whatever it is read as; the property tests throw random mixes of words, numbers, symbols
and SSML at the offsets and at the clock that times tokens.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tts_agents.errors import TTSValidationError
from tts_agents.text.front_end import normalize_mode, speech_segments, spoken_words
from tts_agents.text.segment import Segment
from tts_agents.text.token_clock import TokenClock
from tts_agents.types import WordMark

READINGS = [
    # money
    ("It costs $5.", "It costs five dollars."),
    ("It costs $1.", "It costs one dollar."),
    ("It costs $0.99 today.", "It costs ninety-nine cents today."),
    ("It costs $2.50.", "It costs two dollars and fifty cents."),
    (
        "Pay $1,234.56 now",
        "Pay one thousand two hundred thirty-four dollars and fifty-six cents now",
    ),
    ("€20 or £3.20", "twenty euros or three pounds and twenty pence"),
    ("¥1000 each", "one thousand yen each"),
    ("A $2.5 billion deal.", "A two point five billion dollars deal."),
    ("A $5M budget.", "A five million dollars budget."),
    ("Only 1 cent", "Only one cent"),
    # percentages and plain numbers
    ("Prices rose 3.5% last year.", "Prices rose three point five percent last year."),
    ("Up 50%!", "Up fifty percent!"),
    ("5-10% off.", "five to ten percent off."),
    ("It is 3.14159.", "It is three point one four one five nine."),
    ("Count 1,000,000 stars.", "Count one million stars."),
    ("Room 007.", "Room zero zero seven."),
    ("Version 2.0 is out.", "Version two point zero is out."),
    ("It fell to -12 today", "It fell to minus twelve today"),
    ("He ran 26.2 miles.", "He ran twenty-six point two miles."),
    ("I have 42 cats", "I have forty-two cats"),
    # ordinals
    ("The 1st, 2nd, 3rd and 22nd runners.", "The first, second, third and twenty-second runners."),
    ("The 101st time.", "The one hundred first time."),
    ("On the 11th floor", "On the eleventh floor"),
    # dates and years
    ("We met on 2024-12-03.", "We met on December third, twenty twenty-four."),
    ("Due 12/25/2024.", "Due December twenty-fifth, twenty twenty-four."),
    ("Due 3/4/2024", "Due March fourth, twenty twenty-four"),
    ("Dec 3, 2024", "December third, twenty twenty-four"),
    ("On Dec. 3 we left.", "On December third we left."),
    ("Born 3 December 1990.", "Born the third of December nineteen ninety."),
    ("The 1990s were fun.", "The nineteen nineties were fun."),
    ("The year 2000 and 2005.", "The year two thousand and two thousand five."),
    ("In 1905 and 1999.", "In nineteen oh five and nineteen ninety-nine."),
    ("From 2020-2024 we grew.", "From twenty twenty to twenty twenty-four we grew."),
    ("Pages 10-20.", "Pages ten to twenty."),
    ("On 25.12.2024 we rest", "On December twenty-fifth, twenty twenty-four we rest"),
    # times
    ("Meet at 14:05.", "Meet at fourteen oh five."),
    ("Meet at 10:00.", "Meet at ten o'clock."),
    ("Wake at 7am.", "Wake at seven AM."),
    ("Leave at 5 PM.", "Leave at five PM."),
    ("At 9:05 p.m. sharp.", "At nine oh five PM sharp."),
    ("Open 24/7.", "Open twenty-four seven."),
    # phone numbers
    ("Call 555-123-4567 now.", "Call five five five, one two three, four five six seven now."),
    ("Call (555) 123-4567 now.", "Call five five five, one two three, four five six seven now."),
    ("Call +1-555-123-4567.", "Call plus one, five five five, one two three, four five six seven."),
    # units
    ("It is 5 km away.", "It is five kilometers away."),
    ("A 1 km walk.", "A one kilometer walk."),
    ("It weighs 3.5kg.", "It weighs three point five kilograms."),
    ("It was 20°C today.", "It was twenty degrees Celsius today."),
    ("It was -5 °C outside.", "It was minus five degrees Celsius outside."),
    ("Temperatures of 98.6°F.", "Temperatures of ninety-eight point six degrees Fahrenheit."),
    ("Download 1.5 GB.", "Download one point five gigabytes."),
    ("Drive at 60 mph.", "Drive at sixty miles per hour."),
    ("A 100 MB file.", "A one hundred megabytes file."),
    # fractions
    ("Mix 1/2 cup.", "Mix one half cup."),
    ("Add 3/4 cup.", "Add three quarters cup."),
    ("Use 2/3 of it", "Use two thirds of it"),
    # abbreviations and acronyms
    ("Mr. Jones and Mrs. Jones.", "Mister Jones and Missus Jones."),
    ("Prof. Lee, Ph.D. is here.", "Professor Lee, P H D is here."),
    ("Apples, pears, etc.", "Apples, pears, et cetera."),
    ("Fruit, e.g. apples.", "Fruit, for example apples."),
    ("One thing, i.e. this.", "One thing, that is this."),
    ("Cats vs. dogs.", "Cats versus dogs."),
    ("Main St. is closed.", "Main Street is closed."),
    ("St. Louis is far.", "Saint Louis is far."),
    ("No. 7 won.", "Number seven won."),
    ("The U.S. economy.", "The U S economy."),
    ("The FBI said no.", "The FBI said no."),
    ("I am here.", "I am here."),
    # addresses
    ("Visit https://www.example.com/docs today.", "Visit W W W example dot com slash docs today."),
    ("Visit example.org now.", "Visit example dot org now."),
    ("Email john.doe@example.com today.", "Email john dot doe at example dot com today."),
    # symbols and emoji
    ("It's 5 & 6.", "It's five and six."),
    ("Item #5.", "Item number five."),
    ("Great job 🎉 team 👍🏽!", "Great job team !"),
    ("I love it ❤️", "I love it"),
    # the sentence from the issue
    (
        "Dr. Smith paid $1,234.56 on 3/4/2024 at 10:30 a.m.",
        "Doctor Smith paid one thousand two hundred thirty-four dollars and fifty-six cents on "
        "March fourth, twenty twenty-four at ten thirty AM.",
    ),
]

SSML_READINGS = [
    (
        '<say-as interpret-as="date" format="mdy">12/25/2024</say-as>',
        "December twenty-fifth, twenty twenty-four",
    ),
    ('<say-as interpret-as="ordinal">22</say-as>', "twenty-second"),
    ('<say-as interpret-as="cardinal">1,234</say-as>', "one thousand two hundred thirty-four"),
    ('<say-as interpret-as="telephone">555-1234</say-as>', "five five five, one two three four"),
    ('<say-as interpret-as="characters">ABC</say-as>', "eh B C"),
    ('<sub alias="World Wide Web">WWW</sub>', "World Wide Web"),
    ("Pay $5 on 2024-01-02", "Pay five dollars on January second, twenty twenty-four"),
]


def said(text: str, language: str | None = "en-us") -> str:
    return " ".join(word.word for word in spoken_words(text, language=language))


@pytest.mark.parametrize(("text", "expected"), READINGS, ids=[t for t, _ in READINGS])
def test_reads_as_a_person_would(text: str, expected: str) -> None:
    assert said(text) == expected


@pytest.mark.parametrize(("inner", "expected"), SSML_READINGS)
def test_ssml_reads_with_the_same_code(inner: str, expected: str) -> None:
    assert said(f"<speak>{inner}</speak>") == expected


def test_the_table_is_large_enough() -> None:
    assert len(READINGS) + len(SSML_READINGS) >= 60


def test_british_english_puts_the_day_first() -> None:
    assert said("Due 3/4/2024", "en-gb") == "Due the third of April, twenty twenty-four"
    assert said("Due 3/4/2024", "en-us") == "Due March fourth, twenty twenty-four"


def test_other_languages_say_numbers_in_their_own_words() -> None:
    assert said("Ich habe 42 Katzen 🐈", "de") == "Ich habe zweiundvierzig Katzen"
    assert said("Il a 3,5 %", "fr").startswith("Il a trois virgule cinq")


@pytest.mark.parametrize(("text", "_"), READINGS, ids=[t for t, _ in READINGS])
def test_every_token_keeps_one_span_in_order(text: str, _: str) -> None:
    spans = []
    for word in spoken_words(text):
        if not spans or spans[-1] != (word.start, word.end):
            spans.append((word.start, word.end))
    written = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    silent = {span for span in written if not said(text[span[0] : span[1]])}  # emoji
    assert spans == [span for span in written if span not in silent]


def test_normalize_mode_names_the_choices() -> None:
    assert normalize_mode(None) == "auto" and normalize_mode(True) == "on"
    assert normalize_mode("OFF") == "off"
    with pytest.raises(TTSValidationError, match="auto, on, off"):
        normalize_mode("sometimes")


# --- properties -----------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "hello",
        "Dr.",
        "$1,234.56",
        "3/4/2024",
        "10:30",
        "a.m.",
        "5",
        "km",
        "1st",
        "50%",
        "e.g.",
        "🎉",
        "&",
        "-",
        "U.S.",
        "x@y.com",
        "www.a.com/b",
        "(555)",
        "123-4567",
        "Dec",
        "3,",
        "2024.",
        "£3.20",
        "°C",
        "'80s",
        "#4",
        "...",
        "a",
        "I",
        "20°C",
        "24/7",
        "&amp;",
    ]
)
_SPACES = st.sampled_from([" ", "  ", "\n", " \n\n "])


@st.composite
def plain_texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(_PIECES, min_size=1, max_size=25))
    return "".join(word + draw(_SPACES) for word in words).strip()


@st.composite
def ssml_texts(draw: st.DrawFn) -> str:
    parts = []
    for word in draw(st.lists(_PIECES, min_size=1, max_size=15)):
        word = word.replace("&amp;", "&").replace("&", "&amp;")
        wrap = draw(st.sampled_from(["", "emphasis", "prosody", "say", "sub", "break"]))
        if wrap == "emphasis":
            parts.append(f"<emphasis>{word}</emphasis>")
        elif wrap == "prosody":
            parts.append(f'<prosody rate="slow">{word}</prosody>')
        elif wrap == "say":
            parts.append('<say-as interpret-as="cardinal">42</say-as>')
        elif wrap == "sub":
            parts.append(f'<sub alias="the alias">{word}</sub>')
        elif wrap == "break":
            parts.append(f'{word}<break time="100ms"/>')
        else:
            parts.append(word)
    return "<speak>" + " ".join([*parts, "hello"]) + "</speak>"


def tokens_of(text: str, *, ssml: bool, markup: bool = False) -> list[tuple[int, int, str]]:
    found = []
    for segment in speech_segments(
        text, ssml=ssml, language="en-us", normalize=True, markup=markup
    ):
        for token in segment.spoken_tokens():
            assert 0 <= token.begin <= token.end <= len(segment.text)
            found.append((token.source_start, token.source_end, token.written))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_texts())
def test_plain_text_tokens_are_the_whitespace_runs(text: str) -> None:
    expected = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    assert tokens_of(text, ssml=False) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ssml_texts(), st.booleans())
def test_ssml_tokens_are_ordered_and_never_cover_a_tag(source: str, markup: bool) -> None:
    tokens = tokens_of(source, ssml=True, markup=markup)
    assert tokens, source
    ends = [0]
    for start, end, written in tokens:
        assert start >= ends[-1] and end > start and written.strip()
        ends.append(end)
        assert not source[start:end].startswith("<")


@st.composite
def engine_marks(draw: st.DrawFn, segment: Segment) -> list[WordMark]:
    """Marks an engine might give: some words, some twice, some missing, times rising."""
    words = [m.start() for m in re.finditer(r"\S+", segment.text)]
    chosen = (
        sorted(draw(st.lists(st.sampled_from(words), max_size=len(words) + 3))) if words else []
    )
    samples = sorted(
        draw(st.lists(st.integers(0, 48_000), min_size=len(chosen), max_size=len(chosen)))
    )
    return [WordMark(at, at + 1, sample) for at, sample in zip(chosen, samples, strict=True)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_texts(), st.data())
def test_the_clock_gives_each_token_one_mark_in_time_order(text: str, data: st.DataObject) -> None:
    for segment in speech_segments(text, ssml=False, language="en-us", normalize=True):
        marks = data.draw(engine_marks(segment))
        clock = TokenClock(segment, base=1000, scale=1.0)
        cut = data.draw(st.integers(0, len(marks)))
        placed = clock.place(marks[:cut]) + clock.place(marks[cut:]) + clock.finish(1000 + 48_001)
        tokens = segment.spoken_tokens()
        assert [(m.text_start, m.text_end, m.word) for m in placed] == [
            (t.source_start, t.source_end, t.written) for t in tokens
        ]
        samples = [m.sample for m in placed]
        assert samples == sorted(samples) and samples[0] >= 1000 and samples[-1] <= 49_001
