"""Kokoro's input: espeak-ng phonemes mapped to Kokoro's alphabet, then to token ids.

Kokoro v1.0 was trained on misaki's phoneme alphabet, which writes diphthongs and
affricates as single letters (``eɪ`` -> ``A``, ``tʃ`` -> ``ʧ``). libespeak-ng's IPA, with a
tie character joining the letters of one phoneme, maps onto it with a few replacements per
language family, as misaki's own espeak fallback does. Every word keeps the range of
tokens it produced, so the model's per-token durations time each word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tts_agents.engines.espeak.phonemes import PhonemeClause

TIE = "^"
MAX_TOKENS = 510  # the model's context, without the two pad tokens
# Tokens per model call: memory grows ~25 MB per second of audio a call makes, so calls of
# at most ~10 s keep one process under 600 MB; longer calls are barely faster per token.
RUN_TOKENS = 170
PAD = 0

# The model's vocabulary (its config.json): phoneme character -> token id.
VOCAB: dict[str, int] = {
    ";": 1, ":": 2, ",": 3, ".": 4, "!": 5, "?": 6, "—": 9, "…": 10, '"': 11, "(": 12,
    ")": 13, "“": 14, "”": 15, " ": 16, "\u0303": 17, "ʣ": 18, "ʥ": 19, "ʦ": 20, "ʨ": 21,
    "ᵝ": 22, "\uab67": 23, "A": 24, "I": 25, "O": 31, "Q": 33, "S": 35, "T": 36, "W": 39,
    "Y": 41, "ᵊ": 42, "a": 43, "b": 44, "c": 45, "d": 46, "e": 47, "f": 48, "h": 50,
    "i": 51, "j": 52, "k": 53, "l": 54, "m": 55, "n": 56, "o": 57, "p": 58, "q": 59,
    "r": 60, "s": 61, "t": 62, "u": 63, "v": 64, "w": 65, "x": 66, "y": 67, "z": 68,
    "ɑ": 69, "ɐ": 70, "ɒ": 71, "æ": 72, "β": 75, "ɔ": 76, "ɕ": 77, "ç": 78, "ɖ": 80,
    "ð": 81, "ʤ": 82, "ə": 83, "ɚ": 85, "ɛ": 86, "ɜ": 87, "ɟ": 90, "ɡ": 92, "ɥ": 99,
    "ɨ": 101, "ɪ": 102, "ʝ": 103, "ɯ": 110, "ɰ": 111, "ŋ": 112, "ɳ": 113, "ɲ": 114,
    "ɴ": 115, "ø": 116, "ɸ": 118, "θ": 119, "œ": 120, "ɹ": 123, "ɾ": 125, "ɻ": 126,
    "ʁ": 128, "ɽ": 129, "ʂ": 130, "ʃ": 131, "ʈ": 132, "ʧ": 133, "ʊ": 135, "ʋ": 136,
    "ʌ": 138, "ɣ": 139, "ɤ": 140, "χ": 142, "ʎ": 143, "ʒ": 147, "ʔ": 148, "ˈ": 156,
    "ˌ": 157, "ː": 158, "ʰ": 162, "ʲ": 164, "↓": 169, "→": 171, "↗": 172, "↘": 173,
    "ᵻ": 177,
}  # fmt: skip

SPACE = VOCAB[" "]
PUNCTUATION_IDS = frozenset(VOCAB[mark] for mark in ';:,.!?—…"()“”')

# espeak-ng -> misaki, English (tied letters are one phoneme).
_ENGLISH = {
    "\u0303": "", "a^ɪ": "I", "a^ʊ": "W", "d^ʒ": "ʤ", "e": "A", "e^ɪ": "A", "r": "ɹ",
    "t^ʃ": "ʧ", "x": "k", "ç": "k", "ɐ": "ə", "ɔ^ɪ": "Y", "ə^l": "ᵊl", "ɚ": "əɹ", "ɬ": "l",
    "ʔ": "t", "ʔn": "tᵊn", "ʔˌn\u0329": "tᵊn", "ʲ": "", "ʲO": "jO", "ʲQ": "jQ",
}  # fmt: skip
_AMERICAN = {"o^ʊ": "O", "ɜːɹ": "ɜɹ", "ɜː": "ɜɹ", "ɪə": "iə", "ː": ""}
_BRITISH = {"e^ə": "ɛː", "iə": "ɪə", "ə^ʊ": "Q"}
# espeak-ng -> misaki, every other language.
_OTHER = {
    "a^ɪ": "I", "a^ʊ": "W", "d^z": "ʣ", "d^ʒ": "ʤ", "e^ɪ": "A", "o^ʊ": "O", "ə^ʊ": "Q",
    "s^s": "S", "t^s": "ʦ", "t^ʃ": "ʧ", "ɔ^ɪ": "Y",
}  # fmt: skip
_LANGUAGE_FLAG = re.compile(r"\([a-z\-^]+\)")
_SYLLABIC = re.compile("(\\S)\u0329")
_PUNCTUATION = {"...": "…", "–": "—", "-": "—"}


def _ordered(table: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(table.items(), key=lambda item: -len(item[0]))


_TABLES = {
    "en-us": (_ordered(_ENGLISH), _ordered(_AMERICAN)),
    "en-gb": (_ordered(_ENGLISH), _ordered(_BRITISH)),
}
_OTHER_TABLE = (_ordered(_OTHER), [])


def to_kokoro(phonemes: str, language: str) -> str:
    """One word's espeak-ng phonemes (tied with ``^``) in Kokoro's alphabet."""
    phonemes = _LANGUAGE_FLAG.sub("", phonemes)
    first, second = _TABLES.get(language, _OTHER_TABLE)
    for old, new in first:
        phonemes = phonemes.replace(old, new)
    if language in _TABLES:
        phonemes = _SYLLABIC.sub(r"ᵊ\1", phonemes).replace("\u0329", "")
    for old, new in second:
        phonemes = phonemes.replace(old, new)
    if language == "en-us":
        phonemes = phonemes.replace("o", "ɔ")  # espeak < 1.52 writes the LOT vowel as o
    return phonemes.replace(TIE, "")


@dataclass(frozen=True, slots=True)
class TokenRun:
    """Token ids for one model call, and where each word's tokens start.

    ``word_tokens[i]`` is the index in ``ids`` (pads excluded) of the first token of
    ``words[i]``, a ``(text_start, text_end)`` span of the phonemized text.
    """

    ids: tuple[int, ...]
    words: tuple[tuple[int, int], ...]
    word_tokens: tuple[int, ...]


def tokenize(
    clauses: Sequence[PhonemeClause], language: str, limit: int = RUN_TOKENS
) -> list[TokenRun]:
    """Token runs of at most ``limit`` tokens, cut between clauses, else between words.

    A run never starts or ends on a space; a word longer than a run is spread over runs.
    """
    limit = min(limit, MAX_TOKENS)
    runs: list[TokenRun] = []
    ids: list[int] = []
    words: list[tuple[int, int]] = []
    starts: list[int] = []

    def flush() -> None:
        while ids and ids[-1] == SPACE:
            ids.pop()
        if ids:
            runs.append(TokenRun(tuple(ids), tuple(words), tuple(starts)))
        ids.clear()
        words.clear()
        starts.clear()

    for clause in clauses:
        pieces = _clause_pieces(clause, language)
        if ids and len(ids) + 1 + sum(len(piece) for _, piece in pieces) > limit:
            flush()
        if ids:
            ids.append(SPACE)
        for span, piece in pieces:
            if ids and len(ids) + len(piece) > limit:  # one clause longer than a run
                flush()
            if not ids and piece[:1] == [SPACE]:
                piece = piece[1:]
            if span is not None:
                words.append(span)
                starts.append(len(ids) + (piece[:1] == [SPACE]))
            while len(ids) + len(piece) > limit:  # one word longer than a run
                room = limit - len(ids)
                ids.extend(piece[:room])
                piece = piece[room:]
                flush()
            ids.extend(piece)
    flush()
    return runs


def _clause_pieces(
    clause: PhonemeClause, language: str
) -> list[tuple[tuple[int, int] | None, list[int]]]:
    """Each word's tokens (with the space before it), then the clause's punctuation."""
    pieces: list[tuple[tuple[int, int] | None, list[int]]] = []
    for index, word in enumerate(clause.words):
        tokens = [VOCAB[c] for c in to_kokoro(word.phonemes, language) if c in VOCAB]
        if index and not word.joined:
            tokens.insert(0, SPACE)
        pieces.append(((word.start, word.end), tokens))
    marks = _PUNCTUATION.get(clause.punctuation, clause.punctuation)
    punctuation = [VOCAB[c] for c in marks if c in VOCAB]
    if punctuation:
        pieces.append((None, punctuation))
    return pieces


__all__ = [
    "MAX_TOKENS",
    "PAD",
    "PUNCTUATION_IDS",
    "RUN_TOKENS",
    "VOCAB",
    "TokenRun",
    "to_kokoro",
    "tokenize",
]
