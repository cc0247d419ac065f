"""How much one conversation may take: duration, idleness, audio size and rate.

A client streams microphone audio in real time; one sending much faster (a file pushed as
fast as the network goes, or a flood) would keep the recognizer busy for everyone, so
audio is metered by a token bucket in seconds of audio.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SessionLimits:
    """Limits and timings of a session (seconds unless named otherwise).

    ``audio_rate`` is the sustained audio speed allowed (2.0: twice real time) with
    ``audio_burst`` seconds of slack: generous, because a busy server that stalls for a
    moment then reads a real-time client's backlog at once; ``pace_lead`` is how far the
    agent's audio may run ahead of the client's playback.
    """

    max_duration: float = 1800.0
    idle_timeout: float = 120.0
    max_user_turn: float = 30.0
    audio_rate: float = 2.0
    audio_burst: float = 8.0
    max_chunk_seconds: float = 2.0
    max_message_bytes: int = 64 * 1024
    max_text_chars: int = 4096
    ping_interval: float = 2.0
    pace_lead: float = 0.3
    tentative_interval: float = 0.25
    client_tool_timeout: float = 10.0
    max_history_turns: int = 60


class AudioBudget:
    """A token bucket of audio seconds: refills at ``rate`` per second, holds ``burst``."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic):
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._tokens = burst
        self._last = clock()

    def take(self, seconds: float) -> bool:
        """Spend ``seconds`` of audio; False when the client sends faster than allowed."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if seconds > self._tokens:
            return False
        self._tokens -= seconds
        return True
