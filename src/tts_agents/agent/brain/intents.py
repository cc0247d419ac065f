"""Built-in intents: greeting, help, repeat, time and date, thanks, goodbye.

Transcripts are lower-case, unpunctuated and sometimes wrong ("good by", "what's the
time" heard as "what the time"), so an intent is a set of short phrases matched as word
sequences inside the utterance, never the whole utterance. What is left over matters:
"thanks" alone is thanks, but "thanks how do i install it" is a question that happens to
start politely, so :class:`IntentMatch` carries the content words outside the phrase and
the brain decides (see :mod:`tts_agents.agent.brain`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from tts_agents.agent.brain.knowledge import STOP_WORDS
from tts_agents.agent.brain.spoken import number_words, ordinal_words, spoken_words


class Intent(str, Enum):
    """The conversational moves the agent handles itself, in priority order."""

    GOODBYE = "goodbye"
    REPEAT = "repeat"
    TIME = "time"
    DATE = "date"
    HELP = "help"
    THANKS = "thanks"
    GREETING = "greeting"


_PHRASES: dict[Intent, tuple[str, ...]] = {
    Intent.GOODBYE: (
        "goodbye",
        "good bye",
        "good by",
        "bye",
        "bye bye",
        "by by",
        "see you",
        "see you later",
        "talk to you later",
        "that is all",
        "that is all for now",
        "that will be all",
        "i am done",
        "we are done",
        "end the call",
        "end the conversation",
        "hang up",
        "have a nice day",
        "have a good day",
        "good night",
    ),
    Intent.REPEAT: (
        "repeat",
        "repeat that",
        "say that again",
        "say it again",
        "say again",
        "come again",
        "pardon",
        "what did you say",
        "i did not catch that",
        "i did not hear",
        "one more time",
    ),
    Intent.TIME: (
        "what time",
        "time is it",
        "the time now",
        "current time",
        "tell me the time",
        "what is the time",
    ),
    Intent.DATE: (
        "what date",
        "the date",
        "date today",
        "today date",
        "what day",
        "day is it",
        "day is today",
        "what is today",
    ),
    Intent.HELP: (
        "help",
        "help me",
        "what can you do",
        "what can i ask",
        "what do you know",
        "what can you tell me",
        "what are you",
        "who are you",
        "how does this work",
    ),
    Intent.THANKS: (
        "thanks",
        "thank you",
        "thank you very much",
        "thanks a lot",
        "many thanks",
        "cheers",
        "appreciate it",
        "that helps",
        "that was helpful",
        "great thanks",
    ),
    Intent.GREETING: (
        "hi",
        "hello",
        "hey",
        "hey there",
        "hi there",
        "hello there",
        "good morning",
        "good afternoon",
        "good evening",
        "howdy",
        "how are you",
        "how are you doing",
    ),
}

#: Whole utterances as callers say them, so the recogniser expects the phrases in context.
_UTTERANCES = (
    "what time is it",
    "what is the time now",
    "what is the date today",
    "what day is it today",
    "can you repeat that please",
    "sorry i did not catch that",
    "what can you do for me",
    "thank you very much",
    "thanks that was helpful",
    "okay thanks bye",
    "hello how are you",
    "that is all for now goodbye",
)
#: Every intent phrase and utterance, for the recogniser's domain model.
INTENT_PHRASES: tuple[str, ...] = (
    *(phrase for phrases in _PHRASES.values() for phrase in phrases),
    *_UTTERANCES,
)
_FILLERS = frozenset(
    {"oh", "so", "and", "just", "then", "now", "today", "very", "much", "lot", "again"}
)
#: Words of the social intents: "thanks bye" is a goodbye with nothing else in it.
_SOCIAL = frozenset(
    word
    for intent in (Intent.GOODBYE, Intent.THANKS, Intent.GREETING)
    for phrase in _PHRASES[intent]
    for word in phrase.split()
)
_IGNORED = STOP_WORDS | _FILLERS | _SOCIAL


@dataclass(frozen=True)
class IntentMatch:
    """An intent found in an utterance, and the content words outside its phrase."""

    intent: Intent
    phrase: str
    leftover: tuple[str, ...]

    @property
    def alone(self) -> bool:
        """True when the utterance says nothing but the intent."""
        return not self.leftover


def match_intents(utterance: str) -> list[IntentMatch]:
    """Every intent whose phrase occurs in ``utterance``, in priority order.

    Each intent's longest phrase present wins; its words are removed and what is left,
    minus stop words, fillers and social words ("thanks", "hello"), is the
    :attr:`IntentMatch.leftover`.
    """
    words = spoken_words(utterance).split()
    found = []
    for intent, phrases in _PHRASES.items():
        for phrase in sorted(phrases, key=lambda p: -len(p.split())):
            start = _find(words, phrase.split())
            if start is not None:
                rest = words[:start] + words[start + len(phrase.split()) :]
                leftover = tuple(w for w in rest if w not in _IGNORED)
                found.append(IntentMatch(intent, phrase, leftover))
                break
    return found


def without_phrases(utterance: str, matches: Sequence[IntentMatch]) -> str:
    """``utterance`` (spoken form) with the matched intents' phrases taken out.

    "hello how do i install it" is searched as "how do i install it": a word the
    knowledge base never saw would otherwise count against a clear question.
    """
    words = spoken_words(utterance).split()
    for match in matches:
        phrase = match.phrase.split()
        start = _find(words, phrase)
        if start is not None:
            del words[start : start + len(phrase)]
    return " ".join(words)


def _find(words: list[str], phrase: list[str]) -> int | None:
    for start in range(len(words) - len(phrase) + 1):
        if words[start : start + len(phrase)] == phrase:
            return start
    return None


def spoken_time(moment: datetime) -> str:
    """The time as people say it: "It's ten past three in the afternoon."."""
    hour, minute = moment.hour, moment.minute
    if minute == 0 and hour in (0, 12):
        return "It's midnight." if hour == 0 else "It's noon."
    clock = number_words(hour % 12 or 12)
    if minute == 0:
        said = f"{clock} o'clock"
    elif minute < 10:
        said = f"{clock} oh {number_words(minute)}"
    else:
        said = f"{clock} {number_words(minute)}"
    if hour < 12:
        part = "in the morning"
    elif hour < 17:
        part = "in the afternoon"
    elif hour < 21:
        part = "in the evening"
    else:
        part = "at night"
    return f"It's {said} {part}."


def spoken_date(moment: datetime) -> str:
    """The date as people say it: "Today is Tuesday, June fourth, twenty twenty five."."""
    century, year = divmod(moment.year, 100)
    if year < 10:
        spoken_year = number_words(moment.year)
    else:
        spoken_year = f"{number_words(century)} {number_words(year)}"
    day = ordinal_words(moment.day)
    return f"Today is {moment:%A}, {moment:%B} {day}, {spoken_year}."


__all__ = [
    "INTENT_PHRASES",
    "Intent",
    "IntentMatch",
    "match_intents",
    "spoken_date",
    "spoken_time",
    "without_phrases",
]
