"""The synthesis worker pool behind a live server: fairness, cancellation, crash recovery."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import decode
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "pool-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}
LONG = " ".join(
    f"Sentence number {n} of a long text that keeps the worker busy for a while." for n in range(40)
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Any]]:
    app = create_app(ServerSettings(api_keys=(KEY,), synthesis_workers=1, max_concurrent=16))
    with running_server(app) as url:
        yield url, app


def _speech(text: str, fmt: str = "mp3") -> dict[str, str]:
    return {"model": "tts-1", "input": text, "voice": "alloy", "response_format": fmt}


def _worker_pids(app: Any) -> list[int]:
    return list(app.state.pool.pids)


def test_short_request_overtakes_a_long_one(served: tuple[str, Any]) -> None:
    url, _ = served
    finished: dict[str, float] = {}
    started = threading.Event()

    def long_request() -> None:
        with httpx.Client(base_url=url, headers=HEADERS, timeout=120) as client:
            with client.stream("POST", "/v1/audio/speech", json=_speech(LONG)) as response:
                for _ in response.iter_raw():
                    started.set()
        finished["long"] = time.monotonic()

    thread = threading.Thread(target=long_request)
    thread.start()
    assert started.wait(60)
    short = httpx.post(
        url + "/v1/audio/speech", json=_speech("Just a moment."), headers=HEADERS, timeout=60
    )
    finished["short"] = time.monotonic()
    thread.join(120)
    assert short.status_code == 200
    assert decode(short.content).duration > 0.3
    # One worker serves both: the new request goes first instead of waiting for the long one.
    assert finished["short"] < finished["long"]


def test_every_format_through_the_pool(served: tuple[str, Any]) -> None:
    url, _ = served
    durations = []
    for fmt, codec in (("mp3", "mp3"), ("opus", "opus"), ("flac", "flac"), ("wav", "pcm_s16le")):
        response = httpx.post(
            url + "/v1/audio/speech", json=_speech("Hello from the pool.", fmt), headers=HEADERS
        )
        assert response.status_code == 200
        decoded = decode(response.content)
        assert decoded.codec == codec
        durations.append(decoded.duration)
    assert max(durations) - min(durations) < 0.2


def test_timestamps_are_counted_from_the_worker(served: tuple[str, Any]) -> None:
    url, _ = served
    text = "Timing words from a worker process."
    body = httpx.post(
        url + "/v1/text-to-speech/alloy/with-timestamps", json={"text": text}, headers=HEADERS
    ).json()
    alignment = body["alignment"]
    assert "".join(alignment["characters"]) == text
    ends = alignment["character_end_times_seconds"]
    assert ends == sorted(ends) and ends[-1] > 1.0


def _cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def test_disconnect_stops_the_worker(served: tuple[str, Any]) -> None:
    url, app = served
    (pid,) = _worker_pids(app)
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        with client.stream("POST", "/v1/audio/speech", json=_speech(LONG * 2)) as response:
            next(response.iter_raw())
    time.sleep(1.0)  # the cancel reaches the worker, which closes the stream
    before = _cpu_seconds(pid)
    time.sleep(1.0)
    # Left running, the rest of this text would keep the worker busy for many seconds.
    assert _cpu_seconds(pid) - before < 0.2


def test_a_killed_worker_is_replaced(served: tuple[str, Any]) -> None:
    url, app = served
    (pid,) = _worker_pids(app)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    statuses = []
    while time.monotonic() < deadline:
        response = httpx.post(
            url + "/v1/audio/speech", json=_speech("Back again.", "wav"), headers=HEADERS
        )
        statuses.append(response.status_code)
        if response.status_code == 200:
            break
        assert response.status_code == 503, response.text
        assert response.headers.get("retry-after")
        time.sleep(0.5)
    assert statuses[-1] == 200
    assert decode(response.content).duration > 0.3
    assert _worker_pids(app) != [pid]
