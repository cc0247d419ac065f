"""The base-URL policy for providers: HTTPS, except on this machine.

A key sent over plain HTTP can be read by anyone on the path, so a provider's base URL must
be ``https://`` unless its host is loopback (``localhost``, ``127.0.0.0/8``, ``::1``) or the
caller opts out explicitly with ``allow_insecure_http``. Credentials inside the URL are
refused: they would end up in logs. Stdlib only, so :mod:`tts_agents.config` can use it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, urlsplit


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` (and ``*.localhost``), ``127.0.0.0/8`` and ``::1``."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def base_url_problem(url: str, *, allow_insecure_http: bool = False) -> str | None:
    """Why ``url`` may not be used as a provider base URL, or None when it may.

    The message names the host but never the whole URL, which could carry a secret.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not host:
        return "must be an http(s) URL with a host, like https://api.example.com/v1"
    if parts.username or parts.password:
        return "must not contain credentials; pass the API key in the key setting instead"
    if parts.query or parts.fragment:
        return "must not contain a query or fragment"
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback_host(host):
        return (
            f"HTTPS is required for {host!r}: plain http:// is only allowed for localhost, "
            "127.0.0.0/8 and ::1 (set allow_insecure_http=True to override)"
        )
    return None


def normalize_base_url(url: str) -> str:
    """``url`` without surrounding spaces or a trailing slash."""
    parts: SplitResult = urlsplit(url.strip())
    return parts._replace(path=parts.path.rstrip("/")).geturl()


__all__ = ["base_url_problem", "is_loopback_host", "normalize_base_url"]
