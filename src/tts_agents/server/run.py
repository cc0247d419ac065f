"""Running the server with uvicorn (what ``tts-agents serve`` does)."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from tts_agents.engines import LOCAL_ENGINES
from tts_agents.errors import TTSAgentError, TTSConfigError
from tts_agents.server.app import create_app
from tts_agents.server.connections import uvicorn_options
from tts_agents.server.public_url import check_public_url
from tts_agents.server.records_hub import check_records_config
from tts_agents.server.settings import (
    CONVERSATION_SECRET_ENV,
    ServerSettings,
    check_no_auth,
    generate_key,
    keys_from_environment,
)
from tts_agents.server.web_routes import browser_url


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
    stt_workers: int = 1,
    agent_files: Sequence[str] = (),
    public_url: str | None = None,
    allowed_hosts: Sequence[str] = (),
    redis_url: str | None = None,
    requests_per_minute_per_key: int | None = None,
    cost_per_minute_per_key: int | None = None,
    audio_seconds_per_minute_per_key: int | None = None,
    forwarded_allow_ips: Sequence[str] = (),
    max_connections_per_ip: int = 64,
) -> ServerSettings:
    """Settings for a server on ``host``; with no key configured one is made and announced.

    Never an open server by default: ``auth=False`` is refused off loopback. ``workers``
    synthesis processes serve the offline engine (None: one per core, at most 4); since
    they serve new requests first, many requests may be in flight at once. Agents are
    loaded (and checked) here, so a bad agent file stops the server before it starts.
    ``stt_workers`` processes transcribe uploads (0: a thread of the server process).
    URLs the server hands out use ``public_url``, or a Host header naming ``host``, a
    loopback name or one of ``allowed_hosts``. With ``redis_url``, rate limits, single-use
    tokens and browser sessions live in Redis, shared by every replica using it. The
    per-key budgets left as None keep their defaults (see :class:`ServerSettings`).
    ``forwarded_allow_ips`` are proxies whose X-Forwarded-For names the client.
    """
    check_no_auth(host, auth)
    keys = keys_from_environment(keys_file) if auth else ()
    for origin in cors_origins:
        if origin == "*" or not origin.startswith(("http://", "https://")):
            raise TTSConfigError(
                f"--cors-origin must be a full origin like https://host, not {origin!r}"
            )
    secret = os.environ.get(CONVERSATION_SECRET_ENV) or None
    if secret is not None and len(secret) < 32:
        raise TTSConfigError(f"{CONVERSATION_SECRET_ENV} must be at least 32 characters")
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if engine in (None, *LOCAL_ENGINES) else 0
    pooled = {"max_concurrent": 64, "max_queue": 256} if workers else {}
    agents = load_agents(agent_files)
    check_records_config(agents)  # before any key or link is printed
    base_url = check_public_url(public_url) if public_url else None
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise TTSConfigError("the Redis URL must start with redis://, rediss:// or unix://")
    budgets = {
        name: value
        for name, value in (
            ("requests_per_minute_per_key", requests_per_minute_per_key),
            ("cost_per_minute_per_key", cost_per_minute_per_key),
            ("audio_seconds_per_minute_per_key", audio_seconds_per_minute_per_key),
        )
        if value is not None
    }
    proxies = tuple(_ip_address(address) for address in forwarded_allow_ips)
    if auth and not keys:  # last: a server that will not start announces no key
        key = generate_key()
        announce_key(key)
        keys = (key,)
    return ServerSettings(
        synthesis_workers=workers,
        transcription_workers=stt_workers,
        public_url=base_url,
        allowed_hosts=tuple(name.lower() for name in allowed_hosts),
        bind_host=host,
        **pooled,
        api_keys=keys,
        auth=auth,
        engine=engine,
        cors_origins=tuple(cors_origins),
        tls=tls,
        agents=agents,
        conversation_secret=secret,
        redis_url=redis_url,
        forwarded_allow_ips=proxies,
        max_connections_per_ip=max_connections_per_ip,
        **budgets,
    )


def _ip_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise TTSConfigError(f"--forwarded-allow-ips takes IP addresses, not {text!r}") from None


def load_agents(paths: Sequence[str]) -> tuple[Any, ...]:
    """The built-in help-desk agent plus the agents in ``paths``, all checked.

    A file whose id is ``help-desk`` replaces the built-in one; ids must be unique.
    """
    from tts_agents.agent.config import default_agent_path, load_agent

    agents = {}
    for path in paths:
        agent = load_agent(path)
        if agent.id in agents:
            raise TTSConfigError(f"{path}: agent id {agent.id!r} is used by two --agent files")
        agents[agent.id] = agent
    default = load_agent(default_agent_path())
    return (*([] if default.id in agents else [default]), *agents.values())


def serve(
    settings: ServerSettings,
    *,
    host: str,
    port: int,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    announce_url: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted; ``announce_url`` gets the browser app's sign-in URL."""
    check_tls_files(ssl_certfile, ssl_keyfile)
    app = create_app(settings)
    if announce_url is not None:
        announce_url(browser_url(app, host=host, port=port, tls=ssl_certfile is not None))
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        server_header=False,
        ws_max_size=settings.max_ws_message_bytes,
        log_level="info",
        **uvicorn_options(app.state.connections),
    )


def check_port_free(host: str, port: int) -> None:
    """Fail now, in one line, if the server could not listen on ``host``:``port``.

    Called before anything is set up or printed: otherwise a key is generated and a
    sign-in link announced for a server that never starts. Exit code 1, like a failed write.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn decides
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # uvicorn reuses addresses too: a port whose old connections linger is free for it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise TTSAgentError(_bind_problem(exc, host, port)) from None


def _bind_problem(exc: OSError, host: str, port: int) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} on {host} is in use"
    if exc.errno == errno.EACCES:
        return f"port {port} on {host} needs more privileges (use a port above 1023)"
    reason = exc.strerror or type(exc).__name__
    return f"cannot listen on port {port} on {host}: {reason}"


def check_tls_files(certfile: str | None, keyfile: str | None) -> None:
    """Both TLS files or neither, and both readable."""
    if bool(certfile) != bool(keyfile):
        raise TTSConfigError("--ssl-certfile and --ssl-keyfile go together")
    for path in (certfile, keyfile):
        if path and not Path(path).is_file():
            raise TTSConfigError(f"TLS file not found: {Path(path).name}")
