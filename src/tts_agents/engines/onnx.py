"""onnxruntime for the neural engines: one session per model per process, runs off the loop.

Sessions are cached per process (a model is loaded once however many engines use it) and
every run goes through one thread, so concurrent requests take turns on the cores instead
of fighting over them; ``threads`` decides how many cores one run uses. A run
whose consumer goes away is stopped through onnxruntime's ``RunOptions.terminate``.

The per-phoneme durations that time each word are computed inside the models' graphs but
not exported as outputs. :func:`add_output` appends the graph output to the serialized
model (a protobuf merge: the appended ``graph`` field is merged into the existing one), so
onnxruntime returns that tensor too; if the name is not in the graph, the plain model is
loaded and timings are estimated instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tts_agents.errors import MissingExtraError, TTSAPIError, TTSConfigError
from tts_agents.redact import get_logger

logger = get_logger(__name__)

Device = Literal["auto", "cpu", "cuda"]
ONNX_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="onnx")

_sessions: dict[tuple[Path, str, int, str | None], LoadedModel] = {}
_sessions_lock = threading.Lock()
_spinning = True


def share_cores() -> None:
    """Say that this process shares the cores with sibling processes running models too.

    Idle onnxruntime threads then sleep instead of spinning, so several workers that each
    may use every core (fast first audio when the server is quiet) do not burn the cores
    the others need when it is busy. Call it before the first model loads.
    """
    global _spinning
    _spinning = False


@dataclass(frozen=True)
class LoadedModel:
    """A session, and the name of the durations output when the graph gave one."""

    session: Any
    durations: str | None


def onnxruntime(extra: str) -> Any:
    """The ``onnxruntime`` module, or an error naming the pip extra that installs it."""
    try:
        return _import_onnxruntime()
    except ImportError as exc:
        raise MissingExtraError(f"the {extra} engine", extra) from exc


def check_onnxruntime(extra: str) -> None:
    """Fail now, naming the extra, when onnxruntime is missing (without importing it)."""
    if importlib.util.find_spec("onnxruntime") is None:
        raise MissingExtraError(f"the {extra} engine", extra)


@functools.cache
def _import_onnxruntime() -> Any:
    import onnxruntime as ort

    ort.set_default_logger_severity(3)  # errors only: its warnings are not the user's
    return ort


def default_threads() -> int:
    """Intra-op threads for one run unless configured: every core, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


def load_model(
    path: Path,
    *,
    extra: str,
    device: Device = "auto",
    threads: int | None = None,
    durations: str | None = None,
) -> LoadedModel:
    """The process's session for ``path`` (created on first use; slow: call it off the loop)."""
    threads = threads or default_threads()
    key = (path, device, threads, durations)
    with _sessions_lock:
        loaded = _sessions.get(key)
        if loaded is None:
            loaded = _sessions[key] = _create(path, extra, device, threads, durations)
        return loaded


def _create(
    path: Path, extra: str, device: Device, threads: int, durations: str | None
) -> LoadedModel:
    ort = onnxruntime(extra)
    providers = _providers(ort, device)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Input lengths change with every call: planning buffers from one call's shapes wastes
    # memory (Kokoro: 525 -> 467 MB peak for a 7 s run) and gains no speed.
    options.enable_mem_pattern = False
    if not _spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if durations:
        patched = add_output(path.read_bytes(), durations)  # the file's bytes are freed here
        try:
            session = ort.InferenceSession(patched, options, providers=providers)
            return LoadedModel(session, durations)
        except Exception:  # noqa: BLE001 - not in this graph: load the plain model
            logger.info("%s has no %s tensor; word timings are estimated", path.name, durations)
        finally:
            del patched
    try:
        session = ort.InferenceSession(str(path), options, providers=providers)
    except Exception as exc:
        raise TTSAPIError(f"cannot load {path.name}: {type(exc).__name__}") from exc
    return LoadedModel(session, None)


def _providers(ort: Any, device: Device) -> list[str]:
    available = ort.get_available_providers()
    if device == "cuda" and "CUDAExecutionProvider" not in available:
        raise TTSConfigError(
            "device cuda needs onnxruntime-gpu (pip install onnxruntime-gpu) and a CUDA GPU"
        )
    if device != "cpu" and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


async def run(
    model: LoadedModel, feeds: Mapping[str, Any], outputs: Sequence[str]
) -> tuple[list[Any], float]:
    """Run the session on :data:`ONNX_THREAD`; cancelling the caller stops the run.

    Returns the outputs and the seconds the run took (its wait for the thread excluded).
    """
    ort = onnxruntime("neural")
    options = ort.RunOptions()
    loop = asyncio.get_running_loop()

    def timed() -> tuple[list[Any], float]:
        began = time.perf_counter()
        results = model.session.run(list(outputs), dict(feeds), options)
        return results, time.perf_counter() - began

    future = loop.run_in_executor(ONNX_THREAD, timed)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        options.terminate = True
        with contextlib.suppress(Exception):  # the run was terminated on purpose
            await future
        raise
    except Exception as exc:
        raise TTSAPIError(f"model run failed: {type(exc).__name__}") from exc


def add_output(model: bytes, name: str) -> bytes:
    """``model`` with the graph tensor ``name`` declared as an extra output."""
    value_info = _field(1, name.encode())  # ValueInfoProto.name
    graph = _field(12, value_info)  # GraphProto.output
    return model + _field(7, graph)  # ModelProto.graph, merged into the existing graph


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


_slow_warned = False


def warn_if_slow(engine: str, audio_seconds: float, wall_seconds: float) -> None:
    """Say once per process when synthesis runs slower than real time."""
    global _slow_warned
    if _slow_warned or wall_seconds <= 0 or audio_seconds <= 0.5:
        return
    speed = audio_seconds / wall_seconds
    if speed < 1.0:
        _slow_warned = True
        logger.warning(
            "%s runs at %.2fx real time on this machine, so streams will stall; "
            "fewer concurrent requests, another model variant or --engine espeak are faster",
            engine,
            speed,
        )


__all__ = [
    "ONNX_THREAD",
    "Device",
    "LoadedModel",
    "add_output",
    "check_onnxruntime",
    "default_threads",
    "load_model",
    "onnxruntime",
    "run",
    "share_cores",
    "warn_if_slow",
]
