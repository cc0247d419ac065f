"""Running the server with uvicorn (what ``tts-agents serve`` does)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import uvicorn

from tts_agents.errors import TTSConfigError
from tts_agents.server.app import create_app
from tts_agents.server.settings import (
    ServerSettings,
    check_no_auth,
    generate_key,
    keys_from_environment,
)


def build_settings(
    *,
    host: str,
    engine: str | None,
    cors_origins: Sequence[str],
    tls: bool,
    auth: bool,
    keys_file: str | None,
    announce_key: Callable[[str], None],
    workers: int | None = None,
) -> ServerSettings:
    """Settings for a server on ``host``; with no key configured one is made and announced.

    Never an open server by default: ``auth=False`` is refused off loopback. ``workers``
    synthesis processes serve the offline engine (None: one per core, at most 4); since
    they serve new requests first, many requests may be in flight at once.
    """
    check_no_auth(host, auth)
    keys = keys_from_environment(keys_file) if auth else ()
    if auth and not keys:
        key = generate_key()
        announce_key(key)
        keys = (key,)
    for origin in cors_origins:
        if origin == "*" or not origin.startswith(("http://", "https://")):
            raise TTSConfigError(
                f"--cors-origin must be a full origin like https://host, not {origin!r}"
            )
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if engine in (None, "espeak") else 0
    pooled = {"max_concurrent": 64, "max_queue": 256} if workers else {}
    return ServerSettings(
        synthesis_workers=workers,
        **pooled,
        api_keys=keys, auth=auth, engine=engine, cors_origins=tuple(cors_origins), tls=tls
    )


def serve(
    settings: ServerSettings,
    *,
    host: str,
    port: int,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> None:
    """Serve until interrupted."""
    check_tls_files(ssl_certfile, ssl_keyfile)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        server_header=False,
        ws_max_size=settings.max_ws_message_bytes,
        log_level="info",
    )


def check_tls_files(certfile: str | None, keyfile: str | None) -> None:
    """Both TLS files or neither, and both readable."""
    if bool(certfile) != bool(keyfile):
        raise TTSConfigError("--ssl-certfile and --ssl-keyfile go together")
    for path in (certfile, keyfile):
        if path and not Path(path).is_file():
            raise TTSConfigError(f"TLS file not found: {Path(path).name}")
