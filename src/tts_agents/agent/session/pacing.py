"""Real-time pacing of the agent's audio, so a barge-in can still stop it.

A client plays audio as it arrives; whatever it holds in its buffer it will play even
after the agent stops sending. So the agent sends at most ``lead`` seconds ahead of the
client's playback: the first frames go out at once (fast first audio), later ones as
playback catches up. The pacer also keeps the client's playback clock, which says whether
the agent is still audibly speaking, and can be paused (user speech onset) and resumed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

DEFAULT_LEAD = 0.3


class AudioPacer:
    """Tracks when the client will finish playing what was sent, and gates sending."""

    def __init__(self, lead: float = DEFAULT_LEAD, clock: Callable[[], float] = time.monotonic):
        self.lead = lead
        self._clock = clock
        self._playback_end = clock()
        self._open = asyncio.Event()
        self._open.set()

    @property
    def paused(self) -> bool:
        """True while sending is held (the user may be cutting in)."""
        return not self._open.is_set()

    @property
    def playing(self) -> bool:
        """True while the client still has sent audio to play."""
        return self._clock() < self._playback_end

    @property
    def buffered(self) -> float:
        """Seconds of sent audio the client has not played yet."""
        return max(0.0, self._playback_end - self._clock())

    async def wait_to_send(self) -> None:
        """Return when the next frame may go: not paused and within ``lead`` of playback."""
        while True:
            await self._open.wait()
            ahead = self._playback_end - self._clock()
            if ahead <= self.lead:
                return
            await asyncio.sleep(ahead - self.lead)

    def sent(self, seconds: float) -> None:
        """Account for a frame just sent (an underrun restarts playback now)."""
        self._playback_end = max(self._playback_end, self._clock()) + seconds

    def pause(self) -> None:
        """Hold sending until :meth:`resume`."""
        self._open.clear()

    def resume(self) -> None:
        """Let sending go on."""
        self._open.set()

    def drop(self) -> None:
        """The client dropped its buffer (interruption): nothing is playing any more."""
        self._playback_end = self._clock()
        self._open.set()
