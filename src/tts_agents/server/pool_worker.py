"""A synthesis worker process: speaks many streams, one chunk at a time, new ones first.

The server hands each request to a worker (see :mod:`tts_agents.server.synthesis_pool`).
A worker advances one stream by one encoded chunk (~0.5 s of audio) at a time. Streams that
have sent nothing yet always go first, so a new request's first bytes never wait behind the
rest of older requests; the others take turns. A stream whose consumer has fallen behind
by ``CREDIT`` chunks waits until the server acknowledges them.

Messages from the server: ``("open", sid, job)``, ``("ack", sid, n)``, ``("cancel", sid)``,
``None`` to stop. To the server: ``("ready",)`` once, then ``("data", sid, bytes, samples,
marks)``, ``("end", sid, samples, marks)`` or ``("error", sid, exception)`` per stream.
"""

from __future__ import annotations

import asyncio
import pickle  # nosec B403
import threading
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from tts_agents.config import TTSConfig
from tts_agents.engines import engine_for
from tts_agents.engines.onnx import share_cores
from tts_agents.errors import TTSAPIError
from tts_agents.server.speech_job import SpeechJob
from tts_agents.speech import TTSAgent
from tts_agents.synthesis import SpeechStream

CREDIT = 16  # chunks a stream may run ahead of what the server has taken


def run_worker(conn: Connection, config: TTSConfig) -> None:
    """The worker process's entry point: speak with the engine ``config`` describes."""
    share_cores()  # sibling workers run models on the same cores
    asyncio.run(_Worker(conn, config).run())


@dataclass(eq=False)
class _Stream:
    sid: int
    stream: SpeechStream
    chunks: AsyncIterator[bytes]
    credit: int = CREDIT
    sent_samples: int = 0
    sent_words: int = 0

    def news(self) -> tuple[int, list[Any]]:
        """Samples and word marks made since the last message."""
        samples = self.stream.samples - self.sent_samples
        marks = self.stream.words[self.sent_words :]
        self.sent_samples, self.sent_words = self.stream.samples, len(self.stream.words)
        return samples, marks


class _Worker:
    def __init__(self, conn: Connection, config: TTSConfig) -> None:
        self.conn = conn
        self.config = config
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.streams: dict[int, _Stream] = {}
        self.fresh: deque[_Stream] = deque()  # nothing sent yet: served first, in order
        self.turns: deque[_Stream] = deque()  # the rest, round robin
        self.running = True

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        # One espeak thread serves all this worker's streams, so it must never pause for a
        # consumer: that would hold the thread the stream we are advancing waits for.
        engine = engine_for(self.config, interleaved=True)
        self.agent = TTSAgent(self.config, engine=engine)
        await self.agent.generate_speech("ready", format="pcm")  # load models now
        threading.Thread(target=self._read, args=(loop,), daemon=True).start()
        self.conn.send(("ready",))
        while self.running:
            # Let the reader's hand-offs run: a step whose audio is already waiting never
            # yields to the loop, and new requests must be seen before the next step.
            await asyncio.sleep(0)
            while not self.inbox.empty():
                await self._handle(self.inbox.get_nowait())
            stream = self._next()
            if stream is None:
                await self._handle(await self.inbox.get())
            else:
                await self._step(stream)
        for stream in list(self.streams.values()):
            await self._close(stream)
        await self.agent.close()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                message = None
            loop.call_soon_threadsafe(self.inbox.put_nowait, message)
            if message is None:
                return

    async def _handle(self, message: Any) -> None:
        if message is None:
            self.running = False
            return
        kind, sid, *rest = message
        if kind == "open":
            await self._open(sid, rest[0])
        elif kind == "ack" and sid in self.streams:
            self.streams[sid].credit += rest[0]
        elif kind == "cancel" and sid in self.streams:
            await self._close(self.streams[sid])

    async def _open(self, sid: int, job: SpeechJob) -> None:
        try:
            stream = job.prepare(self.agent)
        except Exception as exc:  # the server validated it; report whatever is left
            self._send_error(sid, exc)
            return
        entry = _Stream(sid, stream, stream.encoded())
        self.streams[sid] = entry
        self.fresh.append(entry)

    def _next(self) -> _Stream | None:
        if self.fresh:
            return self.fresh.popleft()
        for _ in range(len(self.turns)):
            stream = self.turns.popleft()
            self.turns.append(stream)
            if stream.credit > 0:
                return stream
        return None

    async def _step(self, entry: _Stream) -> None:
        try:
            data = await anext(entry.chunks)
        except StopAsyncIteration:
            self.conn.send(("end", entry.sid, *entry.news()))
            await self._close(entry)
            return
        except Exception as exc:
            self._send_error(entry.sid, exc)
            await self._close(entry)
            return
        self.conn.send(("data", entry.sid, data, *entry.news()))
        entry.credit -= 1
        if entry not in self.turns:
            self.turns.append(entry)

    async def _close(self, entry: _Stream) -> None:
        self.streams.pop(entry.sid, None)
        for queue in (self.fresh, self.turns):
            if entry in queue:
                queue.remove(entry)
        await entry.chunks.aclose()  # type: ignore[attr-defined]

    def _send_error(self, sid: int, exc: Exception) -> None:
        # pickle only carries our own exceptions between our own processes.
        try:
            pickle.loads(pickle.dumps(exc))  # nosec B301
        except Exception:
            exc = TTSAPIError(f"synthesis failed: {type(exc).__name__}")
        self.conn.send(("error", sid, exc))
