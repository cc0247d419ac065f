"""Prometheus metrics on ``prometheus_client``, served at ``/metrics`` (API key required).

Requests by route template and status, time to first byte, rejections (401, 413, 429,
503), queue depth, the synthesis real-time factor (wall seconds per audio second), live
voice-agent conversations and their per-turn latencies by stage.
Labels are route templates, never raw paths, so voice ids cannot blow up cardinality.

Each app has its own registry. Several server processes on one host (gunicorn or uvicorn
workers) report together in ``prometheus_client``'s multiprocess mode: start them with
``PROMETHEUS_MULTIPROC_DIR`` naming an empty directory they share; ``/metrics`` then sums
their counters and histograms, and the live processes' gauges (a process manager drops a
stopped one's with ``prometheus_client.multiprocess.mark_process_dead``). The real-time
factor there is the latest process's; ``tts_agents_synthesis_seconds_total`` over
``tts_agents_audio_seconds_total`` gives the exact one. Synthesis worker processes need
none of this: the server process times and counts the streams they speak.
"""

from __future__ import annotations

import os
import time
from collections import Counter as Tally
from collections.abc import Callable, Mapping
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tts_agents.server.auth import require_key

TTFB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
TURN_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.5, 5.0)
REJECTED = {401, 413, 429, 503}
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
GaugeMode = Literal["livesum", "mostrecent"]  # how processes' values combine

router = APIRouter(dependencies=[Depends(require_key)])


class Metrics:
    """The metrics of one app; ``queue_depth`` reads how many requests wait for a slot."""

    def __init__(self, queue_depth: Callable[[], int] = lambda: 0) -> None:
        self.registry = CollectorRegistry()
        self._queue_depth = queue_depth
        self._requests = self._counter(
            "tts_agents_requests", "HTTP responses", ("route", "method", "status")
        )
        self._rejections = self._counter("tts_agents_rejections", "Refused requests", ("status",))
        self._ttfb = Histogram(
            "tts_agents_ttfb_seconds",
            "Seconds to a response's first byte",
            buckets=TTFB_BUCKETS,
            registry=self.registry,
        )
        self._queue = self._gauge("tts_agents_queue_depth", "Requests waiting for a slot")
        self._synthesis = self._counter("tts_agents_synthesis_seconds", "Wall seconds synthesizing")
        self._audio = self._counter("tts_agents_audio_seconds", "Seconds of audio synthesized")
        self._real_time_factor = self._gauge(
            "tts_agents_real_time_factor", "Wall seconds per audio second", "mostrecent"
        )
        self._synthesis_totals = [0.0, 0.0]  # this process's wall and audio seconds
        self._conversations = self._gauge(
            "tts_agents_conversations_active", "Live voice-agent conversations"
        )
        self._conversation_count = 0
        self._turns = Histogram(
            "tts_agents_agent_turn_seconds",
            "Voice-agent turn latency by stage",
            ("stage",),
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )

    @property
    def conversations_active(self) -> int:
        """Live voice-agent conversations in this process."""
        return self._conversation_count

    @conversations_active.setter
    def conversations_active(self, count: int) -> None:
        self._conversation_count = count
        self._conversations.set(count)

    @property
    def requests(self) -> Tally[tuple[str, str, int]]:
        """Finished responses by (route template, method, status), read from the registry."""
        return Tally(
            {
                (sample.labels["route"], sample.labels["method"], int(sample.labels["status"])): (
                    int(sample.value)
                )
                for family in self._requests.collect()
                for sample in family.samples
                if sample.name.endswith("_total")
            }
        )

    def observe_request(self, route: str, method: str, status: int, ttfb: float) -> None:
        """Count a finished response's status and when its first byte left."""
        self._requests.labels(route, method, str(status)).inc()
        if status in REJECTED:
            self._rejections.labels(str(status)).inc()
        self._ttfb.observe(ttfb)
        self._queue.set(self._queue_depth())

    def observe_synthesis(self, wall_seconds: float, audio_seconds: float) -> None:
        """Add one finished synthesis to the real-time factor."""
        self._synthesis.inc(wall_seconds)
        self._audio.inc(audio_seconds)
        totals = self._synthesis_totals
        totals[0] += wall_seconds
        totals[1] += audio_seconds
        if totals[1]:
            self._real_time_factor.set(totals[0] / totals[1])

    def observe_turn(self, stages: Mapping[str, float | None]) -> None:
        """Add one voice-agent turn's latencies (seconds by stage; None = not measured)."""
        for stage, seconds in stages.items():
            if seconds is not None:
                self._turns.labels(stage).observe(seconds)

    def render(self) -> bytes:
        """The exposition text: of this app, or of every process sharing the multiprocess dir."""
        self._queue.set(self._queue_depth())
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

    def _counter(self, name: str, documentation: str, labels: tuple[str, ...] = ()) -> Counter:
        return Counter(name, documentation, labels, registry=self.registry)

    def _gauge(self, name: str, documentation: str, mode: GaugeMode = "livesum") -> Gauge:
        return Gauge(name, documentation, registry=self.registry, multiprocess_mode=mode)


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


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Any:
    """Prometheus metrics of this server (every process of it, in multiprocess mode)."""
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_PLAIN_0_0_4)
