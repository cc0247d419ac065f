"""``BatchProcessor``: many texts to many files (API kept from the original TTS Agents).

Items run concurrently up to ``max_concurrent``; a failed item is retried when its error is
retryable, reported, and never stops the batch. File names are deterministic (the request's
``id``, else index and a slug of the text) and every file is written atomically.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from tts_agents.errors import TTSAgentError, TTSValidationError
from tts_agents.models import TTSRequest, TTSResponse
from tts_agents.speech import TTSAgent

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass
class BatchResult:
    """What a batch did: counts, per-item responses (None where it failed) and errors."""

    total_requests: int
    successful: int = 0
    failed: int = 0
    results: list[TTSResponse | None] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    processing_time: float = 0.0


class BatchProcessor:
    """Runs a list of :class:`~tts_agents.TTSRequest` through one agent."""

    def __init__(self, agent: TTSAgent, max_concurrent: int = 4) -> None:
        if max_concurrent < 1:
            raise TTSValidationError("max_concurrent", "must be at least 1")
        self.agent = agent
        self.max_concurrent = max_concurrent

    async def process_batch(
        self,
        requests: list[TTSRequest],
        output_directory: str | Path | None = None,
        retry_attempts: int = 2,
    ) -> BatchResult:
        """Speak every request; write ``output_directory/<name>.<ext>`` when given."""
        started = time.perf_counter()
        directory = Path(output_directory) if output_directory is not None else None
        gate = asyncio.Semaphore(self.max_concurrent)
        result = BatchResult(total_requests=len(requests), results=[None] * len(requests))

        async def run(index: int, request: TTSRequest) -> None:
            async with gate:
                try:
                    response = await self._with_retries(index, request, directory, retry_attempts)
                except TTSAgentError as exc:
                    result.failed += 1
                    result.errors.append({"index": index, "id": request.id, "error": exc.message})
                    return
                result.successful += 1
                result.results[index] = response

        await asyncio.gather(*(run(i, request) for i, request in enumerate(requests)))
        result.errors.sort(key=lambda error: int(str(error["index"])))
        result.processing_time = time.perf_counter() - started
        return result

    async def _with_retries(
        self, index: int, request: TTSRequest, directory: Path | None, retry_attempts: int
    ) -> TTSResponse:
        attempt = 0
        while True:
            try:
                return await self._one(index, request, directory)
            except TTSAgentError as exc:
                if not exc.retryable or attempt >= retry_attempts:
                    raise
                attempt += 1
                await asyncio.sleep(min(0.5 * 2**attempt, 10.0))

    async def _one(self, index: int, request: TTSRequest, directory: Path | None) -> TTSResponse:
        path = request.output_path
        if path is None and directory is not None:
            path = directory / item_name(index, request)
        return await self.agent.generate_speech(
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


def item_name(index: int, request: TTSRequest) -> str:
    """A file name (no extension) that stays inside the output directory."""
    if request.id is not None:
        if not _SAFE_ID.match(request.id) or ".." in request.id:
            raise TTSValidationError("id", f"{request.id!r} is not a safe file name")
        return request.id
    slug = re.sub(r"[^a-z0-9]+", "-", request.text.lower()).strip("-")[:40].strip("-")
    return f"{index + 1:05d}-{slug or 'speech'}"
