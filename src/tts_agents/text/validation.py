"""Input checks shared by every entry point (library, CLI, HTTP, WebSocket).

Each check raises :class:`~tts_agents.errors.TTSValidationError` naming the field and the
limit, so the CLI, the HTTP routes and the WebSocket all say the same thing.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from tts_agents.errors import TTSValidationError

MIN_SPEED = 0.25
MAX_SPEED = 4.0
DEFAULT_MAX_TEXT_LENGTH = 4096

# Unicode category Cc (C0, DEL, C1) except tab, line feed and carriage return.
_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
_CONTROL = re.compile(f"[{_CONTROLS}]")
# What str.strip() removes, less the controls above: the whitespace text may hold.
_SPACES = r"\t\n\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# validate_text's content rules (no controls, not only whitespace) as one regular expression
# that Python and JSON Schema (ECMA 262) read alike, for API schemas: leading whitespace,
# one character that is neither whitespace nor a control, then anything but controls.
# Written so that it never backtracks; the length cap and lone surrogates are left out.
SPEAKABLE_PATTERN = (
    rf"^[{_SPACES}]*"
    r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    rf"[^{_CONTROLS}]*$"
)


def decode_text(data: bytes, field: str = "text") -> str:
    """Decode UTF-8 input, naming the byte offset of the first invalid sequence."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TTSValidationError(field, f"invalid UTF-8 at byte {exc.start}") from None


def validate_text(
    text: object,
    *,
    field: str = "text",
    max_length: int | None = DEFAULT_MAX_TEXT_LENGTH,
    security_checks: bool = True,
) -> str:
    """Return ``text`` if it is speakable input, else raise a validation error.

    ``max_length=None`` lifts the length cap (streaming and file paths). With
    ``security_checks`` off, only what the engines cannot handle at all is refused.
    """
    if isinstance(text, bytes):
        text = decode_text(text, field)
    if not isinstance(text, str):
        raise TTSValidationError(field, f"must be a string, not {type(text).__name__}")
    _check_encodable(text, field)
    if not text.strip():
        raise TTSValidationError(field, "is empty or only whitespace")
    if not security_checks:
        return text
    if max_length is not None and len(text) > max_length:
        raise TTSValidationError(
            field, f"is {len(text)} characters, over the limit of {max_length}"
        )
    _check_controls(text, field)
    return text


def validate_pieces(
    pieces: Iterable[str], *, field: str = "text", security_checks: bool = True
) -> Iterator[str]:
    """Check streamed text piece by piece (positions count from the start of the stream).

    There is no length cap; an input that turns out empty or only whitespace is refused
    when it ends.
    """
    offset = 0
    spoken = False
    for piece in pieces:
        _check_encodable(piece, field, offset)
        if security_checks:
            _check_controls(piece, field, offset)
        spoken = spoken or bool(piece.strip())
        offset += len(piece)
        yield piece
    if not spoken:
        raise TTSValidationError(field, "is empty or only whitespace")


def read_pieces(
    stream: BinaryIO, *, field: str = "input", block_size: int = 1 << 16
) -> Iterator[str]:
    """Decode a UTF-8 byte stream block by block, naming the offset of any invalid byte."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    consumed = 0  # bytes handed to the decoder so far
    while True:
        block = stream.read(block_size)
        final = not block
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(block, final=final)
        except UnicodeDecodeError as exc:
            position = consumed - pending + exc.start
            raise TTSValidationError(field, f"invalid UTF-8 at byte {position}") from None
        consumed += len(block)
        if text:
            yield text
        if final:
            return


def _check_encodable(text: str, field: str, offset: int = 0) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TTSValidationError(
            field, f"lone surrogate U+{ord(text[exc.start]):04X} at position {offset + exc.start}"
        ) from None


def _check_controls(text: str, field: str, offset: int = 0) -> None:
    found = _CONTROL.search(text)
    if found is not None:
        raise TTSValidationError(
            field, f"control character U+{ord(found[0]):04X} at position {offset + found.start()}"
        )


def validate_speed(speed: object, field: str = "speed") -> float:
    """Return ``speed`` as a float in [0.25, 4.0], else raise a validation error."""
    return validate_range(speed, field, MIN_SPEED, MAX_SPEED)


def validate_range(value: object, field: str, low: float, high: float) -> float:
    """Return ``value`` as a float within [low, high], else raise a validation error."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TTSValidationError(field, f"must be a number from {low} to {high}")
    number = float(value)
    if math.isnan(number) or not low <= number <= high:
        raise TTSValidationError(field, f"{value} is outside {low} to {high}")
    return number
