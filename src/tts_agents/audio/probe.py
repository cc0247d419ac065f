"""Measure encoded audio we did not encode ourselves (provider pass-through)."""

from __future__ import annotations

import io
from pathlib import Path

import av

from tts_agents.audio.formats import FormatSpec


def encoded_duration(data: bytes | Path, spec: FormatSpec, pcm_rate: int) -> float | None:
    """Seconds of audio in ``data`` by decoding it; None when it cannot be decoded."""
    if spec.name == "pcm":
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        return size / 2 / pcm_rate
    source = str(data) if isinstance(data, Path) else io.BytesIO(data)
    try:
        with av.open(source) as container:
            stream = container.streams.audio[0]
            samples = sum(frame.samples for frame in container.decode(stream))
            return samples / stream.codec_context.sample_rate
    except (av.FFmpegError, IndexError, ZeroDivisionError):
        return None
