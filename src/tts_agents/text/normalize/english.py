"""English as people read it aloud: money, dates, times, numbers, units, addresses.

:class:`EnglishReader` reads a list of whitespace tokens and returns, for each, the words to
speak. Every rule looks at one token, with its neighbours for context ("Dec" before a day,
"km" after a number, "$2.5" before "billion"); a token no rule knows is kept as written, so
the engine reads it as before. The locale decides how ``3/4/2024`` is read: March fourth in
the US, the third of April in Britain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tts_agents.text.normalize import english_tables as tables
from tts_agents.text.normalize.addresses import letter, read_address
from tts_agents.text.normalize.numbers import cardinal, decimal, digits, ordinal, year
from tts_agents.text.normalize.symbols import drop_emoji, split_punctuation

_AMOUNT = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NUMBER = rf"[+-]?{_AMOUNT}"
_IS_NUMBER = re.compile(_NUMBER)
_MONEY = re.compile(rf"([$€£¥])({_AMOUNT})(k|K|m|M|mn|bn|B)?|({_AMOUNT})([$€£¥])")
_PERCENT = re.compile(rf"({_NUMBER})%")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?i:\s?(am|pm|a\.m\.|p\.m\.))?")
_HOUR = re.compile(r"(\d{1,2})(?i:(am|pm|a\.m\.|p\.m\.))")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})")
_DOT_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_PHONE = re.compile(r"\(?\d{3}\)?[-.]\d{3}[-.]\d{4}|\+\d{1,3}(?:[-.]\d{1,4}){2,}|\d{3}-\d{4}")
_AREA_CODE = re.compile(r"\(\d{3}\)")
_ORDINAL = re.compile(r"(\d{1,3}(?:,\d{3})*|\d+)(?:st|nd|rd|th)")
_DECADE = re.compile(r"'?(\d{1,3}0)'?s")
_RANGE = re.compile(rf"({_AMOUNT})[-–—]({_AMOUNT})(%?)")
_FRACTION = re.compile(r"(\d{1,3})/(\d{1,3})")
_UNIT_NAMES = "|".join(map(re.escape, sorted(tables.UNITS, key=len, reverse=True)))
_WITH_UNIT = re.compile(rf"({_NUMBER})({_UNIT_NAMES})")
_DOTTED_ACRONYM = re.compile(r"(?:[A-Za-z]\.){2,}")


class EnglishReader:
    """Readings of English text; ``day_first`` for British dates (``3/4`` is 3 April)."""

    language = "en"

    def __init__(self, *, day_first: bool = False) -> None:
        """``day_first`` reads ``3/4/2024`` as the third of April."""
        self.day_first = day_first

    def read(self, words: Sequence[str]) -> list[str]:
        """The words to speak for each token of ``words``, in order."""
        readings = [self._token(words, index) for index in range(len(words))]
        for index, word in enumerate(words):  # "$2.5 billion": the currency follows the scale
            money = _MONEY.fullmatch(split_punctuation(word)[1])
            if money and index + 1 < len(words) and _scale_word(words[index + 1]):
                readings[index + 1] = _append(readings[index + 1], _currency_name(money, 2))
        return readings

    # --- say-as entry points (SSML) -------------------------------------------------
    def characters(self, text: str) -> str:
        """Each letter or digit said on its own."""
        return " ".join(letter(char) for char in text if not char.isspace())

    def cardinal(self, text: str) -> str:
        """A number, commas and decimals allowed."""
        return decimal(text)

    def ordinal(self, value: int) -> str:
        """``3`` -> "third"."""
        return ordinal(value)

    def date(self, year_: int | None, month: int | None, day: int | None) -> str:
        """A date; parts left out are not said."""
        if month is None:
            return year(year_) if year_ is not None else ""
        name = tables.MONTHS[month - 1]
        said_year = "" if year_ is None else year(year_)
        if day is None:
            return f"{name} {said_year}".strip()
        if self.day_first:
            head = f"the {ordinal(day)} of {name}"
        else:
            head = f"{name} {ordinal(day)}"
        return f"{head}, {said_year}" if said_year else head

    def telephone(self, text: str) -> str:
        """Digits in their groups, a pause between groups."""
        groups = re.findall(r"\d+", text)
        spoken = ", ".join(digits(group) for group in groups)
        return f"plus {spoken}" if text.lstrip().startswith("+") else spoken

    # --- one token ----------------------------------------------------------------
    def _token(self, words: Sequence[str], index: int) -> str:
        word = drop_emoji(words[index])
        lead, core, trail = split_punctuation(word)
        if not core:
            return word
        if _AREA_CODE.fullmatch(lead + core + trail[:1]) and _PHONE.fullmatch(
            _next_core(words, index)
        ):
            return self.telephone(core) + "," + trail[1:]  # "(555) 123-4567"
        if core.lower() in tables.ABBREVIATIONS or core.lower() in ("st.", "no."):
            said = self._abbreviation(core, words, index)
            if said is not None:
                return lead + said + trail
        bare = core.rstrip(".")
        said = self._core(bare, words, index)
        if said is None:
            return word
        dots = core[len(bare) :]
        if dots and (_DOTTED_ACRONYM.fullmatch(core) or bare.lower() in tables.MONTH_NUMBERS):
            dots = dots if _ends_sentence(words, index) else ""  # the period abbreviates
        return lead + said + dots + trail

    def _abbreviation(self, core: str, words: Sequence[str], index: int) -> str | None:
        key = core.lower()
        after = _next_core(words, index)
        if key == "st." and after[:1].isupper():
            return "Saint"
        if key == "st.":
            return "Street"
        if key == "no." and after[:1].isdigit():
            return "Number" if core[0].isupper() else "number"
        if key not in tables.ABBREVIATIONS:
            return None
        said = tables.ABBREVIATIONS[key]
        if key in tables.SENTENCE_FINAL and _ends_sentence(words, index):
            said += "."
        return said

    def _core(self, core: str, words: Sequence[str], index: int) -> str | None:
        for rule in (
            self._url,
            self._money,
            self._percent,
            self._time,
            self._date,
            self._phone,
            self._ordinal,
            self._decade,
            self._range,
            self._fraction,
            self._with_unit,
            self._number,
            self._unit,
            self._month,
            self._acronym,
            self._symbol,
        ):
            said = rule(core, words, index)
            if said is not None:
                return said
        return None

    def _url(self, core: str, words: Sequence[str], index: int) -> str | None:
        return read_address(core)

    def _money(self, core: str, words: Sequence[str], index: int) -> str | None:
        match = _MONEY.fullmatch(core)
        if match is None:
            return None
        amount = match[2] or match[4]
        scale = tables.SCALES.get((match[3] or "").lower())
        if scale:
            return f"{decimal(amount)} {scale} {_currency_name(match, 2)}"
        if index + 1 < len(words) and _scale_word(words[index + 1]):
            return decimal(amount)  # the currency is said after the scale word
        names, minor = tables.CURRENCIES[match[1] or match[5]]
        whole, _, cents = amount.replace(",", "").partition(".")
        if len(cents) != 2 or minor is None:
            value = float(amount.replace(",", ""))
            return f"{decimal(amount)} {names[0] if value == 1 else names[1]}"
        said = []
        if int(whole) or not int(cents):
            said.append(f"{cardinal(int(whole))} {names[0] if int(whole) == 1 else names[1]}")
        if int(cents):
            said.append(f"{cardinal(int(cents))} {minor[0] if int(cents) == 1 else minor[1]}")
        return " and ".join(said)

    def _percent(self, core: str, words: Sequence[str], index: int) -> str | None:
        match = _PERCENT.fullmatch(core)
        return None if match is None else f"{decimal(match[1])} percent"

    def _time(self, core: str, words: Sequence[str], index: int) -> str | None:
        match = _TIME.fullmatch(core)
        hour_only = _HOUR.fullmatch(core)
        if hour_only and int(hour_only[1]) <= 12:
            return f"{cardinal(int(hour_only[1]))} {tables.MERIDIEMS[hour_only[2].lower()]}"
        if match is None or int(match[1]) > 24 or int(match[2]) > 59:
            return None
        hour, minute = int(match[1]), int(match[2])
        meridiem = match[4] or ""
        follows = _next_core(words, index).lower() in tables.MERIDIEMS
        if minute == 0:
            said = cardinal(hour) + ("" if meridiem or follows else " o'clock")
        elif minute < 10:
            said = f"{cardinal(hour)} oh {cardinal(minute)}"
        else:
            said = f"{cardinal(hour)} {cardinal(minute)}"
        if match[3] and int(match[3]):
            seconds = int(match[3])
            said += f" and {cardinal(seconds)} second{'s' if seconds != 1 else ''}"
        if meridiem:
            said += " " + tables.MERIDIEMS[meridiem.lower().replace(" ", "")]
        return said

    def _date(self, core: str, words: Sequence[str], index: int) -> str | None:
        iso = _ISO_DATE.fullmatch(core)
        if iso:
            return self._valid_date(int(iso[1]), int(iso[2]), int(iso[3]))
        slash = _SLASH_DATE.fullmatch(core)
        if slash:
            first, second, year_ = int(slash[1]), int(slash[2]), _full_year(slash[3])
            month, day = (second, first) if self.day_first else (first, second)
            return self._valid_date(year_, month, day) or self._valid_date(year_, day, month)
        dotted = _DOT_DATE.fullmatch(core)
        if dotted:
            return self._valid_date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
        return None

    def _valid_date(self, year_: int, month: int, day: int) -> str | None:
        if not (1 <= month <= 12 and 1 <= day <= _days_in(month, year_)):
            return None
        return self.date(year_, month, day)

    def _phone(self, core: str, words: Sequence[str], index: int) -> str | None:
        return self.telephone(core) if _PHONE.fullmatch(core) else None

    def _ordinal(self, core: str, words: Sequence[str], index: int) -> str | None:
        match = _ORDINAL.fullmatch(core)
        return None if match is None else ordinal(int(match[1].replace(",", "")))

    def _decade(self, core: str, words: Sequence[str], index: int) -> str | None:
        match = _DECADE.fullmatch(core)
        if match is None:
            return None
        value = int(match[1])
        said = year(value) if value >= 1000 else cardinal(value)
        if said.endswith("y"):
            return said[:-1] + "ies"
        return said + "s"

    def _range(self, core: str, words: Sequence[str], index: int) -> str | None:
        match = _RANGE.fullmatch(core)
        if match is None:
            return None
        low, high = match[1], match[2]
        if _year_like(low) and _year_like(high):
            said = f"{year(int(low))} to {year(int(high))}"
        else:
            said = f"{decimal(low)} to {decimal(high)}"
        return said + (" percent" if match[3] else "")

    def _fraction(self, core: str, words: Sequence[str], index: int) -> str | None:
        match = _FRACTION.fullmatch(core)
        if match is None or int(match[2]) == 0:
            return None
        top, bottom = int(match[1]), int(match[2])
        if top >= bottom:  # "24/7", "50/50": not a fraction
            return f"{cardinal(top)} {cardinal(bottom)}"
        if bottom in tables.FRACTIONS:
            name = tables.FRACTIONS[bottom][0 if top == 1 else 1]
        elif 3 <= bottom <= 10:
            name = ordinal(bottom) + ("" if top == 1 else "s")
        else:
            return f"{cardinal(top)} over {cardinal(bottom)}"
        return f"{cardinal(top)} {name}"

    def _with_unit(self, core: str, words: Sequence[str], index: int) -> str | None:
        match = _WITH_UNIT.fullmatch(core)
        if match is None:
            return None
        return f"{decimal(match[1])} {_unit_name(match[2], match[1])}"

    def _number(self, core: str, words: Sequence[str], index: int) -> str | None:
        if not _IS_NUMBER.fullmatch(core):
            return None
        value = core.lstrip("+-")
        before, after = _previous_core(words, index), _next_core(words, index)
        if "." not in value and "," not in value and 1 <= int(value) <= 31:
            if before.lower().rstrip(".") in tables.MONTH_NUMBERS and _month_like(before):
                return ordinal(int(value))
            if after.lower().rstrip(".") in tables.MONTH_NUMBERS and _month_like(after):
                return f"the {ordinal(int(value))} of"
        if len(value) > 1 and value.startswith("0") and value.isdigit():
            return digits(value)
        unit_follows = after in tables.UNITS or _scale_word(after) or after in tables.MERIDIEMS
        if _year_like(value) and core[0] not in "+-" and not unit_follows:
            return year(int(value))
        return decimal(core)

    def _unit(self, core: str, words: Sequence[str], index: int) -> str | None:
        before = _previous_core(words, index)
        if core in tables.UNITS and _IS_NUMBER.fullmatch(before):
            return _unit_name(core, before)
        if core.lower() in tables.MERIDIEMS and _after_number(words, index):
            return tables.MERIDIEMS[core.lower()]
        return None

    def _month(self, core: str, words: Sequence[str], index: int) -> str | None:
        key = core.lower()
        if key not in tables.MONTH_NUMBERS or len(key) > 4 or not core[0].isupper():
            return None
        after = _next_core(words, index)
        if not re.fullmatch(r"\d{1,4}(?:st|nd|rd|th)?", after):
            return None
        return tables.MONTHS[tables.MONTH_NUMBERS[key] - 1]

    def _acronym(self, core: str, words: Sequence[str], index: int) -> str | None:
        if not _DOTTED_ACRONYM.fullmatch(core + "."):
            return None
        letters = core.replace(".", "").upper()
        return letters if len(letters) > 2 else " ".join(letters)

    def _symbol(self, core: str, words: Sequence[str], index: int) -> str | None:
        if core in tables.SYMBOLS:
            return tables.SYMBOLS[core]
        if core.startswith("#") and core[1:].isdigit():
            return f"number {cardinal(int(core[1:]))}"
        return None


def _currency_name(match: re.Match[str], count: int) -> str:
    names, _ = tables.CURRENCIES[match[1] or match[5]]
    return names[1] if count != 1 else names[0]


def _unit_name(unit: str, amount: str) -> str:
    singular, plural = tables.UNITS[unit]
    return singular if amount.lstrip("+") in ("1", "1.0") else plural


def _scale_word(word: str) -> bool:
    return split_punctuation(word)[1].lower() in tables.SCALE_WORDS


def _append(reading: str, words: str) -> str:
    lead, core, trail = split_punctuation(reading)
    return f"{lead}{core} {words}{trail}"


def _year_like(value: str) -> bool:
    return re.fullmatch(r"\d{4}", value) is not None and 1100 <= int(value) <= 2099


def _full_year(text: str) -> int:
    value = int(text)
    if len(text) == 4:
        return value
    return 2000 + value if value < 50 else 1900 + value


def _days_in(month: int, year_: int) -> int:
    if month == 2:
        return 29 if year_ % 4 == 0 and (year_ % 100 != 0 or year_ % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _month_like(word: str) -> bool:
    return word[:1].isupper()


def _neighbour(words: Sequence[str], index: int) -> str:
    if 0 <= index < len(words):
        return split_punctuation(words[index])[1]
    return ""


def _next_core(words: Sequence[str], index: int) -> str:
    return _neighbour(words, index + 1)


def _previous_core(words: Sequence[str], index: int) -> str:
    word = _neighbour(words, index - 1)
    return word.rstrip(".")


def _ends_sentence(words: Sequence[str], index: int) -> bool:
    after = _next_core(words, index)
    return not after or after[:1].isupper()


def _after_number(words: Sequence[str], index: int) -> bool:
    before = _previous_core(words, index)
    return bool(_IS_NUMBER.fullmatch(before) or _TIME.fullmatch(before))


__all__ = ["EnglishReader"]
