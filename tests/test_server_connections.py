"""Connections cannot wear the server down (issue 13, items 1 and 2).

Silent and half-sent connections are closed, one address cannot hold more than its share,
the process keeps below its file limit, a WebSocket must authenticate soon, requests whose
client left stop waiting, and a forwarded address is believed only from a trusted proxy.
Attacks come from other 127.0.0.x addresses so the probe on 127.0.0.1 still gets through.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest
import websockets.sync.client as ws_client
from websockets.exceptions import ConnectionClosed

from tests.test_server_stalled import _stalled_reader
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.connections import quiet_loop_errors
from tts_agents.server.testing import running_server

KEY = "test-key-connections"
AUTH = {"Authorization": f"Bearer {KEY}"}


@contextmanager
def serve(**overrides: object) -> Iterator[tuple[str, object]]:
    """A real server with ``overrides``; yields its URL and its connection guard."""
    settings = ServerSettings(api_keys=(KEY, "other-key"), engine="espeak", **overrides)
    app = create_app(settings)
    with running_server(app) as url:
        yield url, app.state.connections


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _connect(url: str, source: str = "127.0.0.2", data: bytes = b"") -> socket.socket:
    client = socket.socket()
    client.bind((source, 0))
    client.connect(_address(url))
    if data:
        client.sendall(data)
    return client


def _closed_by_server(client: socket.socket, within: float) -> bool:
    """True when the server closes ``client`` within ``within`` seconds."""
    client.settimeout(within)
    try:
        while client.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _eventually(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def _health(url: str) -> dict:
    return httpx.get(url + "/health", timeout=5).json()


def test_silent_and_half_sent_connections_are_closed() -> None:
    with serve(header_timeout=1.0) as (url, guard):
        silent = [_connect(url) for _ in range(20)]
        partial = _connect(url, data=b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\n")
        body = b'{"model": "tts-1", "voice": "alloy", "inp'
        stalled_body = _connect(
            url,
            data=b"POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
            + KEY.encode()
            + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            + body,
        )
        assert _health(url)["status"] == "ok"  # answered while they wait
        for client in [*silent, partial, stalled_body]:
            assert _closed_by_server(client, within=5)
            client.close()
        assert _eventually(lambda: guard.open_total <= 1, within=3)  # the probe's at most
        assert guard.timed_out >= 22


def test_one_address_holds_at_most_its_share() -> None:
    with serve(max_connections_per_ip=8, header_timeout=30.0) as (url, guard):
        held = [_connect(url) for _ in range(8)]
        extra = _connect(url)
        assert _closed_by_server(extra, within=3)
        assert guard.refused >= 1
        assert httpx.get(url + "/health", timeout=5).status_code == 200  # 127.0.0.1 is fine
        for client in held:
            client.close()
        assert _eventually(lambda: not guard.open.get("127.0.0.2"), within=3)
        again = _connect(url, data=b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        again.settimeout(5)
        assert again.recv(12) == b"HTTP/1.1 200"
        again.close()


def test_the_total_cap_refuses_at_once_and_recovers() -> None:
    with serve(max_connections=12, header_timeout=30.0) as (url, guard):
        held = [_connect(url, source=f"127.0.0.{2 + i % 3}") for i in range(12)]
        assert _eventually(lambda: guard.open_total == 12, within=3)
        probe = _connect(url, source="127.0.0.1")
        assert _closed_by_server(probe, within=3)
        for client in held:
            client.close()
        assert _eventually(lambda: guard.open_total == 0, within=3)
        assert _health(url)["status"] == "ok"


def test_websockets_count_until_they_close() -> None:
    with serve() as (url, guard):
        ws_url = url.replace("http://", "ws://") + "/v1/text-to-speech/alloy/stream-input"
        with ExitStack() as stack:
            for _ in range(3):
                stack.enter_context(ws_client.connect(ws_url, additional_headers=AUTH))
            assert _eventually(lambda: guard.open_total == 3, within=3)
        assert _eventually(lambda: guard.open_total == 0, within=5)


def test_a_websocket_must_authenticate_soon() -> None:
    with serve(ws_auth_timeout=1.0) as (url, _):
        ws_url = url.replace("http://", "ws://") + "/v1/text-to-speech/alloy/stream-input"
        started = time.monotonic()
        with ws_client.connect(ws_url) as connection:
            error = json.loads(connection.recv(timeout=10))
            with pytest.raises(ConnectionClosed) as closed:
                connection.recv(timeout=10)
        assert time.monotonic() - started < 5
        assert error["error"] == "input_timeout_exceeded"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def _queue_request(url: str) -> socket.socket:
    body = json.dumps(
        {"model": "tts-1", "voice": "alloy", "input": "Queued.", "response_format": "wav"}
    ).encode()
    head = (
        "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer other-key\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return _connect(url, source="127.0.0.1", data=head + body)


def test_queued_requests_whose_client_left_give_up_their_place() -> None:
    with serve(max_concurrent=1, max_queue=8, stream_send_timeout=30.0) as (url, _):
        stalled = _stalled_reader(url, key=KEY)  # holds the only slot
        queued = [_queue_request(url) for _ in range(6)]
        assert _eventually(lambda: _health(url)["queued"] == 6, within=5)
        for client in queued:
            client.close()
        assert _eventually(lambda: _health(url)["queued"] == 0, within=3)
        stalled.close()
        fresh = httpx.post(
            url + "/v1/audio/speech",
            headers=AUTH,
            json={"model": "tts-1", "voice": "alloy", "input": "Hi.", "response_format": "wav"},
            timeout=30,
        )
        assert fresh.status_code == 200


def test_forwarded_addresses_count_only_from_a_trusted_proxy() -> None:
    spoofed = [{"X-Forwarded-For": f"198.51.100.{i}"} for i in range(6)]
    with serve(requests_per_minute_per_ip=3) as (url, _):
        statuses = [
            httpx.get(url + "/v1/models", headers={**AUTH, **h}, timeout=5).status_code
            for h in spoofed
        ]
        assert 429 in statuses  # every request counted against 127.0.0.1
    with serve(requests_per_minute_per_ip=3, forwarded_allow_ips=("127.0.0.1",)) as (url, _):
        statuses = [
            httpx.get(url + "/v1/models", headers={**AUTH, **h}, timeout=5).status_code
            for h in spoofed
        ]
        assert statuses == [200] * 6  # six clients behind the proxy


def test_loop_errors_are_logged_once_per_kind(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.new_event_loop()
    try:
        quiet_loop_errors(loop, every=60)
        error = OSError(24, "Too many open files")
        with caplog.at_level(logging.ERROR, logger="tts_agents.server"):
            for _ in range(1000):
                loop.call_exception_handler(
                    {"message": "socket.accept() out of system resource", "exception": error}
                )
    finally:
        loop.close()
    lines = [r for r in caplog.records if "out of system resource" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert "Too many open files" in lines[0].getMessage()


def test_stream_input_spends_the_keys_speech_budget() -> None:
    with serve(cost_per_minute_per_key=40) as (url, _):
        ws_url = url.replace("http://", "ws://") + "/v1/text-to-speech/alloy/stream-input"
        with ws_client.connect(ws_url, additional_headers={"xi-api-key": KEY}) as connection:
            connection.send(json.dumps({"text": " "}))
            connection.send(json.dumps({"text": "Twenty-five characters. ", "flush": True}))
            assert json.loads(connection.recv(timeout=10))["audio"]
            connection.send(json.dumps({"text": "And twenty-five more now. ", "flush": True}))
            error = json.loads(connection.recv(timeout=10))
            with pytest.raises(ConnectionClosed) as closed:
                connection.recv(timeout=10)
        assert error["error"] == "rate_limit_exceeded"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        speech = httpx.post(
            url + "/v1/audio/speech",
            headers=AUTH,
            json={"model": "tts-1", "voice": "alloy", "input": "x" * 17, "response_format": "wav"},
        )
        assert speech.status_code == 429  # 24 + 17 > 40: one budget, whichever route it uses
