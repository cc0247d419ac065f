"""Per-turn latencies of a conversation, sent to the client and exported to Prometheus.

Times are wall-clock seconds from the session's monotonic clock; the end of the user's
speech is mapped from the audio stream onto that clock by :class:`StreamClock`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, fields


@dataclass
class TurnMetrics:
    """One agent turn's latencies in seconds; ``None`` when that stage did not happen.

    ``stt_final``: end of user speech -> final transcript. ``brain_first_text``: reply
    asked -> first text. ``tts_first_audio``: first piece handed to TTS -> its first PCM.
    ``voice_to_voice``: end of user speech -> first answer audio sent (includes the
    end-of-turn silence). ``interruption_stop``: user speech onset -> last audio frame of
    the interrupted answer sent.
    """

    stt_final: float | None = None
    brain_first_text: float | None = None
    tts_first_audio: float | None = None
    voice_to_voice: float | None = None
    interruption_stop: float | None = None

    def as_milliseconds(self) -> dict[str, int | None]:
        """The event payload: ``<name>_ms`` keys, rounded milliseconds."""
        return {
            f"{field.name}_ms": None if value is None else round(value * 1000)
            for field in fields(self)
            for value in (getattr(self, field.name),)
        }

    @property
    def measured(self) -> bool:
        """True when at least one latency was taken."""
        return any(getattr(self, field.name) is not None for field in fields(self))


MetricsSink = Callable[[TurnMetrics], None]


class StreamClock:
    """Maps positions in the user's audio stream (seconds) to the wall clock.

    A client streams in real time, so the audio of a chunk was captured just before the
    chunk arrived: position ``p`` inside a chunk ending at ``end`` that arrived at ``t``
    was live at ``t - (end - p)``. Recent chunks are remembered for look-ups.
    """

    def __init__(self, keep: int = 256) -> None:
        self.position = 0.0
        self._arrivals: deque[tuple[float, float]] = deque(maxlen=keep)

    def advance(self, seconds: float, arrived: float) -> None:
        """A chunk of ``seconds`` of audio arrived at wall time ``arrived``."""
        self.position += seconds
        self._arrivals.append((self.position, arrived))

    def wall(self, position: float) -> float:
        """The wall time at which stream ``position`` was live."""
        for end, arrived in self._arrivals:
            if end >= position:
                return arrived - (end - position)
        end, arrived = self._arrivals[-1] if self._arrivals else (0.0, 0.0)
        return arrived - (end - position)
