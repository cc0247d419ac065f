"""``BatchProcessor``: many texts to many files that survive crashes (seed API kept).

* Local (CPU) engines run items in a pool of worker processes sized to the cores (libespeak-ng
  is one per process, so processes are what scale); remote engines run as async tasks in
  this process under the engine's own rate limiter.
* ``backend="ray"`` runs the same per-item function as Ray tasks (extra ``ray``).
* Every file is written to a temp file and renamed; the manifest (``manifest.jsonl``)
  records each finished item; ``resume`` skips finished items and redoes the rest; a failed
  item is retried ``retry_attempts`` times when its error is retryable, reported, and never
  stops the batch.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tts_agents.batch.plan import BatchItem, plan_items
from tts_agents.batch.ray_backend import run_on_ray
from tts_agents.batch.store import Manifest, finished, remove_temp_files
from tts_agents.batch.worker import RecordSink, attempt_item, run_item, speak, with_retries
from tts_agents.engines.onnx import default_threads
from tts_agents.errors import TTSAgentError, TTSValidationError, map_errors
from tts_agents.models import TTSRequest, TTSResponse
from tts_agents.speech import TTSAgent

__all__ = ["BatchProcessor", "BatchProgress", "BatchResult"]

POOL_MIN_ITEMS_PER_WORKER = 4  # below this, starting worker processes costs more than it saves


@dataclass
class BatchResult:
    """What a batch did: counts, per-item responses (None where it failed or was skipped).

    Items are numbered from 1, as in file names (``00001-hello.mp3``) and the manifest's
    ``index``; ``errors`` use that number too (``{"index": 2, "id": name, "error": ...}``).
    ``results`` is a plain list in request order, so item ``n`` is ``results[n - 1]``.
    """

    total_requests: int
    successful: int = 0
    failed: int = 0
    skipped: int = 0
    results: list[TTSResponse | None] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    processing_time: float = 0.0
    manifest: Path | None = None


class BatchProgress(Protocol):
    """Receives progress as items finish (the CLI draws a bar or prints lines)."""

    def start(self, total: int, skipped: int) -> None:
        """The batch begins; ``skipped`` items were already done."""

    def advance(self, record: dict[str, Any]) -> None:
        """One item finished (``record["status"]`` is done or failed)."""


class BatchProcessor:
    """Runs a list of :class:`~tts_agents.TTSRequest` through one agent."""

    def __init__(
        self,
        agent: TTSAgent,
        max_concurrent: int | None = None,
        *,
        backend: str = "local",
        ray_address: str | None = None,
    ) -> None:
        workers = max_concurrent if max_concurrent is not None else (os.cpu_count() or 1)
        if workers < 1:
            raise TTSValidationError("max_concurrent", "must be at least 1")
        if backend not in ("local", "ray"):
            raise TTSValidationError("backend", f"unknown backend {backend!r}; use local or ray")
        self.agent = agent
        self.max_concurrent = workers
        self.backend = backend
        self.ray_address = ray_address

    async def process_batch(
        self,
        requests: list[TTSRequest],
        output_directory: str | Path | None = None,
        retry_attempts: int = 2,
        *,
        resume: bool = False,
        progress: BatchProgress | None = None,
    ) -> BatchResult:
        """Speak every request into ``output_directory/<name>.<ext>``.

        ``name`` is the request's ``id``, else its number (from 1) and a slug of its text.
        Every name is checked before any work starts: an unsafe or repeated one raises
        :class:`~tts_agents.TTSValidationError` naming the item, and nothing is written.
        Without an output directory the audio stays in memory (``results[i].audio_data``)
        and nothing is written.
        """
        started = time.perf_counter()
        items = plan_items(requests)
        result = BatchResult(total_requests=len(items), results=[None] * len(items))
        if output_directory is None:
            await self._in_memory(items, retry_attempts, result)
        else:
            await self._to_directory(
                items, Path(output_directory), retry_attempts, resume, progress, result
            )
        result.errors.sort(key=lambda error: int(error["index"]))
        result.processing_time = time.perf_counter() - started
        return result

    async def _in_memory(self, items: list[BatchItem], retries: int, result: BatchResult) -> None:
        gate = asyncio.Semaphore(self.max_concurrent)

        async def run(item: BatchItem) -> None:
            async with gate:
                try:
                    response = await with_retries(lambda: speak(self.agent, item, None), retries)
                except TTSAgentError as exc:
                    _record_failure(result, item, exc.message)
                else:
                    result.successful += 1
                    result.results[item.number - 1] = response

        await asyncio.gather(*(run(item) for item in items))

    async def _to_directory(
        self,
        items: list[BatchItem],
        directory: Path,
        retries: int,
        resume: bool,
        progress: BatchProgress | None,
        result: BatchResult,
    ) -> None:
        manifest, done = _open_directory(directory, resume)
        result.manifest = manifest.path
        pending = [item for item in items if item.name not in done]
        result.skipped = len(items) - len(pending)
        if progress is not None:
            progress.start(len(items), result.skipped)

        def on_record(item: BatchItem, record: dict[str, Any]) -> None:
            manifest.append(record)
            if record["status"] == "done":
                result.successful += 1
                result.results[item.number - 1] = _response(record, directory)
            else:
                _record_failure(result, item, str(record.get("error")))
            if progress is not None:
                progress.advance(record)

        runner = self._runner(len(pending))
        await runner(pending, directory, retries, on_record)

    def _runner(self, count: int) -> Runner:
        if self.backend == "ray":
            address = self.ray_address

            async def ray_runner(*args: Any) -> None:
                await run_on_ray(
                    self.agent.config, *args, address=address, max_concurrent=self.max_concurrent
                )

            return ray_runner
        local = self.agent.engine.capabilities.local and self.agent.owns_engine
        if local and self.max_concurrent > 1 and count >= POOL_MIN_ITEMS_PER_WORKER * 2:
            return self._in_processes
        return self._in_tasks

    async def _in_tasks(
        self, items: list[BatchItem], directory: Path, retries: int, on_record: RecordSink
    ) -> None:
        gate = asyncio.Semaphore(self.max_concurrent)

        async def run(item: BatchItem) -> None:
            async with gate:
                record = await attempt_item(self.agent, item, directory, retries)
            on_record(item, record)

        await asyncio.gather(*(run(item) for item in items))

    async def _in_processes(
        self, items: list[BatchItem], directory: Path, retries: int, on_record: RecordSink
    ) -> None:
        loop = asyncio.get_running_loop()
        workers = min(self.max_concurrent, os.cpu_count() or 1, len(items))
        config = self.agent.config
        if config.onnx_threads is None:  # neural engines: share the cores out, don't fight
            config = config.model_copy(update={"onnx_threads": _threads_per_worker(workers)})
        # spawn, not fork: a forked child would inherit the espeak thread's state, not the thread
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:

            async def run(item: BatchItem) -> None:
                args = (config, item, str(directory), retries)
                record = await loop.run_in_executor(pool, run_item, *args)
                on_record(item, record)

            await asyncio.gather(*(run(item) for item in items))


Runner = Callable[[list[BatchItem], Path, int, RecordSink], Awaitable[None]]


def _threads_per_worker(workers: int) -> int:
    return max(1, min(default_threads(), (os.cpu_count() or 1) // workers))


def _open_directory(directory: Path, resume: bool) -> tuple[Manifest, set[str]]:
    """Create the directory, drop a killed run's temp files, and read what is done."""
    with map_errors(f"prepare {directory.name or directory}"):
        directory.mkdir(parents=True, exist_ok=True)
    remove_temp_files(directory)
    manifest = Manifest(directory)
    return manifest, finished(manifest.load(), directory) if resume else set()


def _response(record: dict[str, Any], directory: Path) -> TTSResponse:
    return TTSResponse(
        success=True,
        file_path=directory / str(record["file"]),
        duration=record.get("duration"),
        file_size=record.get("bytes"),
        metadata={"attempts": record.get("attempts")},
    )


def _record_failure(result: BatchResult, item: BatchItem, message: str) -> None:
    result.failed += 1
    result.errors.append({"index": item.number, "id": item.name, "error": message})
