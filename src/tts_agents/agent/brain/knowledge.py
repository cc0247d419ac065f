"""The knowledge base: short facts, found again by BM25 from what a caller said.

Facts come from markdown or text files: each bullet or paragraph is one passage, filed
under the nearest ``##`` heading (its topic). Queries are transcripts, so both sides go
through the same pipeline: :func:`~tts_agents.agent.brain.spoken.spoken_words`, acronyms folded
back into one token ("m p three" is ``mp3``), stop words out, light stemming ("formats" is
"format"), and a close-spelling match for words the index never saw ("instal").

BM25 ranks the passages; :attr:`Hit.confidence` says how much of the question the best
passage covers (the share of the query's IDF weight it matches), which is what a caller
compares with a threshold to decide between an answer and an honest "I don't know".
Action words ("change", "set", "make") say what to do, not what it is about: they count
:data:`ACTION_WEIGHT` of their weight, so "how do I change the speed" finds the passage
about speed rather than one that says "change" about pitch.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tts_agents.agent.brain.spoken import SPOKEN_FORMS, speakable, spoken_words

STOP_WORDS = frozenset(
    """a about after again all also am an and any are as at be been before being but by can
    could did do does doing for from get got had has have having he her here hi him his how i
    if in into is it its itself just let like may me might more most my myself no nor not now
    of off on once only or other our out over own please same shall she should so some such
    tell than that the their them then there these they this those through to too under until
    up us very want was way we were what when where which while who whom why will with would
    yes you your yours okay ok yeah uh um hmm mhm well alright right really actually know
    thing things something anything kind sort maybe use using used lot lots many much happen
    happens plus zero one two three four five six seven eight nine ten different other
    another same several""".split()
)
#: Words a caller uses for what the facts call something else.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "setup": ("install",),
    "download": ("install",),
    "fast": ("speed",),
    "faster": ("speed",),
    "slow": ("speed",),
    "slower": ("speed",),
    "quickly": ("speed",),
    "token": ("key",),
    "password": ("key",),
    "credential": ("key",),
    "internet": ("offline", "network"),
    "connection": ("network",),
    "sound": ("voice",),
    "accent": ("voice", "language"),
    "caption": ("subtitle",),
    "price": ("free",),
    "cost": ("free",),
    "pay": ("free",),
    "secure": ("security",),
    "safe": ("security",),
    "bulk": ("batch",),
    "jobs": ("batch",),
    "loud": ("volume",),
    "louder": ("volume",),
    "quiet": ("volume",),
    "man": ("male",),
    "men": ("male",),
    "woman": ("female",),
    "women": ("female",),
    "begin": ("install",),
    "gpt": ("llm",),
    "chatgpt": ("llm",),
}
_FOLD = {tuple(spoken.split()): written for written, spoken in SPOKEN_FORMS.items()} | {
    ("large", "language", "model"): "llm",
    ("large", "language", "models"): "llm",
    ("text", "to", "speech"): "tts",
    ("speech", "to", "text"): "stt",
}
#: Verbs of questions that ask how to do something; what they act on is the subject.
ACTION_WORDS = frozenset(
    """change changing adjust alter modify set setting make making turn switch pick choose
    select configure specify""".split()
)
#: How much an action word counts, in the score and the confidence, next to other words.
ACTION_WEIGHT = 0.25
#: How much a word of a passage's topic (its heading) counts, next to one in its text.
TOPIC_WEIGHT = 0.5
#: How much a synonym counts next to the word itself.
SYNONYM_WEIGHT = 0.6
_FOLD_LONGEST = max(len(key) for key in _FOLD)
_SUFFIXES = (
    ("eed", "eed", 0),  # "speed" is not "spe" + "ed"
    ("ies", "y", 3),
    ("sses", "ss", 3),
    ("ing", "", 3),
    ("ed", "", 3),
    ("er", "", 4),
    ("es", "", 3),
    ("s", "", 3),
)
#: Spelling slips shorter than this are not guessed at ("paris" is not "pars").
_FUZZY_MIN_LENGTH = 6
#: Words the index has never seen count this much of their IDF against the confidence:
#: a misheard word should not sink a clear question, but a question made of them is
#: still not understood.
UNKNOWN_WEIGHT = 0.5
#: A passage that matches a single word of a question with unknown words in it ("order
#: me a pizza" and the fallback chain's "in order") keeps this share of its confidence.
LONE_MATCH_FACTOR = 0.5


def stem(word: str) -> str:
    """A light stem, the same for a word's common forms ("voices", "voice" -> "voic")."""
    for suffix, replacement, shortest in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            word = word[: -len(suffix)] + replacement
            break
    if len(word) >= 4 and word.endswith("e"):
        word = word[:-1]
    return word


_STEMMED_SYNONYMS = {
    stem(word): tuple(stem(other) for other in others) for word, others in SYNONYMS.items()
}
_ACTION_STEMS = frozenset(stem(word) for word in ACTION_WORDS)


def fold_acronyms(words: Sequence[str]) -> list[str]:
    """Join spelled-out forms back into one token: ["m", "p", "three"] -> ["mp3"]."""
    folded: list[str] = []
    index = 0
    while index < len(words):
        for size in range(min(_FOLD_LONGEST, len(words) - index), 0, -1):
            written = _FOLD.get(tuple(words[index : index + size]))
            if written is not None:
                folded.append(written)
                index += size
                break
        else:
            folded.append(words[index])
            index += 1
    return folded


def terms(text: str) -> list[str]:
    """The index terms of ``text``: spoken form, acronyms folded, stop words out, stemmed."""
    words = fold_acronyms(spoken_words(text).split())
    return [stem(word) for word in words if word not in STOP_WORDS]


@dataclass(frozen=True)
class Passage:
    """One fact: ``text`` ready to be spoken, ``topic`` the heading it sits under."""

    text: str
    topic: str = ""


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, its BM25 score and the share of the query it covers."""

    passage: Passage
    score: float
    confidence: float


def parse_passages(text: str) -> list[Passage]:
    """Passages of a markdown or text file: each bullet or paragraph, with its heading."""
    passages: list[Passage] = []
    topic = ""
    block: list[str] = []

    def close() -> None:
        joined = speakable("\n".join(block))
        if joined:
            passages.append(Passage(joined, topic))
        block.clear()

    for line in text.splitlines():
        heading = re.match(r"^\s{0,3}(#{1,6})\s+(.*)$", line)
        if heading or not line.strip() or re.match(r"^\s{0,3}([-*+]|[0-9]+[.)])\s+", line):
            close()
        if heading:
            topic = speakable(heading.group(2)) if len(heading.group(1)) > 1 else topic
        elif line.strip():
            block.append(line)
    close()
    return passages


def _document(passage: Passage) -> dict[str, float]:
    """A passage's term counts; its topic's words count half (they are shared by many)."""
    counts: dict[str, float] = {}
    for term in terms(passage.text):
        counts[term] = counts.get(term, 0.0) + 1.0
    for term in terms(passage.topic):
        counts[term] = counts.get(term, 0.0) + TOPIC_WEIGHT
    return counts


class KnowledgeBase:
    """BM25 (k1=1.2, b=0.75) over passages; the topic's words count half in each one."""

    def __init__(self, passages: Iterable[Passage], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.passages = tuple(passages)
        self._k1, self._b = k1, b
        self._docs = [_document(passage) for passage in self.passages]
        self._lengths = [sum(doc.values()) for doc in self._docs]
        self._average = sum(self._lengths) / len(self._docs) if self._docs else 1.0
        frequency = Counter(term for doc in self._docs for term in doc)
        count = len(self._docs)
        self._idf = {
            term: math.log(1.0 + (count - df + 0.5) / (df + 0.5)) for term, df in frequency.items()
        }
        self._unknown_idf = math.log(1.0 + (count + 0.5) / 0.5)
        self._vocabulary = sorted(self._idf)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> KnowledgeBase:
        """A knowledge base of every passage in ``texts`` (markdown or plain text)."""
        return cls(passage for text in texts for passage in parse_passages(text))

    def extended(self, texts: Iterable[str]) -> KnowledgeBase:
        """A knowledge base with the passages of ``texts`` (a session's context) added."""
        extra = [passage for text in texts for passage in parse_passages(text)]
        return KnowledgeBase([*self.passages, *extra], k1=self._k1, b=self._b) if extra else self

    @property
    def topics(self) -> list[str]:
        """The topics, in the order they first appear."""
        return list(dict.fromkeys(p.topic for p in self.passages if p.topic))

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        """The best ``limit`` passages for ``query``, best first (none that match nothing)."""
        slots = self._query_slots(query)
        if not slots or not self._docs:
            return []
        weights = [self._slot_weight(slot) for slot in slots]
        total = sum(weights)
        ranked = sorted(
            ((self._score(index, slots), index) for index in range(len(self._docs))),
            reverse=True,
        )
        hits = []
        for score, index in ranked[:limit]:
            if score <= 0:
                break
            doc = self._docs[index]
            matched = [any(term in doc for term in slot) for slot in slots]
            confidence = sum(w for w, hit in zip(weights, matched, strict=True) if hit) / total
            if sum(matched) == 1 and any(self._unknown(slot) for slot in slots):
                confidence *= LONE_MATCH_FACTOR
            hits.append(Hit(self.passages[index], score, confidence))
        return hits

    def _query_slots(self, query: str) -> list[tuple[str, ...]]:
        """One slot per distinct query term, with its synonyms after it.

        A passage covers the slot when it holds any of them. Recogniser slips are
        repaired first: two words that make a known one are joined ("of line" is
        "offline"), and a long unknown word takes the closest known spelling.
        """
        words = fold_acronyms(spoken_words(query).split())
        slots: dict[tuple[str, ...], None] = {}
        index = 0
        while index < len(words):
            term, index = self._term_at(words, index)
            if term is not None:
                slots[(term, *_STEMMED_SYNONYMS.get(term, ()))] = None
        return list(slots)

    def _term_at(self, words: Sequence[str], index: int) -> tuple[str | None, int]:
        """The term at ``index`` (None for a stop word) and the index after it.

        The word is joined with the next when only together they are known. A joined
        term comes from the index, already stemmed: stemming it again would turn
        "choos" (the stem of "choose") into "choo", which nothing matches.
        """
        if index + 1 < len(words):
            first, second = words[index], words[index + 1]
            if not (self._is_term(first) and self._is_term(second)):
                joined = stem(first + second)
                close = difflib.get_close_matches(joined, self._vocabulary, n=1, cutoff=0.9)
                if close:
                    return close[0], index + 2
        word = words[index]
        if word in STOP_WORDS:
            return None, index + 1
        return self._spelled(stem(word)), index + 1

    def _spelled(self, term: str) -> str:
        """``term``, or the known term it is a long near-miss of."""
        if term in self._idf or len(term) < _FUZZY_MIN_LENGTH:
            return term
        close = difflib.get_close_matches(term, self._vocabulary, n=1, cutoff=0.85)
        return close[0] if close else term

    def _unknown(self, slot: tuple[str, ...]) -> bool:
        """A subject word the index has never seen, nor any synonym of it.

        Action words are left out: "adjust the volume" is about volume, whether or not
        the facts ever say "adjust".
        """
        return slot[0] not in _ACTION_STEMS and all(term not in self._idf for term in slot)

    def _is_term(self, word: str) -> bool:
        return word not in STOP_WORDS and stem(word) in self._idf

    def _slot_weight(self, slot: tuple[str, ...]) -> float:
        known = [self._idf[term] for term in slot if term in self._idf]
        weight = known[0] if known else UNKNOWN_WEIGHT * self._unknown_idf
        return weight * _emphasis(slot)

    def _score(self, index: int, slots: Sequence[tuple[str, ...]]) -> float:
        doc = self._docs[index]
        norm = self._k1 * (1 - self._b + self._b * self._lengths[index] / self._average)
        score = 0.0
        for slot in slots:
            best = 0.0
            for position, term in enumerate(slot):
                tf = doc.get(term, 0)
                if tf:
                    weight = 1.0 if position == 0 else SYNONYM_WEIGHT
                    best = max(best, weight * self._idf[term] * tf * (self._k1 + 1) / (tf + norm))
            score += best * _emphasis(slot)
        return score


def _emphasis(slot: tuple[str, ...]) -> float:
    """How much a query slot counts: an action word less than what it acts on."""
    return ACTION_WEIGHT if slot[0] in _ACTION_STEMS else 1.0


__all__ = [
    "ACTION_WEIGHT",
    "ACTION_WORDS",
    "STOP_WORDS",
    "Hit",
    "KnowledgeBase",
    "Passage",
    "fold_acronyms",
    "parse_passages",
    "stem",
    "terms",
]
