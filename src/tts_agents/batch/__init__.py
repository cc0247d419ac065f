"""Batch synthesis: many texts to many files, crash-safe with a manifest and resume.

Modules, each depending only on those listed before it:

* :mod:`~tts_agents.batch.plan` — each request's file name, checked before work starts;
* :mod:`~tts_agents.batch.store` — the manifest and a killed run's temp files;
* :mod:`~tts_agents.batch.inputs` — reading .txt, .csv and .jsonl input files;
* :mod:`~tts_agents.batch.worker` — one item start to finish, as every backend runs it;
* :mod:`~tts_agents.batch.ray_backend` — the Ray backend;
* :mod:`~tts_agents.batch.processor` — :class:`BatchProcessor`, which picks a backend.
"""

from tts_agents.batch.inputs import load_requests
from tts_agents.batch.processor import BatchProcessor, BatchProgress, BatchResult

__all__ = ["BatchProcessor", "BatchProgress", "BatchResult", "load_requests"]
