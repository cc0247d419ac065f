"""The server's own address, for the URLs it hands out (signed conversation URLs, login links).

A client's ``Host`` header is not to be trusted: echoed into a URL, it points a user at
someone else's server. URLs are built from ``--public-url`` when it is set; otherwise from
the Host header only when it names a loopback name, the address the server is bound to, or
one of ``--allowed-host``; anything else is refused with 400.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from tts_agents.errors import TTSConfigError
from tts_agents.server.errors import ApiProblem
from tts_agents.server.settings import ServerSettings
from tts_agents.urls import is_loopback_host

_ANY = frozenset({"0.0.0.0", "::", ""})  # nosec B104 - compared against, never bound


def check_public_url(url: str) -> str:
    """``url`` as a base (scheme and host, no trailing slash); raises for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise TTSConfigError(f"--public-url must look like https://host[:port], not {url!r}")
    return url.rstrip("/")


def public_base(request: Request) -> str:
    """``scheme://host[:port]`` for URLs given to this caller (400 for an untrusted Host)."""
    settings: ServerSettings = request.app.state.settings
    if settings.public_url:
        return settings.public_url
    host = (request.url.hostname or "").lower()
    trusted = set(settings.allowed_hosts)
    if settings.bind_host and settings.bind_host not in _ANY:
        trusted.add(settings.bind_host.lower())
    if not (is_loopback_host(host) or host in trusted):
        raise ApiProblem(
            400,
            "the Host header names no address of this server; set --public-url or "
            "--allowed-host",
            code="untrusted_host",
        )
    return f"{request.url.scheme}://{request.url.netloc}"
