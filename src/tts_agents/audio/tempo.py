"""Speed change without pitch change (ffmpeg's ``atempo`` through PyAV), chunk by chunk.

Engines apply the speeds they can natively; this stretches the remainder, so every engine
honours the full 0.25-4.0 range.
"""

from __future__ import annotations

import av
import numpy as np

from tts_agents.errors import map_errors

MIN_TEMPO, MAX_TEMPO = 0.5, 100.0


class TempoStretcher:
    """Plays s16le mono PCM ``tempo`` times faster (0.5-100) at the same pitch."""

    def __init__(self, sample_rate: int, tempo: float) -> None:
        if not MIN_TEMPO <= tempo <= MAX_TEMPO:
            raise ValueError(f"tempo {tempo} outside {MIN_TEMPO}-{MAX_TEMPO}")
        self.sample_rate = sample_rate
        self.tempo = tempo
        self._graph = av.filter.Graph()
        source = self._graph.add_abuffer(
            sample_rate=sample_rate, format="s16", layout="mono", time_base=f"1/{sample_rate}"
        )
        stretch = self._graph.add("atempo", f"{tempo:.6f}")
        sink = self._graph.add("abuffersink")
        source.link_to(stretch)
        stretch.link_to(sink)
        self._graph.configure()
        self._pts = 0

    def process(self, pcm: bytes) -> bytes:
        """Stretch one chunk; output lags input by the filter's window."""
        if not pcm:
            return b""
        samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._pts
        self._pts += samples.shape[1]
        with map_errors("change speed"):
            self._graph.push(frame)
            return self._pull()

    def flush(self) -> bytes:
        """Return what the filter still holds."""
        with map_errors("change speed"):
            self._graph.push(None)
            return self._pull()

    def _pull(self) -> bytes:
        out = []
        while True:
            try:
                frame = self._graph.pull()
            except (av.BlockingIOError, av.EOFError):
                break
            out.append(frame.to_ndarray().astype("<i2", copy=False).tobytes())
        return b"".join(out)
