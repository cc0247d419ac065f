"""Worker processes that speak the server's requests on every core, new requests first.

One process has one espeak thread and one GIL, and encoding (mp3 above all) costs far
more than synthesis. So the server validates a request itself, then hands it to the
worker with the fewest requests waiting for their first bytes; the worker streams the
encoded chunks back (see :mod:`tts_agents.server.pool_worker` for the scheduling). The
request's :class:`SpeechStream` here only counts what the worker reports, so durations,
metrics and word timings read the same as for an in-process stream.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from tts_agents.config import TTSConfig
from tts_agents.errors import TTSUnavailableError
from tts_agents.server.pool_worker import CREDIT, run_worker
from tts_agents.server.speech_job import SpeechJob
from tts_agents.synthesis import SpeechStream

logger = logging.getLogger("tts_agents.server")
_START_TIMEOUT = 60.0


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    ready: asyncio.Future[None]
    streams: dict[int, asyncio.Queue[Any]] = field(default_factory=dict)
    waiting_first: set[int] = field(default_factory=set)
    alive: bool = True

    def load(self) -> tuple[int, int]:
        return len(self.waiting_first), len(self.streams)


class SynthesisPool:
    """``size`` worker processes (spawned, so no thread state is inherited).

    Each worker builds the engine ``config`` describes; neural engines get its
    ``onnx_threads`` cores per run (default every core, at most 4), with idle threads
    sleeping rather than spinning: a lone request runs on every core, and under load the
    workers share them (bench_neural: 2 workers x 2 threads gave first audio in 0.51 s
    alone and the same throughput as 2 x 1 with 8 clients).
    """

    def __init__(self, size: int, config: TTSConfig | None = None) -> None:
        if size < 1:
            raise ValueError("a synthesis pool needs at least one worker")
        self.size = size
        self.config = config or TTSConfig()
        self.opened = 0  # requests handed to the workers so far
        self._workers: list[_Worker] = []
        self._ids = itertools.count(1)
        self._context = multiprocessing.get_context("spawn")

    async def start(self) -> None:
        """Start the workers and wait until each has loaded its engine."""
        self._workers = [self._spawn() for _ in range(self.size)]
        await asyncio.wait_for(
            asyncio.gather(*(worker.ready for worker in self._workers)), _START_TIMEOUT
        )

    async def aclose(self) -> None:
        """Stop the workers (their streams end with an error)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            self._send(worker, None)
        for worker in workers:
            await asyncio.to_thread(worker.process.join, 5)
            if worker.process.is_alive():
                worker.process.kill()
            worker.conn.close()

    @property
    def pids(self) -> list[int]:
        """The workers' process ids (for operators and tests)."""
        return [worker.process.pid for worker in self._workers if worker.process.pid]

    async def encoded(self, job: SpeechJob, stream: SpeechStream) -> AsyncIterator[bytes]:
        """``job``'s encoded audio, made by a worker; ``stream`` counts samples and words."""
        worker = self._pick()
        sid = next(self._ids)
        self.opened += 1
        inbox: asyncio.Queue[Any] = asyncio.Queue()
        worker.streams[sid] = inbox
        worker.waiting_first.add(sid)
        unacknowledged = 0
        finished = False
        self._send(worker, ("open", sid, job))
        try:
            while not finished:
                messages = [await inbox.get()]
                if sid not in worker.waiting_first:  # the first bytes leave alone, at once;
                    while not inbox.empty():  # later, whatever has arrived leaves in one write
                        messages.append(inbox.get_nowait())
                worker.waiting_first.discard(sid)
                audio = []
                for kind, *rest in messages:
                    if kind == "error":
                        finished = True
                        raise rest[0]
                    stream.record(*rest[-2:])
                    finished = kind == "end"
                    if kind == "data":
                        audio.append(rest[0])
                unacknowledged += len(audio)
                if unacknowledged >= CREDIT // 2:  # a few writes per stream, not one a chunk
                    self._send(worker, ("ack", sid, unacknowledged))
                    unacknowledged = 0
                if audio:
                    yield b"".join(audio)
        finally:
            worker.streams.pop(sid, None)
            worker.waiting_first.discard(sid)
            if not finished:
                self._send(worker, ("cancel", sid))

    def _pick(self) -> _Worker:
        alive = [worker for worker in self._workers if worker.alive and worker.ready.done()]
        if not alive:
            raise TTSUnavailableError("no synthesis worker is running; try again shortly")
        return min(alive, key=_Worker.load)

    def _spawn(self) -> _Worker:
        loop = asyncio.get_running_loop()
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=run_worker,
            args=(theirs, self.config),
            name="tts-agents-synthesis",
            daemon=True,
        )
        process.start()
        theirs.close()
        worker = _Worker(process, ours, loop.create_future())
        threading.Thread(target=self._read, args=(worker, loop), daemon=True).start()
        return worker

    def _read(self, worker: _Worker, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                message = worker.conn.recv()
            except (EOFError, OSError):
                loop.call_soon_threadsafe(self._lost, worker)
                return
            loop.call_soon_threadsafe(self._deliver, worker, message)

    def _deliver(self, worker: _Worker, message: tuple[Any, ...]) -> None:
        if message[0] == "ready":
            if not worker.ready.done():
                worker.ready.set_result(None)
            return
        inbox = worker.streams.get(message[1])
        if inbox is not None:  # else cancelled: drop what was already on the way
            inbox.put_nowait((message[0], *message[2:]))

    def _lost(self, worker: _Worker) -> None:
        """A worker died: fail its streams and start a replacement."""
        worker.alive = False
        worker.conn.close()
        failure = TTSUnavailableError("a synthesis worker stopped; try again")
        for inbox in worker.streams.values():
            inbox.put_nowait(("error", failure))
        if not worker.ready.done():  # died while starting: start() reports it, no retry
            worker.ready.set_exception(failure)
            worker.ready.exception()  # a replacement's start is awaited by nobody
        elif worker in self._workers:
            logger.error("synthesis worker %s exited; starting a new one", worker.process.pid)
            self._workers[self._workers.index(worker)] = self._spawn()

    def _send(self, worker: _Worker, message: Any) -> None:
        if not worker.alive:
            return
        try:
            worker.conn.send(message)
        except OSError:  # the reader thread reports the loss
            worker.alive = False


def encoded_audio(
    pool: SynthesisPool | None, job: SpeechJob, stream: SpeechStream
) -> AsyncIterator[bytes]:
    """The request's encoded audio: from the pool when there is one and the engine is local."""
    if pool is not None and stream.engine.capabilities.local:
        return pool.encoded(job, stream)
    return stream.encoded()
