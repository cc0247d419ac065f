"""The Ray backend: the same per-item function as the local pool, as Ray tasks.

Workers write into the output directory themselves, so on a multi-machine cluster it must
be shared storage; the driver keeps the manifest. Needs ``pip install 'tts-agents[ray]'``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tts_agents.batch.worker import RecordSink, run_item
from tts_agents.errors import MissingExtraError, TTSConfigError

if TYPE_CHECKING:
    from tts_agents.batch.plan import BatchItem
    from tts_agents.config import TTSConfig


async def run_on_ray(
    config: TTSConfig,
    items: list[BatchItem],
    directory: Path,
    retries: int,
    on_record: RecordSink,
    *,
    address: str | None,
    max_concurrent: int,
) -> None:
    """Run every item as a Ray task on ``address`` (None: start a local Ray instance)."""
    try:
        import ray
    except ImportError:
        raise MissingExtraError("the ray batch backend", "ray") from None

    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(
                address=address,
                num_cpus=None if address else max_concurrent,
                include_dashboard=False,
                log_to_driver=False,
                logging_level="WARNING",
                configure_logging=False,
            )
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise TTSConfigError(
                f"cannot reach Ray at {address or 'a new local instance'}: {type(exc).__name__}"
            ) from exc
    try:
        task = ray.remote(num_cpus=1, max_retries=2)(run_item)
        waiting = {
            asyncio.wrap_future(task.remote(config, item, str(directory), retries).future()): item
            for item in items
        }
        while waiting:
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                item = waiting.pop(future)
                on_record(item, _record(item, future))
    finally:
        if started_here:
            ray.shutdown()


def _record(item: BatchItem, future: asyncio.Future[Any]) -> dict[str, Any]:
    error = future.exception()
    if error is None:
        record: dict[str, Any] = future.result()
        return record
    return {
        "name": item.name,
        "index": item.number,
        "status": "failed",
        "error": f"ray task failed: {type(error).__name__}",
    }
