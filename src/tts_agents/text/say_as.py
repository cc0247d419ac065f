"""SSML attribute values and ``<say-as>``: characters, numbers, dates, telephone numbers.

English words for cardinals and ordinals (0 to 999,999) are written here rather than
pulled from a dependency; anything that cannot be read as asked raises :class:`BadValue`,
which the SSML parser turns into an error with the element's position.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


class BadValue(ValueError):
    """A value was rejected; the SSML walker adds the tag and the position."""


def labels(names: str, *values: _T) -> dict[str, _T]:
    """Map space-separated names to values, in order."""
    return dict(zip(names.split(), values, strict=True))


_DATE_FORMATS = labels("mdy dmy ymd md dm ym my y", *"mdy dmy ymd md dm ym my y".split())
_MONTHS = "January February March April May June July August September October November December"
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "- - twenty thirty forty fifty sixty seventy eighty ninety".split()
_IRREGULAR_ORDINALS = labels(
    "one two three five eight nine twelve",
    *"first second third fifth eighth ninth twelfth".split(),
)


def required(attrib: dict[str, str], name: str) -> str:
    """The attribute's value, or BadValue naming the missing attribute."""
    if name not in attrib:
        raise BadValue(f"needs the attribute {name}")
    return attrib[name]


def attribute(attrib: dict[str, str], name: str, parse: Callable[[str], _T]) -> _T | None:
    """The attribute parsed by ``parse``; None when absent; BadValue naming it when bad."""
    if name not in attrib:
        return None
    try:
        return parse(attrib[name].strip())
    except BadValue as exc:
        raise BadValue(f"attribute {name}={attrib[name]!r} {exc}") from None


def label(table: dict[str, _T]) -> Callable[[str], _T]:
    """A parser accepting only the table's names."""

    def parse(value: str) -> _T:
        if value not in table:
            raise BadValue(f"is not one of {', '.join(table)}")
        return table[value]

    return parse


def say_as(attrib: dict[str, str], text: str) -> str:
    """The words to speak for a ``<say-as>`` element's ``text``."""
    kind = required(attrib, "interpret-as")
    if kind not in _SAY_AS:
        raise BadValue(f"attribute interpret-as={kind!r} is not one of {', '.join(_SAY_AS)}")
    return _SAY_AS[kind](text, attrib)


def _characters(text: str, attrib: dict[str, str]) -> str:
    return " ".join(char for char in text if not char.isspace())


def _cardinal(text: str, attrib: dict[str, str]) -> str:
    if not re.fullmatch(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?", text):
        raise BadValue(f"content {text!r} is not a number")
    return text.replace(",", "")


def _ordinal(text: str, attrib: dict[str, str]) -> str:
    return _ordinal_words(_whole_number(text))


def _whole_number(text: str) -> int:
    match = re.fullmatch(r"([0-9]{1,3}(?:,[0-9]{3}){1,2}|[0-9]{1,7})(?:st|nd|rd|th)?", text)
    if match is None or int(match[1].replace(",", "")) > 999_999:
        raise BadValue(f"content {text!r} is not a whole number from 0 to 999999")
    return int(match[1].replace(",", ""))


def _date(text: str, attrib: dict[str, str]) -> str:
    order = attribute(attrib, "format", label(_DATE_FORMATS)) or "ymd"
    parts = re.split(r"[-/.]", text)
    if len(parts) != len(order) or not all(re.fullmatch("[0-9]{1,4}", part) for part in parts):
        raise BadValue(f"content {text!r} is not a date in the format {order}")
    fields = {letter: int(part) for letter, part in zip(order, parts, strict=True)}
    year, month, day = fields.get("y"), fields.get("m"), fields.get("d")
    if month is not None and not 1 <= month <= 12:
        raise BadValue(f"content {text!r} has no month {month}")
    if day is not None and month is not None and not 1 <= day <= _days_in(month, year):
        raise BadValue(f"content {text!r} has no day {day} in that month")
    if month is None:
        return str(year)
    name = _MONTHS.split()[month - 1]
    if day is None:
        return f"{name} {year}"
    return f"{name} {_ordinal_words(day)}" + ("" if year is None else f", {year}")


def _days_in(month: int, year: int | None) -> int:
    if month == 2:
        return 29 if year is None or calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _telephone(text: str, attrib: dict[str, str]) -> str:
    if not re.fullmatch(r"\+?[0-9().\s-]*[0-9][0-9().\s-]*", text):
        raise BadValue(f"content {text!r} is not a telephone number")
    spoken = ", ".join(" ".join(group) for group in re.findall("[0-9]+", text))
    return f"plus {spoken}" if text.startswith("+") else spoken


_SAY_AS: dict[str, Callable[[str, dict[str, str]], str]] = {
    "characters": _characters,
    "spell-out": _characters,
    "cardinal": _cardinal,
    "number": _cardinal,
    "ordinal": _ordinal,
    "date": _date,
    "telephone": _telephone,
}


def _cardinal_words(number: int) -> str:
    thousands, rest = divmod(number, 1000)
    if not thousands:
        return _below_thousand(rest)
    head = f"{_below_thousand(thousands)} thousand"
    return f"{head} {_below_thousand(rest)}" if rest else head


def _below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    head = f"{_ONES[hundreds]} hundred" if hundreds else ""
    if rest < 20:
        tail = _ONES[rest] if rest or not hundreds else ""
    else:
        tail = _TENS[rest // 10] + (f"-{_ONES[rest % 10]}" if rest % 10 else "")
    return f"{head} {tail}".strip()


def _ordinal_words(number: int) -> str:
    words = _cardinal_words(number)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    head, last = words[:cut], words[cut:]
    if last in _IRREGULAR_ORDINALS:
        return head + _IRREGULAR_ORDINALS[last]
    return head + (f"{last[:-1]}ieth" if last.endswith("y") else f"{last}th")
