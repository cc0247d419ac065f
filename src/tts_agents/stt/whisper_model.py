"""Whisper models through faster-whisper (CTranslate2): names, loading, one copy per process.

Weights come from the models directory (``tts-agents models pull whisper-base``), verified
by hash before the first load; faster-whisper is always given that directory, never a
name, so it never tries a model hub. int8 on the CPU; ``device="cuda"`` (or ``auto`` with a
CUDA build of CTranslate2 and a GPU) runs float16 on the GPU instead, untested here.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Literal

from tts_agents.engines.onnx import default_threads
from tts_agents.errors import MissingExtraError, TTSConfigError, TTSValidationError
from tts_agents.weights import ModelStore, get_spec

Device = Literal["auto", "cpu", "cuda"]
#: Our model names and the catalogue entries that hold them; ``base`` is the default.
MODELS = {"base": "whisper-base", "tiny.en": "whisper-tiny.en"}
DEFAULT_MODEL = "base"
#: Other names clients use for the same models (OpenAI's ``whisper-1`` is our default).
ALIASES = {"whisper-1": DEFAULT_MODEL, "whisper-base": "base", "whisper-tiny.en": "tiny.en"}

_models: dict[tuple[Path, str, int], Any] = {}
_lock = threading.Lock()


def model_name(name: str | None) -> str:
    """Our name for ``name`` (``None`` is the default); unknown names are refused."""
    if name is None or name in ("", "auto"):
        return DEFAULT_MODEL
    canonical = ALIASES.get(name, name)
    if canonical not in MODELS:
        known = ", ".join([*MODELS, *ALIASES])
        raise TTSValidationError("model", f"unknown speech-to-text model {name!r}; use {known}")
    return canonical


def whisper_installed(store: ModelStore, name: str = DEFAULT_MODEL) -> bool:
    """True when faster-whisper imports and the model's files are in ``store``."""
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        return False
    return store.status(get_spec(MODELS[model_name(name)])).installed


def load_whisper(
    name: str | None,
    store: ModelStore,
    *,
    device: Device = "auto",
    threads: int | None = None,
) -> Any:
    """The ``faster_whisper.WhisperModel`` for ``name`` (loaded once per process).

    Raises :class:`~tts_agents.errors.ModelError` when the model is not installed,
    :class:`MissingExtraError` without faster-whisper.
    """
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise MissingExtraError("speech-to-text with Whisper", "whisper") from exc
    directory = store.require(get_spec(MODELS[model_name(name)]))
    where = _device(device)
    threads = threads or default_threads()
    key = (directory, where, threads)
    with _lock:
        if key not in _models:
            compute = "int8" if where == "cpu" else "int8_float16"
            _models[key] = WhisperModel(
                str(directory),
                device=where,
                compute_type=compute,
                cpu_threads=threads,
                local_files_only=True,
            )
        return _models[key]


def _device(device: Device) -> str:
    if device == "cpu":
        return "cpu"
    import ctranslate2

    gpus = ctranslate2.get_cuda_device_count()
    if device == "cuda" and not gpus:
        raise TTSConfigError("device cuda needs a CUDA build of CTranslate2 and a CUDA GPU")
    return "cuda" if gpus else "cpu"


__all__ = ["ALIASES", "DEFAULT_MODEL", "MODELS", "load_whisper", "model_name", "whisper_installed"]
