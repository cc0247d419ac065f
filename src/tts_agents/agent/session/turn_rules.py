"""Turn-taking text logic: sentences from streaming text, barge-in decisions, cut answers.

Pure functions and small classes, no I/O, so the rules are easy to test and to tune.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FIRST_MIN_CHARS = 12  # a first piece shorter than this waits for more text
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*\s+|\n\s*\n""")
_CLAUSE_END = re.compile(r"""[,;:—–][)"'”’]*\s+""")
_ABBREVIATIONS = frozenset("mr mrs ms dr prof st vs etc e.g i.e no approx".split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


class SentenceSplitter:
    """Cuts text that streams in (LLM tokens) into pieces to speak one by one.

    The first piece ends at the first sentence or clause end past ``FIRST_MIN_CHARS``, so
    speech starts after a few words; later pieces are whole sentences. Pieces are returned
    as ``(start, end)`` offsets into the text pushed so far, so a cut answer can be mapped
    back to its text.
    """

    def __init__(self) -> None:
        self.text = ""
        self._start = 0

    def push(self, delta: str) -> list[tuple[int, int]]:
        """Add text; the pieces it completed."""
        self.text += delta
        pieces = []
        while (end := self._next_cut()) is not None:
            pieces.append((self._start, end))
            self._start = end
        return pieces

    def flush(self) -> tuple[int, int] | None:
        """The text left at the end, if it has anything to say."""
        start, self._start = self._start, len(self.text)
        return (start, len(self.text)) if self.text[start:].strip() else None

    def _next_cut(self) -> int | None:
        pending = self.text[self._start :]
        patterns = (_SENTENCE_END, _CLAUSE_END) if self._start == 0 else (_SENTENCE_END,)
        for pattern in patterns:
            for match in pattern.finditer(pending):
                if match.end() < FIRST_MIN_CHARS and self._start == 0:
                    continue
                if _after_abbreviation(pending, match.start()):
                    continue
                return self._start + match.end()
        return None


def _after_abbreviation(text: str, at: int) -> bool:
    if not text.startswith(".", at):
        return False
    before = text[:at].rsplit(None, 1)
    return bool(before) and before[-1].lower().lstrip("(\"'") in _ABBREVIATIONS


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` for matching (punctuation dropped)."""
    return _WORD.findall(text.lower())


class BargeIn(enum.Enum):
    """What to do about user speech heard while the agent talks."""

    WAIT = "wait"  # not sure yet: keep the agent paused and listen on
    IGNORE = "ignore"  # a backchannel, an echo or noise: let the agent go on
    INTERRUPT = "interrupt"  # the user is taking the turn


@dataclass(frozen=True)
class BargeInPolicy:
    """Tells a real interruption from a backchannel ("uh huh") or the agent's own echo.

    ``backchannel`` holds words that never interrupt. Speech shorter than ``min_speech``
    seconds never interrupts either, whatever the recognizer made of it: one short word
    is where offline speech recognition is least reliable ("okay" comes out as "queue
    you"), and a single word over the agent is far more often a backchannel than a
    request. So "stop" alone lets the agent go on; "stop please" or a question stops it.
    With Whisper, which hears single words reliably, agents use a shorter ``min_speech``
    so "stop" or "wait" alone interrupts (a backchannel word still never does).
    Speech that the agent's own words explain (most word pairs heard occur in what the
    agent is saying) is an echo of its audio and never interrupts.
    """

    backchannel: frozenset[str]
    min_speech: float = 0.7
    echo_overlap: float = 0.6

    @classmethod
    def from_phrases(cls, phrases: Iterable[str], **options: float) -> BargeInPolicy:
        """A policy whose backchannel vocabulary is every word of ``phrases``."""
        return cls(frozenset(w for phrase in phrases for w in words(phrase)), **options)

    def decide(self, heard: str, agent_text: str, speech: float, *, final: bool) -> BargeIn:
        """The decision for ``heard`` (a partial or final transcript) after ``speech`` s."""
        said = words(heard)
        unclear = speech < self.min_speech or not said
        if unclear or all(w in self.backchannel for w in said) or self.is_echo(said, agent_text):
            return BargeIn.IGNORE if final else BargeIn.WAIT
        if not final and len(said) == 1 and said[0] in words(agent_text):
            return BargeIn.WAIT  # maybe the first word of an echo: hear one more
        return BargeIn.INTERRUPT

    def is_echo(self, said: Sequence[str], agent_text: str) -> bool:
        """True when most word pairs heard also occur, in order, in what the agent said."""
        if len(said) < 2:
            return False
        spoken = words(agent_text)
        agent_pairs = set(zip(spoken, spoken[1:], strict=False))
        pairs = list(zip(said, said[1:], strict=False))
        matched = sum(pair in agent_pairs for pair in pairs)
        return matched / len(pairs) >= self.echo_overlap


def cut_at_word(text: str, end: int) -> str:
    """``text[:end]`` extended to the end of the word it stops in, stripped."""
    while 0 < end < len(text) and not text[end].isspace():
        end += 1
    return text[:end].strip()
