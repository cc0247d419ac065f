"""E-mail addresses and URLs read as people say them: "john dot doe at example dot com".

A URL is recognised by its scheme, a ``www.`` or a well-known top-level domain (so
``file.txt`` stays a file name); the scheme itself is not said.
"""

from __future__ import annotations

import re

from tts_agents.text.normalize import english_tables as tables
from tts_agents.text.normalize.numbers import cardinal, digits

_URL = re.compile(
    r"(?:(?P<scheme>https?)://)?(?P<www>www\.)?(?P<host>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.(?P<tld>[A-Za-z]{2,}))(?::(?P<port>\d+))?(?P<path>/\S*)?"
)
_EMAIL = re.compile(r"([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_URL_PART = re.compile(r"[A-Za-z]+|\d+|.")


def read_address(core: str) -> str | None:
    """An e-mail address or a URL as people say it, or None when ``core`` is neither."""
    email = _EMAIL.fullmatch(core)
    if email:
        return f"{_spell_url(email[1])} at {_spell_url(email[2])}"
    url = _URL.fullmatch(core)
    if url is None or not (
        url["scheme"] or url["www"] or url["tld"].lower() in tables.TOP_LEVEL_DOMAINS
    ):
        return None
    parts = ["W W W"] if url["www"] else []
    parts.append(_spell_url(url["host"]))
    if url["port"]:
        parts.append(f"colon {cardinal(int(url['port']))}")
    if url["path"] and url["path"] != "/":
        parts.append(_spell_url(url["path"]))
    return " ".join(parts)


def letter(char: str) -> str:
    """A letter or digit said on its own."""
    if char.isdigit():
        return digits(char)
    return tables.LETTER_NAMES.get(char.upper(), char.upper())


def _spell_url(text: str) -> str:
    said = []
    for part in _URL_PART.findall(text):
        if part.isdigit():
            said.append(cardinal(int(part)) if len(part) < 5 else digits(part))
        elif part.isalpha():
            said.append(part.lower() if len(part) > 1 else letter(part))
        elif part in tables.URL_PUNCTUATION:
            said.append(tables.URL_PUNCTUATION[part])
    return " ".join(said)


__all__ = ["letter", "read_address"]
