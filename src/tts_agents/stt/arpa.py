"""A small n-gram language model with Witten-Bell smoothing, written as ARPA text.

pocketsphinx reads ARPA files; the agent's domain has a few hundred sentences, so a model
built in pure Python takes milliseconds. Witten-Bell suits such tiny corpora: it gives the
unseen continuations of a history a share that grows with how many *different* words
followed it, so "how do i ..." stays open while a fixed phrase stays tight.

The model is interpolated (every order mixes in the order below it), which an ARPA file
expresses exactly with backoff weights: for a seen history ``h`` the weight is
``T(h) / (c(h) + T(h))``, the mass kept for the lower order. Words of the vocabulary that
the sentences never use get their unigram mass from ``background`` (a general-English
unigram distribution) mixed in with weight ``background_weight``; that keeps everyday
words reachable when a user strays from the domain.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

START = "<s>"
END = "</s>"
_NEVER = -99.0  # ARPA's log10 probability for <s>, which is never predicted

Gram = tuple[str, ...]


class WittenBellModel:
    """An interpolated Witten-Bell n-gram model of ``sentences`` (lists of words)."""

    def __init__(
        self,
        sentences: Iterable[Sequence[str]],
        *,
        order: int = 3,
        background: Mapping[str, float] | None = None,
        background_weight: float = 0.0,
    ) -> None:
        if order < 1:
            raise ValueError("order must be at least 1")
        if not 0.0 <= background_weight < 1.0:
            raise ValueError("background_weight must be in [0, 1)")
        self.order = order
        self.counts: list[Counter[Gram]] = [Counter() for _ in range(order)]
        for sentence in sentences:
            padded = (START, *sentence, END)
            for n in range(1, order + 1):
                for i in range(len(padded) - n + 1):
                    self.counts[n - 1][padded[i : i + n]] += 1
        self._followers: list[dict[Gram, Counter[str]]] = []
        for n in range(2, order + 1):
            followers: dict[Gram, Counter[str]] = defaultdict(Counter)
            for gram, count in self.counts[n - 1].items():
                followers[gram[:-1]][gram[-1]] = count
            self._followers.append(followers)
        self._unigrams = self._unigram_probabilities(background or {}, background_weight)
        self._cache: dict[Gram, float] = {}

    @property
    def vocabulary(self) -> list[str]:
        """Every word the model can predict, <s> and </s> included, sorted."""
        return sorted(self._unigrams)

    def _unigram_probabilities(
        self, background: Mapping[str, float], weight: float
    ) -> dict[str, float]:
        seen = {gram[0]: count for gram, count in self.counts[0].items() if gram[0] != START}
        total = sum(seen.values())
        types = len(seen)
        vocabulary = set(seen) | set(background)
        # Witten-Bell against a uniform floor over the vocabulary, then the background mix.
        floor = types / len(vocabulary) if vocabulary else 0.0
        background_total = sum(background.values()) or 1.0
        probabilities = {}
        for word in vocabulary:
            domain = (seen.get(word, 0) + floor) / (total + types)
            general = background.get(word, 0.0) / background_total
            probabilities[word] = (1.0 - weight) * domain + weight * general
        probabilities[START] = 0.0
        return probabilities

    def probability(self, gram: Gram) -> float:
        """P(last word | the words before it), interpolated down to the unigram."""
        cached = self._cache.get(gram)
        if cached is not None:
            return cached
        if len(gram) == 1:
            value = self._unigrams.get(gram[0], 0.0)
        else:
            lower = self.probability(gram[1:])
            followers = self._followers[len(gram) - 2].get(gram[:-1])
            if followers is None:
                value = lower
            else:
                seen, types = followers.total(), len(followers)
                value = (followers.get(gram[-1], 0) + types * lower) / (seen + types)
        self._cache[gram] = value
        return value

    def backoff(self, history: Gram) -> float:
        """The weight of the lower order after ``history``: T(h) / (c(h) + T(h)), else 1."""
        if len(history) >= self.order:
            return 1.0
        followers = self._followers[len(history) - 1].get(history)
        if followers is None:
            return 1.0
        types = len(followers)
        return types / (followers.total() + types)

    def arpa(self) -> str:
        """The model in ARPA text format, as pocketsphinx and SRILM read it."""
        sections: list[list[str]] = [self._unigram_lines()]
        for n in range(2, self.order + 1):
            sections.append(
                [self._line(gram, n < self.order) for gram in sorted(self.counts[n - 1])]
            )
        header = ["", "\\data\\"]
        header += [f"ngram {n}={len(lines)}" for n, lines in enumerate(sections, start=1)]
        body = []
        for n, lines in enumerate(sections, start=1):
            body += ["", f"\\{n}-grams:", *lines]
        return "\n".join([*header, *body, "", "\\end\\", ""])

    def _unigram_lines(self) -> list[str]:
        lines = []
        for word in self.vocabulary:
            if word == START:
                lines.append(f"{_NEVER:.4f}\t{START}\t{_log10(self.backoff((START,))):.4f}")
            else:
                lines.append(self._line((word,), self.order > 1))
        return lines

    def _line(self, gram: Gram, with_backoff: bool) -> str:
        line = f"{_log10(self.probability(gram)):.4f}\t{' '.join(gram)}"
        if with_backoff and gram[-1] != END:
            line += f"\t{_log10(self.backoff(gram)):.4f}"
        return line


def _log10(value: float) -> float:
    return math.log10(value) if value > 0.0 else _NEVER


__all__ = ["END", "START", "WittenBellModel"]
