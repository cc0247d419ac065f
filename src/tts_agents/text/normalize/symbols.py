"""What every language's reader does the same way: punctuation around a token, emoji."""

from __future__ import annotations

import re

_LEAD = re.compile(r"""^[(\[{"'“‘«¿¡]+""")
_TRAIL = re.compile(r"""[)\]}"'”’»,;:!?….]+$""")
# Pictographs, dingbats, flags, keycaps, skin tones, joiners and variation selectors.
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U0001f1e6-\U0001f1ff\u2600-\u27bf\u2b00-\u2bff"
    "\u2300-\u23ff\ufe0e\ufe0f\u200d\u20e3\U000e0020-\U000e007f]"
)


def split_punctuation(word: str) -> tuple[str, str, str]:
    """``word`` as (opening punctuation, core, closing punctuation).

    Periods right after the core stay with it ("a.m.", "etc.", "Smith."): only the reader
    knows whether they belong to an abbreviation or end the sentence.
    """
    lead = _LEAD.match(word)
    head = lead.group() if lead else ""
    rest = word[len(head) :]
    trail = _TRAIL.search(rest)
    tail = trail.group() if trail else ""
    dots = len(tail) - len(tail.lstrip("."))
    core = rest[: len(rest) - len(tail)] + tail[:dots]
    if not core.strip("."):  # nothing but punctuation
        return head, rest[: len(rest) - len(tail)], tail
    return head, core, tail[dots:]


def drop_emoji(word: str) -> str:
    """``word`` without emoji: they are not read aloud."""
    return _EMOJI.sub("", word)


__all__ = ["drop_emoji", "split_punctuation"]
