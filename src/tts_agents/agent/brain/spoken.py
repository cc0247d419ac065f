"""Text as people say it: the one normalization shared by retrieval, intents and the STT model.

A recogniser writes what it hears: lower-case words, numbers as words, acronyms as letters
("m p three"), no punctuation. :func:`spoken_words` turns any text (a knowledge-base fact,
an example question, a typed message) into that same form, so a fact written as "MP3 at
16000 Hz" and a transcript "m p three at sixteen thousand hertz" meet in the middle.
:func:`speakable` is the other direction: markdown removed so an answer can be read aloud.
"""

from __future__ import annotations

import re

#: Written forms and how they are said; single words that a recogniser knows as words
#: ("jason", "wave") stay words.
SPOKEN_FORMS: dict[str, str] = {
    "aac": "a a c",
    "ai": "a i",
    "alaw": "a law",
    "api": "a p i",
    "apis": "a p i",
    "cli": "c l i",
    "cors": "cors",
    "cpu": "c p u",
    "csp": "c s p",
    "csv": "c s v",
    "elevenlabs": "eleven labs",
    "espeak": "e speak",
    "flac": "flack",
    "hsts": "h s t s",
    "http": "h t t p",
    "https": "h t t p s",
    "hz": "hertz",
    "id": "i d",
    "ids": "i d",
    "ip": "i p",
    "json": "jason",
    "jsonl": "jason lines",
    "khz": "kilohertz",
    "llm": "l l m",
    "llms": "l l m",
    "mp3": "m p three",
    "ms": "milliseconds",
    "ng": "n g",
    "ok": "okay",
    "openai": "open a i",
    "pcm": "p c m",
    "pocketsphinx": "pocket sphinx",
    "sdk": "s d k",
    "sdks": "s d k",
    "srt": "s r t",
    "sse": "s s e",
    "ssl": "s s l",
    "ssml": "s s m l",
    "stt": "s t t",
    "tls": "t l s",
    "tts": "t t s",
    "ui": "u i",
    "ulaw": "mu law",
    "url": "u r l",
    "urls": "u r l",
    "utf": "u t f",
    "vad": "v a d",
    "vs": "versus",
    "vtt": "v t t",
    "wav": "wave",
    "websocket": "web socket",
    "websockets": "web sockets",
    "yaml": "yaml",
}

_CONTRACTIONS = (
    (re.compile(r"\bcan't\b"), "cannot"),
    (re.compile(r"\bwon't\b"), "will not"),
    (re.compile(r"\blet's\b"), "let us"),
    (re.compile(r"\b(it|that|what|there|here|who|where|how|he|she)'s\b"), r"\1 is"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"\bi'm\b"), "i am"),
    (re.compile(r"'s\b"), ""),  # possessive: "agent's" is said and heard as "agent"
)
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at ", "=": " equals "}
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_PIECES = re.compile(r"[a-z]+|[0-9]+")
_ORDINAL = re.compile(r"\b([0-9]+)(?:st|nd|rd|th)\b")
_DIGIT_GROUPS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}\b)")

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))
_ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}

_MARKDOWN = (
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images: keep the label
    (re.compile(r"`+([^`]*)`+"), r"\1"),
    (re.compile(r"(\*\*|__|\*|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"^\s{0,3}(#{1,6}|>|[-*+]|[0-9]+[.)])\s+", re.M), ""),
    (re.compile(r"[|*#`<>_]+"), " "),
    (re.compile(r"[ \t]+"), " "),
)


def number_words(number: int) -> str:
    """An integer as English words: 4096 is "four thousand ninety six"."""
    if number < 0:
        return "minus " + number_words(-number)
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    for scale, name in _SCALES:
        if number >= scale:
            if scale == 10**9 and number >= 10**12:
                return " ".join(_ONES[int(d)] for d in str(number))
            high, rest = divmod(number, scale)
            return f"{number_words(high)} {name}" + (f" {number_words(rest)}" if rest else "")
    raise AssertionError("unreachable: every number >= 100 has a scale")


def ordinal_words(number: int) -> str:
    """An integer as an ordinal: 4 is "fourth", 21 is "twenty first"."""
    words = number_words(number).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        words[-1] = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _numeral(token: str) -> str:
    whole, _, fraction = token.partition(".")
    if len(whole) > 1 and whole.startswith("0"):
        spoken = " ".join(_ONES[int(d)] for d in whole)
    else:
        spoken = number_words(int(whole))
    if fraction:
        spoken += " point " + " ".join(_ONES[int(d)] for d in fraction)
    return spoken


def _say(token: str) -> str:
    if token in SPOKEN_FORMS:
        return SPOKEN_FORMS[token]
    if token[0].isdigit() and _PIECES.fullmatch(token.replace(".", "")) is not None:
        if "." in token or token.isdigit():
            return _numeral(token)
    pieces = _PIECES.findall(token.replace(".", " "))
    if len(pieces) == 1:
        return token
    return " ".join(_say(piece) for piece in pieces)


def spoken_words(text: str) -> str:
    """``text`` as a recogniser would write it: lower-case words, numbers as words.

    Markdown is dropped, contractions expanded, acronyms spelled the way they are said
    (:data:`SPOKEN_FORMS`), and all punctuation removed.
    """
    text = speakable(text).lower().replace("\u2019", "'")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    text = _DIGIT_GROUPS.sub("", text)
    text = _ORDINAL.sub(lambda match: ordinal_words(int(match.group(1))), text)
    return " ".join(_say(token) for token in _TOKEN.findall(text))


def speakable(text: str) -> str:
    """``text`` without markdown, ready to be read aloud (case and punctuation kept)."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def sentences(text: str) -> list[str]:
    """``text`` cut into sentences at ., ! and ? followed by a space (or the end)."""
    parts = re.split(r"(?<=[.!?])\s+(?=[^a-z\s])", speakable(text))
    return [part.strip() for part in parts if part.strip()]


__all__ = [
    "SPOKEN_FORMS",
    "number_words",
    "ordinal_words",
    "sentences",
    "speakable",
    "spoken_words",
]
