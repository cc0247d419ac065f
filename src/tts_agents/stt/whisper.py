"""Whisper for live conversation: a recognizer that does not stream, made to feel as if it did.

Whisper decodes a whole utterance at a time (~0.6-0.9 s for a short one on 2 cores, almost
all of it the fixed cost of the encoder), so the recognizer hides that cost three ways:

* **Partials while the user speaks.** :meth:`WhisperRecognizer.partial` starts a quick
  decode (beam 1) of the utterance so far whenever enough new audio came in and none is
  running, and returns the latest finished one; the session never waits for it.
* **The final decode starts at a short pause.** The listener calls :meth:`pause` as soon as
  the user has been quiet for a moment, long before the end-of-turn silence; the accurate
  decode (beam 5) runs while the turn detector is still waiting. If the user goes on, a
  later pause starts a new decode and the earlier one is dropped.
* **One model per process**, shared by every session (CTranslate2 runs decodes of different
  sessions one after another and releases the GIL while it computes).

No domain prompt by default. The evidence is mixed: on 36 paraphrased help-desk questions
(``python bench/bench_whisper_prompt.py``) the agent's example questions as the prompt took
the word error rate from 14.7 % to 8.9 % (espeak speech) and 3.6 % to 2.7 % (Kokoro), a
glossary did nothing and hotwords made Kokoro speech worse (8.9 %); on 24 of the example
questions themselves, with the other examples as the prompt, it rose from 7.1 % to 11.4 %,
and a prompted Whisper can echo its prompt on noise. ``WhisperFactory(prompt=...)`` is
there for domains where it is measured to help.
"""

from __future__ import annotations

import asyncio
import math
from contextlib import suppress
from typing import Any

from tts_agents.audio.decode import pcm16_to_float
from tts_agents.errors import TTSValidationError
from tts_agents.stt.base import Transcript

SAMPLE_RATE = 16_000
_BYTES_PER_SECOND = SAMPLE_RATE * 2
MAX_SECONDS = 60  # the listener cuts turns at 30 s; this only bounds memory
# A partial decode costs as much as the final one (~0.7 s, the encoder's fixed cost) and
# one still running when the user stops delays the final transcript: on the help desk's
# questions, partials every 0.6 s made it 1.5 s after the end of speech instead of 1.0 s.
PARTIAL_STEP = 1.2  # seconds of new audio before another partial decode
MIN_PARTIAL = 1.0  # no partial for less audio than this


class WhisperFactory:
    """Recognizers for one agent that share a loaded ``WhisperModel``."""

    def __init__(self, model: Any, *, prompt: str | None = None, language: str | None = "en"):
        self.model = model
        self.prompt = prompt
        self.language = language

    def create(self) -> WhisperRecognizer:
        """A recognizer for one session (cheap: it holds only its utterance)."""
        return WhisperRecognizer(self)

    def prewarm(self) -> None:
        """One decode of silence (blocking), so the first user does not pay for it."""
        self.decode(b"\x00\x00" * SAMPLE_RATE, beam_size=1)

    def decode(self, pcm16: bytes, *, beam_size: int) -> Transcript:
        """Transcribe one utterance (blocking; runs on a worker thread)."""
        segments, _ = self.model.transcribe(
            pcm16_to_float(pcm16),
            language=self.language,
            beam_size=beam_size,
            initial_prompt=self.prompt,
            condition_on_previous_text=False,
            without_timestamps=True,
            temperature=0.0,
        )
        kept = [s for s in segments if not (s.no_speech_prob > 0.6 and s.avg_logprob < -0.8)]
        text = " ".join(s.text.strip() for s in kept).strip()
        if not kept:
            return Transcript("", None)
        mean = sum(s.avg_logprob for s in kept) / len(kept)
        return Transcript(text, round(min(1.0, max(0.0, math.exp(mean))), 3))

    async def aclose(self) -> None:
        """Nothing to release: the model stays loaded for the process."""


class WhisperRecognizer:
    """One session's recognizer: see the module docstring."""

    def __init__(self, factory: WhisperFactory) -> None:
        self._factory = factory
        self._audio = bytearray()
        self._in_utterance = False
        self._partial = ""
        self._partial_task: asyncio.Task[Transcript] | None = None
        self._partial_end = 0
        self._final_task: asyncio.Task[Transcript] | None = None
        self._final_end = -1
        self._closed = False

    async def start(self) -> None:
        """Begin an utterance (an unfinished one is dropped)."""
        self._check_open()
        self._reset()
        self._in_utterance = True

    async def feed(self, pcm16: bytes) -> None:
        """Add audio to the utterance."""
        self._check_open()
        if not self._in_utterance:
            await self.start()
        if len(self._audio) + len(pcm16) > MAX_SECONDS * _BYTES_PER_SECOND:
            raise TTSValidationError("audio", f"an utterance may last at most {MAX_SECONDS} s")
        self._audio += pcm16

    async def partial(self) -> str:
        """The latest partial transcript; starts a new partial decode when one is due."""
        self._check_open()
        task = self._partial_task
        if task is not None and task.done():
            self._partial_task = None
            with suppress(Exception):
                self._partial = task.result().text
        size = len(self._audio)
        due = size - self._partial_end >= PARTIAL_STEP * _BYTES_PER_SECOND
        if self._in_utterance and self._partial_task is None and due:
            if size >= MIN_PARTIAL * _BYTES_PER_SECOND and self._final_task is None:
                self._partial_end = size
                self._partial_task = self._decode(beam_size=1)
        return self._partial

    async def pause(self) -> None:
        """The user paused: start the final decode of everything heard so far."""
        self._check_open()
        if not self._in_utterance or len(self._audio) == self._final_end:
            return
        self._drop(self._final_task)
        self._final_end = len(self._audio)
        self._final_task = self._decode(beam_size=5)

    async def finish(self) -> Transcript:
        """End the utterance: the decode started at the last pause, or a fresh one."""
        self._check_open()
        if not self._in_utterance:
            raise TTSValidationError("utterance", "finish() called without start()")
        task = self._final_task
        if task is None:
            task = self._decode(beam_size=5)
        self._final_task = None
        try:
            return await task if self._audio else Transcript("", None)
        finally:
            self._reset()

    async def cancel(self) -> None:
        """Drop the current utterance."""
        self._reset()

    async def aclose(self) -> None:
        """Forget the audio; the model belongs to the factory."""
        self._reset()
        self._closed = True

    def _decode(self, *, beam_size: int) -> asyncio.Task[Transcript]:
        audio = bytes(self._audio[: len(self._audio) - len(self._audio) % 2])
        return asyncio.create_task(
            asyncio.to_thread(self._factory.decode, audio, beam_size=beam_size)
        )

    def _reset(self) -> None:
        self._drop(self._partial_task)
        self._drop(self._final_task)
        self._partial_task = self._final_task = None
        self._audio = bytearray()
        self._in_utterance = False
        self._partial = ""
        self._partial_end = 0
        self._final_end = -1

    @staticmethod
    def _drop(task: asyncio.Task[Transcript] | None) -> None:
        """Forget a decode (its thread finishes on its own; the result is ignored)."""
        if task is not None:
            task.add_done_callback(_consume)
            task.cancel()

    def _check_open(self) -> None:
        if self._closed:
            raise TTSValidationError("recognizer", "is closed")


def _consume(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


__all__ = ["WhisperFactory", "WhisperRecognizer"]
