"""A server for the benches, in its own process so the load generator has its own GIL."""

from __future__ import annotations

import multiprocessing
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from tts_agents.server import ServerSettings, create_app
from tts_agents.server.connections import uvicorn_options


def _serve(settings: ServerSettings, port: int) -> None:
    # The connection guard's protocols, as `tts-agents serve` runs the app.
    app = create_app(settings)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws_max_size=settings.max_ws_message_bytes,
        **uvicorn_options(app.state.connections),
    )


@contextmanager
def server_process(settings: ServerSettings) -> Iterator[str]:
    """Serve ``settings`` on a free loopback port; yield the base URL once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(settings, port))
    server.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/health")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or not server.is_alive():
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.join(10)
