"""Speech to text for a whole recording: the library's face of the Whisper recognizer.

>>> result = await transcribe(Path("meeting.mp3"), word_timestamps=True)
>>> result.text, result.words[0].start

Any audio PyAV decodes is accepted. The model comes from the models directory of the
configuration (``tts-agents models pull whisper-base``); nothing is downloaded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from tts_agents.audio.decode import decode_audio
from tts_agents.config import TTSConfig
from tts_agents.engines import model_store
from tts_agents.errors import TTSFileError
from tts_agents.stt.transcription import Segment, TranscribeOptions, Transcription, Word
from tts_agents.stt.whisper_model import load_whisper


def transcribe_blocking(
    audio: bytes,
    options: TranscribeOptions,
    config: TTSConfig,
    *,
    max_seconds: float | None = None,
    on_segment: Callable[[Segment], None] | None = None,
) -> Transcription:
    """Decode ``audio`` and transcribe it on this thread (workers and the CLI call this)."""
    from tts_agents.stt.transcription import transcribe_samples

    model = load_whisper(
        options.model, model_store(config), device=config.device, threads=config.onnx_threads
    )
    samples = decode_audio(audio, max_seconds=max_seconds)
    return transcribe_samples(model, samples, options, on_segment=on_segment)


async def transcribe(
    audio: bytes | str | Path,
    *,
    model: str | None = None,
    language: str | None = None,
    prompt: str | None = None,
    temperature: float = 0.0,
    task: str = "transcribe",
    word_timestamps: bool = False,
    config: TTSConfig | None = None,
) -> Transcription:
    """Transcribe (or, with ``task="translate"``, translate to English) a recording.

    ``audio`` is the encoded file's bytes or its path. Raises
    :class:`~tts_agents.errors.TTSValidationError` for bad options or audio that cannot be
    decoded, :class:`~tts_agents.errors.ModelError` when the model is not installed.
    """
    if task not in ("transcribe", "translate"):
        from tts_agents.errors import TTSValidationError

        raise TTSValidationError("task", "must be 'transcribe' or 'translate'")
    options = TranscribeOptions(
        model=model,
        language=language,
        prompt=prompt,
        temperature=temperature,
        task=task,  # type: ignore[arg-type]
        word_timestamps=word_timestamps,
    )
    data = audio if isinstance(audio, bytes) else await asyncio.to_thread(_read, Path(audio))
    return await asyncio.to_thread(transcribe_blocking, data, options, config or TTSConfig())


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TTSFileError(f"cannot read {path.name}: {exc.strerror or exc}") from exc


__all__ = ["Segment", "TranscribeOptions", "Transcription", "Word", "transcribe"]
