"""Phonemes traced back to words, and Kokoro's token runs: the bookkeeping behind timings."""

from __future__ import annotations

import pytest

from tts_agents.engines.espeak.phonemes import PhonemeClause, PhonemeWord, phonemize
from tts_agents.engines.kokoro.tokens import PUNCTUATION_IDS, VOCAB, tokenize
from tts_agents.text.segment import SegmentSizes, segment_text, split_clauses

SPACE = VOCAB[" "]


@pytest.mark.parametrize(
    "text",
    [
        "Please tell me the weather forecast for tomorrow in London.",
        "In the end of the day, I am going to the store at 3:30 p.m. e.g. today!",
        "Dr. Smith paid $1,234.56 on 3/4/2024.",
        "$5 in the bank",  # an expansion and a join in one clause: counts match by chance
        '"Hello," she said, "it\'s late."',
    ],
)
def test_every_word_gets_its_own_phonemes_in_order(text: str) -> None:
    clauses = phonemize(text, "en-us", tie="^")
    words = [word for clause in clauses for word in clause.words]
    tokens = [text[w.start : w.end].rstrip(',.!?"') for w in words]
    assert tokens == [t.rstrip(',.!?"') for t in text.split()]  # one entry a word, in order
    spoken = {text[w.start : w.end]: w.phonemes for w in words}
    for word, phonemes in spoken.items():
        if word.strip('",.!?').isalpha():
            assert phonemes, word  # plain words are always spoken
    if "$5" in text:
        assert "f" in spoken["$5"] and "b" in spoken["bank"] and "ð" in spoken["the"]


def test_clauses_carry_their_punctuation_and_quotes_stay_out_of_words() -> None:
    text = '"Hello," she said. Really?! Yes — fine; ok'
    clauses = [(text[a:b], mark) for a, b, mark in split_clauses(text)]
    assert clauses == [
        ('"Hello', ","),
        (" she said", "."),
        (" Really", "?!"),
        (" Yes ", "—"),
        (" fine", ";"),
        (" ok", ""),
    ]
    assert split_clauses("Dr. Smith met Mr. Jones at 9 a.m. today.") == [(0, 39, ".")]


def _clause(*words: tuple[int, str], mark: str = "") -> PhonemeClause:
    return PhonemeClause(tuple(PhonemeWord(s, s + 3, p) for s, p in words), mark)


def test_runs_are_cut_between_clauses_and_end_on_their_punctuation() -> None:
    clauses = [_clause((0, "həlˈoʊ"), (6, "wˈɜːld"), mark=",")] * 20
    runs = tokenize(clauses, "en-us", limit=40)
    assert len(runs) > 3
    for run in runs:
        assert len(run.ids) <= 40
        assert run.ids[-1] in PUNCTUATION_IDS  # a clause end: never a dangling space
        assert run.ids[0] != SPACE
        for start in run.word_tokens:
            assert run.ids[start] != SPACE  # each word starts on its first phoneme


def test_a_word_longer_than_a_run_is_split_not_cut() -> None:
    long = "ɐ" * 95
    runs = tokenize([_clause((0, "hˈaɪ"), (4, long), (8, "bˈaɪ"))], "en-us", limit=40)
    spoken = sum(len(run.ids) for run in runs)
    assert spoken >= 4 + 95 + 3  # every phoneme of the long word is spoken
    assert all(len(run.ids) <= 40 for run in runs)
    assert [span for run in runs for span in run.words] == [(0, 3), (4, 7), (8, 11)]


def test_linking_words_are_whole_words() -> None:
    text = "We asked about the information and format of the forms today, which was fine."
    for size in range(18, 40):  # the window's edge falls inside every word in turn
        first = next(segment_text([text], sizes=SegmentSizes((size, 400))))
        assert first.text.split()[-1] not in ("the", "of", "and"), (size, first.text)
