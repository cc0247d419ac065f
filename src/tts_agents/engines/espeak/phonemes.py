"""Text to IPA phonemes with libespeak-ng, each word's phonemes tied to its place in the text.

Neural engines (Kokoro, Piper) read espeak-ng phonemes. To time words from the durations
those models predict per phoneme, every phoneme has to be traced back to the word it came
from. libespeak-ng phonemizes whole clauses (so context shapes each word) but sometimes joins
unstressed words ("in the" -> ``ɪnðə``) or expands one token into several words ("$5").
Unless the clause's phoneme words line up one to one with plain text words (letters only,
so nothing was expanded and a join cannot cancel an expansion out), each text word is
phonemized alone and the two phoneme strings are aligned character by character, which
places every word boundary inside the clause's own phonemes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

from tts_agents.engines.espeak import _lib
from tts_agents.text.segment import split_clauses

_WORD = re.compile(r"\S+")
_PLAIN_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*[,.!?;:\"'”’)]*")
_STRESS = "ˈˌ"
_CLINGS_TO_PREVIOUS = "ːʰʲ"


@dataclass(frozen=True, slots=True)
class PhonemeWord:
    """One word of the text (``text[start:end]``) and the phonemes spoken for it.

    ``joined`` is true when libespeak-ng ran it into the previous word with no space.
    ``phonemes`` may be empty for a token that is not spoken.
    """

    start: int
    end: int
    phonemes: str
    joined: bool = False


@dataclass(frozen=True, slots=True)
class PhonemeClause:
    """A clause's words and the punctuation that ends it in the text ("" when none)."""

    words: tuple[PhonemeWord, ...]
    punctuation: str


def phonemize(text: str, voice: str, *, tie: str | None = None) -> list[PhonemeClause]:
    """Phonemize ``text`` with the espeak-ng voice ``voice``, clause by clause.

    Blocks until libespeak-ng's thread has done the work; call it from a worker thread.
    """
    return _lib.ESPEAK_THREAD.submit(_phonemize, text, voice, tie).result()


def _phonemize(text: str, voice: str, tie: str | None) -> list[PhonemeClause]:
    library = _lib.library()

    def speak(part: str) -> str:
        return library.phonemes(part, voice, tie=tie)

    clauses = []
    for start, end, punctuation in split_clauses(text):
        words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
        if not words:
            continue
        spoken = speak(text[start:end])
        aligned = _align(text, words, spoken, speak, tie)
        clauses.append(PhonemeClause(tuple(aligned), punctuation))
    return clauses


def _align(
    text: str,
    words: list[tuple[int, int]],
    spoken: str,
    speak: Callable[[str], str],
    tie: str | None,
) -> list[PhonemeWord]:
    """Give each text word its part of the clause's phonemes ``spoken``."""
    groups = spoken.split()
    plain = all(_PLAIN_WORD.fullmatch(text[s:e].lstrip("\"'“‘(")) for s, e in words)
    if plain and len(groups) == len(words):
        return [PhonemeWord(s, e, group) for (s, e), group in zip(words, groups, strict=True)]
    alone = [speak(text[s:e]) for s, e in words]
    reference = " ".join(alone)
    starts = []
    position = 0
    for phonemes in alone:
        starts.append(position)
        position += len(phonemes) + 1
    to_spoken = _position_map(reference, spoken)
    cuts = [_snap(spoken, to_spoken[start], tie) for start in starts] + [len(spoken)]
    cuts[0] = 0
    for index in range(1, len(cuts)):  # monotone, whatever the matcher did
        cuts[index] = max(cuts[index], cuts[index - 1])
    found = []
    for index, (start, end) in enumerate(words):
        piece = spoken[cuts[index] : cuts[index + 1]]
        joined = index > 0 and cuts[index] > 0 and spoken[cuts[index] - 1] != " "
        found.append(PhonemeWord(start, end, piece.strip(), joined and not piece.startswith(" ")))
    return found


def _position_map(source: str, target: str) -> list[int]:
    """For each index of ``source`` (and its end), the matching index in ``target``."""
    mapping = [0] * (len(source) + 1)
    matcher = SequenceMatcher(None, source, target, autojunk=False)
    for _tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(i1, i2):
            mapping[k] = j1 + (k - i1) * (j2 - j1) // (i2 - i1)
    mapping[len(source)] = len(target)
    return mapping


def _snap(phonemes: str, cut: int, tie: str | None) -> int:
    """Move a cut off a space run and out of a phoneme (stress, tie and length marks)."""
    cut = min(max(cut, 0), len(phonemes))
    clings = _CLINGS_TO_PREVIOUS + (tie or "")
    while 0 < cut < len(phonemes) and phonemes[cut] == " " and phonemes[cut - 1] == " ":
        cut += 1
    while cut > 0 and phonemes[cut - 1] in _STRESS:
        cut -= 1
    while cut < len(phonemes) and (
        phonemes[cut] in clings
        or unicodedata.combining(phonemes[cut])
        or (tie is not None and phonemes[cut - 1 : cut] == tie)
    ):
        cut += 1
    return cut


__all__ = ["PhonemeClause", "PhonemeWord", "phonemize"]
