"""Server settings: who may call, from where, and how much."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_agents.errors import TTSConfigError
from tts_agents.urls import is_loopback_host

KEYS_ENV = "TTS_AGENTS_API_KEYS"
KEYS_FILE_ENV = "TTS_AGENTS_API_KEYS_FILE"
# The name of an environment variable, not a secret.
CONVERSATION_SECRET_ENV = "TTS_AGENTS_CONVERSATION_SECRET"  # nosec B105


@dataclass(frozen=True)
class ServerSettings:
    """What the server accepts; frozen so a running app never changes under a request.

    ``api_keys`` empty with ``auth`` on means nobody gets in: :func:`resolve_keys` fills it.
    Rates are per minute; ``max_concurrent`` syntheses run at once and ``max_queue`` more
    may wait, beyond that requests get 503. ``synthesis_workers`` > 0 speaks requests for
    the local engine in that many worker processes, new requests first (0: in-process).
    Uploads to the transcription routes may hold ``max_upload_bytes`` and last
    ``max_audio_seconds``; ``transcription_workers`` processes run Whisper (0: a thread of
    the server process).
    """

    api_keys: tuple[str, ...] = ()
    auth: bool = True
    engine: str | None = None
    cors_origins: tuple[str, ...] = ()
    # Where generated URLs point (see server.public_url): a configured base, extra trusted
    # Host names, and the address the server is bound to.
    public_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    bind_host: str | None = None
    tls: bool = False
    max_body_bytes: int = 64 * 1024
    max_input_chars: int = 4096
    max_break_seconds: float = 60.0  # total SSML <break> time per request
    stream_send_timeout: float = 30.0  # a streaming client taking no bytes this long is dropped
    max_ws_message_bytes: int = 64 * 1024
    # Connections (see server.connections): a request's headers must arrive within
    # ``header_timeout`` and a WebSocket must authenticate within ``ws_auth_timeout``; one
    # client address may hold ``max_connections_per_ip`` connections, the process
    # ``max_connections`` (None: below its file limit). Client addresses come from
    # X-Forwarded-For only for peers in ``forwarded_allow_ips``.
    header_timeout: float = 10.0
    ws_auth_timeout: float = 10.0
    max_connections_per_ip: int = 64
    max_connections: int | None = None
    forwarded_allow_ips: tuple[str, ...] = ()
    # Shared state for replicas (rate limits, single-use tokens, browser sessions); None
    # keeps it in this process.
    redis_url: str | None = None
    requests_per_minute_per_key: int = 600
    requests_per_minute_per_ip: int = 600
    # Speech budgets per key a minute (see server.usage): input characters plus SSML break
    # seconds, charged up front; seconds of audio produced, counted after.
    cost_per_minute_per_key: int = 100_000
    audio_seconds_per_minute_per_key: int = 3_600
    max_concurrent: int = 4
    max_queue: int = 32
    max_streams_per_key: int = 16  # syntheses one key may hold or wait for at once
    retry_after_seconds: int = 1
    synthesis_workers: int = 0
    max_upload_bytes: int = 25 * 1024 * 1024  # OpenAI's own limit
    max_audio_seconds: float = 1800.0
    transcription_workers: int = 0
    # Voice agents (``/v1/convai``): loaded AgentConfigs, none means the route is off.
    agents: tuple[Any, ...] = ()
    conversation_secret: str | None = None  # signs conversation URLs; random when unset
    signed_url_ttl_seconds: float = 300.0
    max_conversations: int = 8


def keys_from_environment(keys_file: str | Path | None = None) -> tuple[str, ...]:
    """Keys from ``TTS_AGENTS_API_KEYS`` (comma-separated) and a keys file (one per line)."""
    keys = [key.strip() for key in os.environ.get(KEYS_ENV, "").split(",")]
    path = keys_file or os.environ.get(KEYS_FILE_ENV)
    if path:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise TTSConfigError(f"cannot read the API keys file: {exc.strerror}") from None
        keys += [line.strip() for line in lines if not line.lstrip().startswith("#")]
    return tuple(dict.fromkeys(key for key in keys if key))


def generate_key() -> str:
    """A fresh random API key."""
    return "tts-" + secrets.token_urlsafe(32)


def check_no_auth(host: str, auth: bool) -> None:
    """Refuse an open server anywhere but loopback."""
    if not auth and not is_loopback_host(host):
        raise TTSConfigError(f"--no-auth is only allowed on a loopback address, not {host!r}")
