"""Whisper for the server's transcription routes, off the event loop.

With ``workers`` > 0, uploads are decoded and transcribed in that many spawned processes,
each holding its own loaded model, so a long file never takes the server's GIL; with 0 they
run on a thread of the server process (CTranslate2 releases the GIL while it computes).
Either way at most ``workers`` (at least one) transcriptions run at once and ``queue`` more
may wait; beyond that callers get 503 with ``Retry-After``.

Decoding also happens in the worker: a hostile file costs a worker, not the server. Errors
cross the process boundary as plain data and are raised again here as the library's own
errors, so the routes answer them in each protocol's shape. A worker that dies is replaced
and its request ends with 503.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from typing import Any

from tts_agents.config import TTSConfig
from tts_agents.errors import (
    ModelError,
    TTSAgentError,
    TTSAPIError,
    TTSUnavailableError,
    TTSValidationError,
)
from tts_agents.server.synthesis_gate import SynthesisGate
from tts_agents.stt.transcription import Segment, TranscribeOptions, Transcription
from tts_agents.transcribe import transcribe_blocking

DEFAULT_QUEUE = 16


class TranscriptionPool:
    """Runs transcriptions for the routes; see the module docstring."""

    def __init__(
        self,
        workers: int,
        config: TTSConfig,
        *,
        max_seconds: float,
        queue_size: int = DEFAULT_QUEUE,
        retry_after: int = 1,
    ) -> None:
        self.workers = workers
        self.config = config
        self.max_seconds = max_seconds
        self.gate = SynthesisGate(max(workers, 1), queue_size, retry_after)
        self._executor: ProcessPoolExecutor | None = None
        self._manager: Any = None

    async def start(self) -> None:
        """Start the worker processes (a no-op in-process)."""
        if self.workers > 0:
            self._executor = _executor(self.workers)

    async def transcribe(
        self,
        audio: bytes,
        options: TranscribeOptions,
        on_segment: Callable[[Segment], None] | None = None,
    ) -> Transcription:
        """Transcribe ``audio`` once a slot is free; ``on_segment`` sees segments as decoded."""
        async with self.gate.slot():
            if self._executor is None:
                return await self._in_thread(audio, options, on_segment)
            return await self._in_worker(self._executor, audio, options, on_segment)

    async def aclose(self) -> None:
        """Stop the workers."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None

    async def _in_thread(
        self,
        audio: bytes,
        options: TranscribeOptions,
        on_segment: Callable[[Segment], None] | None,
    ) -> Transcription:
        loop = asyncio.get_running_loop()
        relay = None
        if on_segment is not None:

            def relay(segment: Segment) -> None:
                loop.call_soon_threadsafe(on_segment, segment)

        return await asyncio.to_thread(
            transcribe_blocking,
            audio,
            options,
            self.config,
            max_seconds=self.max_seconds,
            on_segment=relay,
        )

    async def _in_worker(
        self,
        executor: ProcessPoolExecutor,
        audio: bytes,
        options: TranscribeOptions,
        on_segment: Callable[[Segment], None] | None,
    ) -> Transcription:
        segments = self._segment_queue() if on_segment is not None else None
        future = executor.submit(
            _work, audio, options, self.config, self.max_seconds, segments
        )
        wrapped = asyncio.wrap_future(future)
        try:
            if segments is not None and on_segment is not None:
                await _relay(segments, wrapped, on_segment)
            outcome = await wrapped
        except BrokenProcessPool as exc:
            self._executor = _executor(self.workers)  # a worker died: start afresh
            raise TTSUnavailableError("the transcription worker stopped; retry") from exc
        except asyncio.CancelledError:
            future.cancel()
            raise
        return _result(outcome)

    def _segment_queue(self) -> Any:
        if self._manager is None:
            self._manager = multiprocessing.get_context("spawn").Manager()
        return self._manager.Queue()


def _executor(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


async def _relay(
    segments: Any, done: asyncio.Future[Any], on_segment: Callable[[Segment], None]
) -> None:
    """Hand segments from the worker's queue to ``on_segment`` until the work ends."""
    while True:
        try:
            item = await asyncio.to_thread(segments.get, True, 0.2)
        except queue.Empty:
            if done.done():
                return
            continue
        if item is None:
            return
        on_segment(Segment(**item))


def _work(
    audio: bytes,
    options: TranscribeOptions,
    config: TTSConfig,
    max_seconds: float,
    segments: Any,
) -> tuple[str, Any]:
    """In a worker: ``("ok", transcription)`` or ``("error", (kind, field, message))``."""

    def publish(segment: Segment) -> None:
        if segments is not None:
            segments.put({**vars(segment), "words": []})

    try:
        result = transcribe_blocking(
            audio, options, config, max_seconds=max_seconds, on_segment=publish
        )
    except TTSValidationError as exc:
        return "error", ("validation", exc.field, exc.message)
    except ModelError as exc:
        return "error", ("model", "", exc.message)
    except TTSAgentError as exc:
        return "error", ("api", "", exc.message)
    finally:
        if segments is not None:
            with suppress(Exception):
                segments.put(None)
    return "ok", result.to_dict()


def _result(outcome: tuple[str, Any]) -> Transcription:
    status, payload = outcome
    if status == "ok":
        return Transcription.from_dict(payload)
    kind, field, message = payload
    if kind == "validation":
        raise TTSValidationError(field, message.removeprefix(f"{field}: "))
    if kind == "model":
        raise ModelError(message)
    raise TTSAPIError(message)
