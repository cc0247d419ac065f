"""Speech budgets per key: what a request costs, beyond being one request.

A speech request is charged up front, once it is validated and before any audio is made:
its input characters plus the seconds of SSML breaks it asks for (a few bytes may ask for
a minute of silence). The audio it produces is only known after, so it is counted then,
against a second budget; a key over that budget gets 429 on its next speech request.
Both budgets are per minute (``cost_per_minute_per_key``,
``audio_seconds_per_minute_per_key``) and live where the request rates do, so replicas
sharing Redis share them too. A server without auth has no keys and no budgets.

Every speech route calls :func:`account_speech` once its request is validated (the
stream-input WebSocket once per piece it speaks); a request then turned away by a full
queue (503) has been charged all the same.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from starlette.requests import HTTPConnection

from tts_agents.server.limits import RateLimiter
from tts_agents.server.settings import ServerSettings
from tts_agents.synthesis import SpeechStream

CountAudio = Callable[[float], None]  # told the seconds of audio a request produced


def charge_speech(request: HTTPConnection, stream: SpeechStream) -> CountAudio:
    """Charge the caller for ``stream`` (429 when a budget is spent); count its audio after."""
    caller: str | None = getattr(request.state, "caller", None)
    if caller is None:
        return _free
    settings: ServerSettings = request.app.state.settings
    limiter: RateLimiter = request.app.state.limiter
    audio, audio_budget = f"audio:{caller}", settings.audio_seconds_per_minute_per_key
    limiter.check_room(audio, audio_budget)
    limiter.check(f"cost:{caller}", settings.cost_per_minute_per_key, speech_cost(stream))
    return lambda seconds: limiter.spend(audio, audio_budget, math.ceil(seconds))


def speech_cost(stream: SpeechStream) -> int:
    """Input characters plus requested break seconds, rounded up."""
    # Parsed SSML is a list, with its breaks; plain text is cut lazily and asks for none.
    segments = stream.segments if isinstance(stream.segments, list) else []
    breaks = sum(segment.pause_after_ms for segment in segments) / 1000
    return math.ceil((stream.text_length or 0) + breaks)


def _free(seconds: float) -> None:
    """Nothing to count: the caller has no key."""


def account_speech(request: HTTPConnection, stream: SpeechStream) -> Callable[[float], None]:
    """The accounting of one speech request, begun before its synthesis starts.

    Charges the caller's speech budgets now (429 when spent). The callback returned, told
    the wall seconds the synthesis took, adds them to the server's real-time factor and
    counts the audio produced against the caller's audio budget.
    """
    count_audio = charge_speech(request, stream)
    metrics = request.app.state.metrics

    def done(wall_seconds: float) -> None:
        metrics.observe_synthesis(wall_seconds, stream.duration)
        count_audio(stream.duration)

    return done
