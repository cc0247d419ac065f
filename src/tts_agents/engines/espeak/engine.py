"""The offline default engine: libespeak-ng in-process.

libespeak-ng is a process-wide singleton, so every synthesis runs as a job on its one
thread (``ESPEAK_THREAD``); concurrent requests queue there. Audio crosses back to the event
loop buffer by buffer, with a small window so a slow consumer pauses the synthesis instead
of letting memory grow. Closing the iterator aborts the job at the next buffer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

from tts_agents.engines.base import Capabilities, SynthesisOptions
from tts_agents.engines.espeak import _lib
from tts_agents.engines.espeak.voices import VoiceCatalog
from tts_agents.types import AudioChunk, VoiceInfo, WordMark

_WINDOW = 32  # chunks (~0.5 s each, ~22 KB) in flight between the espeak thread and the loop
_BATCH_MS = 500  # audio gathered per chunk after the first
_UNBOUNDED = 1 << 30


class EspeakEngine:
    """Speech from libespeak-ng, loaded from the ``espeakng-loader`` wheel (no apt)."""

    name = "espeak"

    def __init__(self, *, window: int | None = _WINDOW) -> None:
        """``window`` chunks may wait for the consumer before synthesis pauses.

        ``None`` never pauses: a process that interleaves several streams on one espeak
        thread needs that, or a paused stream would hold the thread the others wait for.
        """
        self._window = window
        library = _lib.ESPEAK_THREAD.submit(_lib.library).result()
        self._library = library
        self._catalog = VoiceCatalog(
            _lib.ESPEAK_THREAD.submit(library.list_voices).result(), library.variants()
        )
        self.capabilities = Capabilities(
            sample_rate=library.sample_rate,
            streaming_output=True,
            word_timestamps=True,
            prosody_markup=True,
            speed_range=(_lib.RATE_MIN / _lib.RATE_NORMAL, _lib.RATE_MAX / _lib.RATE_NORMAL),
            pitch=True,
            volume=True,
            local=True,
        )

    async def voices(self) -> list[VoiceInfo]:
        """Every espeak-ng voice, with the OpenAI names first."""
        return self._catalog.describe()

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """Map an OpenAI name, espeak voice id or ``id+variant`` to an espeak voice."""
        return self._catalog.resolve(voice, language)

    async def synthesize(self, text: str, options: SynthesisOptions) -> AsyncIterator[AudioChunk]:
        """Yield ~100 ms PCM chunks with word marks as libespeak-ng produces them."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[AudioChunk | BaseException | None] = asyncio.Queue()
        window = threading.Semaphore(self._window or _UNBOUNDED)
        stop = threading.Event()
        rate = self.capabilities.sample_rate

        pending: list[bytes] = []
        pending_marks: list[WordMark] = []
        sent_first = False

        def hand_over() -> bool:
            nonlocal sent_first
            while not window.acquire(timeout=0.05):
                if stop.is_set():
                    return True
            if stop.is_set():
                return True
            chunk = AudioChunk(b"".join(pending), rate, tuple(pending_marks))
            pending.clear()
            pending_marks.clear()
            sent_first = True
            loop.call_soon_threadsafe(queue.put_nowait, chunk)
            return False

        def sink(pcm: bytes, words: _lib.Words) -> bool:
            if pcm:
                pending.append(pcm)
            if words:
                pending_marks.extend(WordMark(start, start + size, at) for start, size, at in words)
            if not pending:
                return stop.is_set()
            # The first buffer goes out at once (latency); later ones in ~0.5 s batches,
            # which keeps the thread hops per second of audio low (throughput).
            if sent_first and len(pending) * _lib.BUFFER_MS < _BATCH_MS:
                return stop.is_set()
            return hand_over()

        def job() -> None:
            try:
                self._library.configure(
                    options.voice,
                    _rate(options.speed),
                    _clamp(round(50 * options.pitch), 0, 100),
                    _clamp(round(100 * options.volume), 0, 200),
                )
                self._library.synth(text, sink, markup=options.markup)
                if pending or pending_marks:
                    hand_over()
            except BaseException as exc:  # handed to the consumer, raised there
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            else:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        future = loop.run_in_executor(_lib.ESPEAK_THREAD, job)
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                window.release()
                if item.pcm or item.marks:
                    yield item
        finally:
            stop.set()
            window.release()
            if not future.done():
                await asyncio.shield(future)

    async def aclose(self) -> None:
        """Nothing to release: the library lives as long as the process."""


def _rate(speed: float) -> int:
    return _clamp(round(_lib.RATE_NORMAL * speed), _lib.RATE_MIN, _lib.RATE_MAX)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
