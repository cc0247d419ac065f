"""Numbers as words, in any language num2words knows.

num2words writes British English ("one thousand, two hundred and thirty-four"); American
readers drop the commas and the "and", and a comma inside a number would make every engine
pause. Digits are read one by one where people do: after a decimal point, in phone numbers
and in numbers too long to say.
"""

from __future__ import annotations

import re

from num2words import CONVERTER_CLASSES, num2words

_MAX_SAID = 10**15  # past this a number is read digit by digit
_ENGLISH_DIGITS = "zero one two three four five six seven eight nine".split()


def number_language(language: str) -> str | None:
    """The num2words language for a BCP 47 tag (``en-gb`` -> ``en``), or None."""
    tag = language.lower().replace("_", "-")
    primary = tag.split("-")[0]
    if primary in CONVERTER_CLASSES:
        return primary
    return None


def cardinal(value: int, language: str = "en") -> str:
    """``1234`` -> "one thousand two hundred thirty-four"."""
    if abs(value) >= _MAX_SAID:
        sign = "minus " if value < 0 else ""
        return sign + digits(str(abs(value)), language)
    return _said(num2words(value, lang=language), language)


def ordinal(value: int, language: str = "en") -> str:
    """``22`` -> "twenty-second"."""
    return _said(num2words(value, lang=language, to="ordinal"), language)


def year(value: int, language: str = "en") -> str:
    """``1999`` -> "nineteen ninety-nine"; ``2005`` -> "two thousand five"."""
    if language != "en":
        return cardinal(value, language)
    if 2000 <= value <= 2009:
        return cardinal(value)
    return _said(num2words(value, lang="en", to="year"), language).replace("oh-", "oh ")


def digits(text: str, language: str = "en") -> str:
    """Each digit of ``text`` on its own: ``"007"`` -> "zero zero seven"."""
    if language == "en":
        return " ".join(_ENGLISH_DIGITS[int(char)] for char in text if char.isdigit())
    return " ".join(cardinal(int(char), language) for char in text if char.isdigit())


def decimal(text: str, language: str = "en", point: str = "point") -> str:
    """``"3.14"`` -> "three point one four"; ``"1,234"`` -> the whole number."""
    sign, text = ("minus ", text[1:]) if text.startswith("-") else ("", text.lstrip("+"))
    whole, _, fraction = text.replace(",", "").partition(".")
    said = cardinal(int(whole or "0"), language)
    if fraction:
        said += f" {point} {digits(fraction, language)}"
    return sign + said


def _said(words: str, language: str) -> str:
    if language == "en":
        words = words.replace(",", "").replace(" and ", " ")
    return re.sub(r"\s+", " ", words).strip()


__all__ = ["cardinal", "decimal", "digits", "number_language", "ordinal", "year"]
