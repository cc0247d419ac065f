"""Decoding audio a user hands us (an upload, a file, stdin) to 16 kHz mono float32.

Any container and codec PyAV (FFmpeg) reads is accepted. Decoding stops as soon as the
audio passes ``max_seconds``, so a long or hostile file costs at most that much work, and
every failure is a :class:`~tts_agents.errors.TTSValidationError` naming the field.
"""

from __future__ import annotations

import io

import av
import numpy as np

from tts_agents.errors import TTSValidationError

RATE = 16_000


def decode_audio(
    data: bytes, *, max_seconds: float | None = None, field: str = "file"
) -> np.ndarray:
    """``data`` as 16 kHz mono float32 samples in [-1, 1].

    Raises :class:`TTSValidationError` for data that is not audio, holds no audio stream,
    holds no samples, or lasts longer than ``max_seconds``.
    """
    if not data:
        raise TTSValidationError(field, "is empty")
    limit = None if max_seconds is None else int(max_seconds * RATE)
    parts: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise TTSValidationError(field, "holds no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
                    total += parts[-1].size
                if limit is not None and total > limit:
                    raise TTSValidationError(field, f"lasts longer than {max_seconds:g} s")
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1))
    except TTSValidationError:
        raise
    except (av.error.FFmpegError, ValueError, IndexError, EOFError) as exc:
        raise TTSValidationError(field, "could not be decoded as audio") from exc
    samples = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
    if samples.size == 0:
        raise TTSValidationError(field, "holds no audio samples")
    if limit is not None and samples.size > limit:
        raise TTSValidationError(field, f"lasts longer than {max_seconds:g} s")
    return np.clip(samples, -1.0, 1.0)


def pcm16_to_float(pcm16: bytes) -> np.ndarray:
    """Little-endian 16-bit PCM as float32 samples in [-1, 1]."""
    usable = len(pcm16) - len(pcm16) % 2
    return np.frombuffer(pcm16[:usable], dtype="<i2").astype(np.float32) / 32768.0
