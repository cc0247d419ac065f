"""Words as the recognizer sees them: normalization, tokens, and word error rate.

The language model, the pronunciation dictionary, the benchmark and the tests all have to
agree on what a "word" is, so the rules live here once: lower case, any character that is
not a letter (of any script), digit or inner apostrophe splits words ("don't" stays whole,
"tts-agents" is two words), and numbers keep their digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_TOKEN = re.compile(r"(?:[^\W_]|')+(?:[.,]\d+)*")


def words(text: str) -> list[str]:
    """The words of ``text`` in the recognizer's spelling ("Use MP3, 2.5x!" -> use mp3 2.5x).

    Numbers stay as written ("24", "2.5"): the dictionary builder gives them their spoken
    form, so a transcript shows "24 kHz" the way the knowledge base writes it.
    """
    found = []
    for token in _TOKEN.findall(text.lower()):
        token = token.strip("'").replace(",", "")
        if token:
            found.append(token)
    return found


def normalize(text: str) -> str:
    """``text`` as one line of recognizer words, separated by single spaces."""
    return " ".join(words(text))


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, words in the reference): the two halves of a WER.

    Both sides are normalized first, so case and punctuation never count as errors.
    """
    ref = words(reference)
    hyp = words(hypothesis)
    return _edit_distance(ref, hyp), len(ref)


def _edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i]
        for j, hyp_word in enumerate(hyp, start=1):
            substitution = previous[j - 1] + (ref_word != hyp_word)
            current.append(min(previous[j] + 1, current[j - 1] + 1, substitution))
        previous = current
    return previous[-1]


__all__ = ["normalize", "word_errors", "words"]
