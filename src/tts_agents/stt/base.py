"""What every speech-to-text backend provides: transcripts, recognizers and their factories.

A session owns one :class:`Recognizer` and runs one utterance at a time through it: it
calls ``start`` when the user starts speaking, ``feed``s audio as it arrives (decoding keeps
up, so the result is ready when the user stops), may poll ``partial`` for a tentative
transcript, calls ``pause`` when the user has been quiet for a moment (a recognizer that
decodes whole utterances starts its final decode there), and calls ``finish`` at the end
of the turn or ``cancel`` to drop it. After ``pause``, more speech is always followed by
another ``pause`` before ``finish``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Transcript:
    """What the user said; ``confidence`` in [0, 1] when the backend can tell."""

    text: str
    confidence: float | None = None


class Recognizer(Protocol):
    """One session's speech recognizer: one utterance at a time."""

    async def start(self) -> None:
        """Begin an utterance."""

    async def feed(self, pcm16: bytes) -> None:
        """Add 16 kHz mono s16le audio (any length) to the utterance."""

    async def partial(self) -> str:
        """The tentative transcript so far ("" if none)."""

    async def pause(self) -> None:
        """The speaker paused; the turn may be over (a hint: it may do nothing)."""

    async def finish(self) -> Transcript:
        """End the utterance and return its transcript."""

    async def cancel(self) -> None:
        """Drop the current utterance."""

    async def aclose(self) -> None:
        """Release the recognizer's resources (idempotent)."""


class RecognizerFactory(Protocol):
    """Makes a recognizer per session; slow setup happened when the factory was built."""

    def create(self) -> Recognizer:
        """A new recognizer (cheap)."""

    async def aclose(self) -> None:
        """Release what the factory holds (HTTP client, idle decoders); idempotent."""


__all__ = ["Recognizer", "RecognizerFactory", "Transcript"]
