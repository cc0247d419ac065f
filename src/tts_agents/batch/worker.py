"""One batch item, start to finish: speak it, retry what is retryable, describe the outcome.

This is the function every backend runs: tasks in this process, the local process pool
and Ray tasks alike. It lives apart from :mod:`~tts_agents.batch.processor` so that the
backends depend on it and not on each other.
"""

from __future__ import annotations

import asyncio
import hashlib

# pickle only serializes our own TTSConfig into a cache key; nothing is ever unpickled.
import pickle  # nosec B403
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tts_agents.batch.plan import BatchItem
from tts_agents.config import TTSConfig
from tts_agents.errors import TTSAgentError
from tts_agents.models import TTSResponse
from tts_agents.speech import TTSAgent

RecordSink = Callable[[BatchItem, dict[str, Any]], None]
"""Receives each item's manifest record as it finishes."""

_worker_agents: dict[str, TTSAgent] = {}


def run_item(config: TTSConfig, item: BatchItem, directory: str, retries: int) -> dict[str, Any]:
    """Speak one item into ``directory`` and return its manifest record.

    Runs in a worker process or a Ray task; the agent is made once per process.
    """
    key = hashlib.sha256(pickle.dumps(config)).hexdigest()
    agent = _worker_agents.get(key)
    if agent is None:
        agent = _worker_agents[key] = TTSAgent(config)
    return asyncio.run(attempt_item(agent, item, Path(directory), retries))


async def attempt_item(
    agent: TTSAgent, item: BatchItem, directory: Path, retries: int
) -> dict[str, Any]:
    """Speak one item into ``directory`` with ``agent``; failures become a record too."""
    attempts = 0

    async def once() -> TTSResponse:
        nonlocal attempts
        attempts += 1
        return await speak(agent, item, directory)

    record: dict[str, Any] = {"name": item.name, "index": item.number}
    try:
        response = await with_retries(once, retries)
    except TTSAgentError as exc:
        return {**record, "status": "failed", "error": exc.message, "attempts": attempts}
    path = response.file_path
    return {
        **record,
        "status": "done",
        "file": path.name if path else None,
        "duration": round(response.duration or 0.0, 3),
        "bytes": response.file_size,
        "format": response.format.value if response.format else None,
        "attempts": attempts,
    }


async def with_retries(call: Callable[[], Awaitable[TTSResponse]], retries: int) -> TTSResponse:
    """Await ``call`` until it succeeds, retrying retryable errors up to ``retries`` times."""
    attempt = 0
    while True:
        try:
            return await call()
        except TTSAgentError as exc:
            if not exc.retryable or attempt >= retries:
                raise
            attempt += 1
            await asyncio.sleep(min(0.5 * 2**attempt, 10.0))


async def speak(agent: TTSAgent, item: BatchItem, directory: Path | None) -> TTSResponse:
    """Speak ``item``; into ``directory/<name>.<ext>`` unless it names its own path."""
    request = item.request
    path = request.output_path
    if path is None and directory is not None:
        path = directory / item.name
    return await agent.generate_speech(
        request.text,
        voice=request.voice,
        model=request.model,
        format=request.format,
        speed=request.speed,
        output_path=path,
        language=request.language,
        sample_rate=request.sample_rate,
        pitch=request.pitch,
        volume=request.volume,
        ssml=request.ssml,
    )
