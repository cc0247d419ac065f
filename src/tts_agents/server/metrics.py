"""Prometheus metrics, in the text exposition format, without a client library.

Requests by route template and status, time to first byte, rejections (401, 413, 429,
503), queue depth, the synthesis real-time factor (wall seconds per audio second), live
voice-agent conversations and their per-turn latencies by stage.
Labels are route templates, never raw paths, so voice ids cannot blow up cardinality.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tts_agents.server.auth import require_key
from tts_agents.synthesis import SpeechStream

TTFB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TURN_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.5, 5.0)
REJECTED = {401, 413, 429, 503}

router = APIRouter(dependencies=[Depends(require_key)])


class Metrics:
    """The counters one server process keeps."""

    def __init__(self) -> None:
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.ttfb_counts = [0] * (len(TTFB_BUCKETS) + 1)
        self.ttfb_sum = 0.0
        self.synthesis_seconds = 0.0
        self.audio_seconds = 0.0
        self.conversations_active = 0
        self.turn_stages: dict[str, Histogram] = {}

    def observe_request(self, route: str, method: str, status: int, ttfb: float) -> None:
        """Count a finished response's status and when its first byte left."""
        self.requests[(route, method, status)] += 1
        index = next((i for i, edge in enumerate(TTFB_BUCKETS) if ttfb <= edge), -1)
        self.ttfb_counts[index] += 1
        self.ttfb_sum += ttfb

    def observe_synthesis(self, wall_seconds: float, audio_seconds: float) -> None:
        """Add one finished synthesis to the real-time factor."""
        self.synthesis_seconds += wall_seconds
        self.audio_seconds += audio_seconds

    def observe_turn(self, stages: Mapping[str, float | None]) -> None:
        """Add one voice-agent turn's latencies (seconds by stage; None = not measured)."""
        for stage, seconds in stages.items():
            if seconds is not None:
                self.turn_stages.setdefault(stage, Histogram(TURN_BUCKETS)).observe(seconds)

    def render(self, queue_depth: int) -> str:
        """The exposition text."""
        lines = [
            "# TYPE tts_agents_requests_total counter",
            *(
                f'tts_agents_requests_total{{route="{route}",method="{method}",status="{status}"}}'
                f" {count}"
                for (route, method, status), count in sorted(self.requests.items())
            ),
            "# TYPE tts_agents_rejections_total counter",
            *(
                f'tts_agents_rejections_total{{status="{status}"}} {count}'
                for status, count in sorted(self._rejections().items())
            ),
            "# TYPE tts_agents_ttfb_seconds histogram",
            *self._histogram(),
            "# TYPE tts_agents_queue_depth gauge",
            f"tts_agents_queue_depth {queue_depth}",
            "# TYPE tts_agents_synthesis_seconds_total counter",
            f"tts_agents_synthesis_seconds_total {self.synthesis_seconds:.6f}",
            "# TYPE tts_agents_audio_seconds_total counter",
            f"tts_agents_audio_seconds_total {self.audio_seconds:.6f}",
            "# TYPE tts_agents_real_time_factor gauge",
            f"tts_agents_real_time_factor {self._real_time_factor():.6f}",
            "# TYPE tts_agents_conversations_active gauge",
            f"tts_agents_conversations_active {self.conversations_active}",
            "# TYPE tts_agents_agent_turn_seconds histogram",
            *(
                line
                for stage, histogram in sorted(self.turn_stages.items())
                for line in histogram.lines("tts_agents_agent_turn_seconds", f'stage="{stage}"')
            ),
        ]
        return "\n".join(lines) + "\n"

    def _rejections(self) -> Counter[int]:
        counts: Counter[int] = Counter()
        for (_, _, status), count in self.requests.items():
            if status in REJECTED:
                counts[status] += count
        return counts

    def _histogram(self) -> list[str]:
        lines, total = [], 0
        for edge, count in zip((*TTFB_BUCKETS, "+Inf"), self.ttfb_counts, strict=True):
            total += count
            lines.append(f'tts_agents_ttfb_seconds_bucket{{le="{edge}"}} {total}')
        lines.append(f"tts_agents_ttfb_seconds_sum {self.ttfb_sum:.6f}")
        lines.append(f"tts_agents_ttfb_seconds_count {total}")
        return lines

    def _real_time_factor(self) -> float:
        return self.synthesis_seconds / self.audio_seconds if self.audio_seconds else 0.0


class Histogram:
    """Bucket counts and a sum, rendered cumulatively as Prometheus histograms are."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        """Count one value."""
        index = next((i for i, edge in enumerate(self.buckets) if value <= edge), -1)
        self.counts[index] += 1
        self.sum += value

    def lines(self, name: str, labels: str) -> list[str]:
        """The ``_bucket``, ``_sum`` and ``_count`` lines under ``labels``."""
        lines, total = [], 0
        for edge, count in zip((*self.buckets, "+Inf"), self.counts, strict=True):
            total += count
            lines.append(f'{name}_bucket{{{labels},le="{edge}"}} {total}')
        lines.append(f"{name}_sum{{{labels}}} {self.sum:.6f}")
        lines.append(f"{name}_count{{{labels}}} {total}")
        return lines


class MetricsMiddleware:
    """Pure ASGI: time every HTTP response's first byte and count its status."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, noting status and time to first byte."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status, first_byte = 500, 0.0

        async def timed_send(message: Message) -> None:
            nonlocal status, first_byte
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not first_byte:
                first_byte = time.perf_counter() - started
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            ttfb = first_byte or time.perf_counter() - started
            self.metrics.observe_request(route, scope["method"], status, ttfb)


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> Any:
    """Prometheus metrics of this process."""
    state = request.app.state
    return PlainTextResponse(
        state.metrics.render(state.gate.waiting), media_type="text/plain; version=0.0.4"
    )


def synthesis_observer(request: Request, stream: SpeechStream) -> Callable[[float], None]:
    """A callback adding ``stream``'s audio and wall time to the real-time factor."""
    metrics: Metrics = request.app.state.metrics
    return lambda wall_seconds: metrics.observe_synthesis(wall_seconds, stream.duration)
