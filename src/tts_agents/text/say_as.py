"""SSML attribute values and ``<say-as>``: characters, numbers, dates, telephone numbers.

The words come from the same readers that normalize plain text (:mod:`.normalize`), so a
date reads the same written as ``3/4/2024`` or as ``<say-as interpret-as="date">``. What
cannot be read as asked raises :class:`BadValue`, which the SSML parser turns into an
error with the element's position.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tts_agents.text.normalize import Reader

_T = TypeVar("_T")


class BadValue(ValueError):
    """A value was rejected; the SSML walker adds the tag and the position."""


def labels(names: str, *values: _T) -> dict[str, _T]:
    """Map space-separated names to values, in order."""
    return dict(zip(names.split(), values, strict=True))


_DATE_FORMATS = labels("mdy dmy ymd md dm ym my y", *"mdy dmy ymd md dm ym my y".split())


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


def say_as(attrib: dict[str, str], text: str, reader: Reader) -> str:
    """The words ``reader`` speaks for a ``<say-as>`` element's ``text``."""
    kind = required(attrib, "interpret-as")
    if kind not in _SAY_AS:
        raise BadValue(f"attribute interpret-as={kind!r} is not one of {', '.join(_SAY_AS)}")
    return _SAY_AS[kind](text, attrib, reader)


def _characters(text: str, attrib: dict[str, str], reader: Reader) -> str:
    return reader.characters(text)


def _cardinal(text: str, attrib: dict[str, str], reader: Reader) -> str:
    if not re.fullmatch(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?", text):
        raise BadValue(f"content {text!r} is not a number")
    return reader.cardinal(text)


def _ordinal(text: str, attrib: dict[str, str], reader: Reader) -> str:
    return reader.ordinal(_whole_number(text))


def _whole_number(text: str) -> int:
    match = re.fullmatch(r"([0-9]{1,3}(?:,[0-9]{3}){1,2}|[0-9]{1,7})(?:st|nd|rd|th)?", text)
    if match is None or int(match[1].replace(",", "")) > 999_999:
        raise BadValue(f"content {text!r} is not a whole number from 0 to 999999")
    return int(match[1].replace(",", ""))


def _date(text: str, attrib: dict[str, str], reader: Reader) -> str:
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
    return reader.date(year, month, day)


def _days_in(month: int, year: int | None) -> int:
    if month == 2:
        return 29 if year is None or calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _telephone(text: str, attrib: dict[str, str], reader: Reader) -> str:
    if not re.fullmatch(r"\+?[0-9().\s-]*[0-9][0-9().\s-]*", text):
        raise BadValue(f"content {text!r} is not a telephone number")
    return reader.telephone(text)


_SAY_AS: dict[str, Callable[[str, dict[str, str], Reader], str]] = {
    "characters": _characters,
    "spell-out": _characters,
    "cardinal": _cardinal,
    "number": _cardinal,
    "ordinal": _ordinal,
    "date": _date,
    "telephone": _telephone,
}
