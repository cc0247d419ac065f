"""A client that stops reading cannot hold a synthesis slot (issue 13, item 1)."""

from __future__ import annotations

import json
import select
import socket
import time

import httpx

from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "test-key-stalled"
LONG = "A long answer that nobody will ever read to the end. " * 75  # ~4,000 characters


def _stalled_request(url: str, key: str = KEY) -> socket.socket:
    """Ask for minutes of PCM with a tiny receive buffer; the answer may still be queued."""
    host, port = url.removeprefix("http://").split(":")
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect((host, int(port)))
    body = json.dumps(
        {"model": "tts-1", "voice": "alloy", "input": LONG, "response_format": "pcm"}
    ).encode()
    client.sendall(
        (
            f"POST /v1/audio/speech HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
    )
    return client


def _stalled_reader(url: str, key: str = KEY) -> socket.socket:
    """Ask for minutes of PCM, read the status line, then read nothing more."""
    client = _stalled_request(url, key)
    assert client.recv(12).startswith(b"HTTP/1.1 200")
    return client


def test_a_stalled_reader_is_dropped_and_its_slot_freed() -> None:
    settings = ServerSettings(
        api_keys=(KEY,), engine="espeak", max_concurrent=1, max_queue=4, stream_send_timeout=2.0
    )
    with running_server(create_app(settings)) as url:
        stalled = _stalled_reader(url)
        try:
            started = time.monotonic()
            fresh = httpx.post(
                url + "/v1/audio/speech",
                headers={"Authorization": f"Bearer {KEY}"},
                json={
                    "model": "tts-1",
                    "voice": "alloy",
                    "input": "Hello.",
                    "response_format": "wav",
                },
                timeout=30,
            )
            waited = time.monotonic() - started
        finally:
            stalled.close()
        assert fresh.status_code == 200 and fresh.content.startswith(b"RIFF")
        assert waited < 15  # the 2 s send timeout, not the stalled client, decided


def test_one_key_cannot_hold_every_slot() -> None:
    settings = ServerSettings(
        api_keys=(KEY, "other-key"),
        engine="espeak",
        max_concurrent=4,
        max_streams_per_key=2,
        stream_send_timeout=30.0,
    )
    with running_server(create_app(settings)) as url:
        stalled = [_stalled_reader(url), _stalled_reader(url)]
        try:
            third = httpx.post(
                url + "/v1/audio/speech",
                headers={"Authorization": f"Bearer {KEY}"},
                json={"model": "tts-1", "voice": "alloy", "input": "Hi.", "response_format": "wav"},
            )
            other = httpx.post(
                url + "/v1/audio/speech",
                headers={"Authorization": "Bearer other-key"},
                json={"model": "tts-1", "voice": "alloy", "input": "Hi.", "response_format": "wav"},
                timeout=30,
            )
        finally:
            for client in stalled:
                client.close()
        assert third.status_code == 429 and third.json()["error"]["code"] == "too_many_streams"
        assert "Retry-After" in third.headers
        assert other.status_code == 200


def test_stalled_connections_are_aborted_and_other_keys_take_turns() -> None:
    """Key A's stalled streams hold the one slot in turn; key B goes next, not after all."""
    settings = ServerSettings(
        api_keys=(KEY, "other-key"),
        engine="espeak",
        max_concurrent=1,
        max_queue=8,
        stream_send_timeout=3.0,
    )
    app = create_app(settings)
    with running_server(app) as url:
        stalled = [_stalled_reader(url)] + [_stalled_request(url) for _ in range(3)]
        try:
            deadline = time.monotonic() + 5
            while httpx.get(url + "/health").json()["queued"] < 3:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            started = time.monotonic()
            fresh = httpx.post(
                url + "/v1/audio/speech",
                headers={"Authorization": "Bearer other-key"},
                json={"model": "tts-1", "voice": "alloy", "input": "Hi.", "response_format": "wav"},
                timeout=60,
            )
            waited = time.monotonic() - started
            reset = select.poll()
            reset.register(stalled[0], select.POLLERR | select.POLLHUP)
            was_reset = bool(reset.poll(5000))  # without reading: a FIN would wait behind data
        finally:
            for client in stalled:
                client.close()
        assert fresh.status_code == 200
        assert waited < 7  # one send timeout (3 s), not one per stalled stream ahead (12 s)
        assert app.state.connections.stalled >= 1
        assert was_reset  # a plain close would leave the kernel offering it data for minutes
