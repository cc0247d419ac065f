"""Which reader speaks which language.

English has its own reader (:mod:`.english`). Other languages get :class:`NumberReader`:
emoji dropped, and numbers, decimals and percentages said with num2words in that language;
everything else is left to the engine, which knows its language's words. A language gets
its own reader by adding a module with the same :class:`Reader` shape here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from tts_agents.text.normalize.english import EnglishReader
from tts_agents.text.normalize.numbers import cardinal, decimal, digits, number_language, ordinal
from tts_agents.text.normalize.symbols import drop_emoji, split_punctuation

_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_PERCENT_WORDS = {"de": "Prozent", "fr": "pour cent", "es": "por ciento", "it": "per cento"}
_POINT_WORDS = {"de": "Komma", "fr": "virgule", "es": "coma", "it": "virgola", "pt": "vírgula"}


class Reader(Protocol):
    """Readings of whitespace tokens, and the pieces ``<say-as>`` asks for."""

    language: str

    def read(self, words: Sequence[str]) -> list[str]:
        """The words to speak for each token, in order."""

    def characters(self, text: str) -> str:
        """Each character said on its own."""

    def cardinal(self, text: str) -> str:
        """A number as words."""

    def ordinal(self, value: int) -> str:
        """An ordinal as words."""

    def date(self, year: int | None, month: int | None, day: int | None) -> str:
        """A date as words."""

    def telephone(self, text: str) -> str:
        """A telephone number, digit by digit in groups."""


class NumberReader:
    """A language without its own rules: numbers in its words, emoji dropped."""

    def __init__(self, language: str) -> None:
        """``language`` is a num2words language code (``de``, ``fr``)."""
        self.language = language

    def read(self, words: Sequence[str]) -> list[str]:
        """Numbers and percentages said in the language; other tokens as written."""
        return [self._token(word) for word in words]

    def _token(self, word: str) -> str:
        word = drop_emoji(word)
        lead, core, trail = split_punctuation(word)
        core, dots = core.rstrip("."), core[len(core.rstrip(".")) :]
        percent = core.endswith("%")
        number = core[:-1] if percent else core
        if not _NUMBER.fullmatch(number):
            return word
        said = self.cardinal(number)
        if percent:
            said += " " + _PERCENT_WORDS.get(self.language, "%")
        return lead + said + dots + trail

    def characters(self, text: str) -> str:
        """Each character on its own (digits as words)."""
        return " ".join(
            digits(char, self.language) if char.isdigit() else char
            for char in text
            if not char.isspace()
        )

    def cardinal(self, text: str) -> str:
        """A number; a comma or a point before the last digits is the decimal mark."""
        point = _POINT_WORDS.get(self.language, "point")
        return decimal(text.replace(",", "."), self.language, point)

    def ordinal(self, value: int) -> str:
        """An ordinal in the language."""
        return ordinal(value, self.language)

    def date(self, year: int | None, month: int | None, day: int | None) -> str:
        """Day, month and year as numbers in the language."""
        parts = [ordinal(day, self.language)] if day is not None else []
        parts += [cardinal(value, self.language) for value in (month, year) if value is not None]
        return " ".join(parts)

    def telephone(self, text: str) -> str:
        """Digits in their groups."""
        return ", ".join(digits(group, self.language) for group in re.findall(r"\d+", text))


class PlainReader(NumberReader):
    """A language num2words does not know: only emoji are dropped."""

    def _token(self, word: str) -> str:
        return drop_emoji(word)

    def cardinal(self, text: str) -> str:
        """Left as written."""
        return text

    def ordinal(self, value: int) -> str:
        """Left as digits."""
        return str(value)


def reader_for(language: str | None) -> Reader:
    """The reader for a BCP 47 language tag (``en-us``, ``en-GB``, ``de``)."""
    tag = (language or "en").lower().replace("_", "-")
    if tag == "en" or tag.startswith("en-"):
        return EnglishReader(day_first=tag not in ("en", "en-us", "en-ca", "en-ph"))
    found = number_language(tag)
    return NumberReader(found) if found else PlainReader(tag)


__all__ = ["NumberReader", "PlainReader", "Reader", "reader_for"]
