"""HTTP for cloud engines: one pooled httpx client per engine, wrapped in resilience.

:class:`ProviderHTTP` is all a cloud engine needs: it enforces the HTTPS policy, holds the
key only inside request headers, and sends each request through the provider's shared
rate limiter and circuit breaker, retrying what is worth retrying. An attempt lasts until
the first body bytes arrive, so a slow first byte or a connection reset before any audio is
retried; once bytes are flowing a failure is raised to the caller (audio cannot be spliced).

Timeouts come from ``TTSConfig.timeout``: connect (at most 10 s), read (between bytes) and
total (an attempt must deliver its first bytes within ``timeout``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

import httpx

from tts_agents.config import TTSConfig
from tts_agents.engines.http_errors import (
    content_type_problem,
    error_for_status,
    mapped_errors,
)
from tts_agents.engines.resilience import (
    CircuitBreaker,
    ProviderGuard,
    RateLimiter,
    RetryPolicy,
    parse_retry_after,
    provider_guard,
)
from tts_agents.errors import (
    TTSAPIError,
    TTSConfigError,
    TTSTimeoutError,
    TTSUnavailableError,
)
from tts_agents.redact import get_logger
from tts_agents.urls import base_url_problem, normalize_base_url

logger = get_logger(__name__)


def _version() -> str:
    try:
        return metadata.version("tts-agents")
    except metadata.PackageNotFoundError:
        return "dev"


USER_AGENT = f"tts-agents/{_version()}"
_MAX_CONNECT_TIMEOUT = 10.0
_MAX_ERROR_BODY = 8192
_MAX_JSON_BODY = 32 * 1024 * 1024
_ACCEPT = {"audio": "application/octet-stream", "json": "application/json"}


def build_timeout(seconds: float) -> httpx.Timeout:
    """Timeouts for httpx from one setting: read/write/pool ``seconds``, connect capped at 10 s."""
    return httpx.Timeout(seconds, connect=min(seconds, _MAX_CONNECT_TIMEOUT))


def create_client(config: TTSConfig) -> httpx.AsyncClient:
    """A pooled async client sized for ``config`` that never follows redirects.

    Redirects stay off so a provider (or anyone in between) cannot bounce a request, and
    its key, to another host or to plain HTTP.
    """
    connections = max(config.max_concurrent_requests, 1)
    return httpx.AsyncClient(
        timeout=build_timeout(config.timeout),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        follow_redirects=False,
    )


def checked_base_url(provider: str, url: str, config: TTSConfig) -> str:
    """``url`` normalized, or a config error if it breaks the HTTPS policy."""
    problem = base_url_problem(url, allow_insecure_http=config.allow_insecure_http)
    if problem:
        raise TTSConfigError(f"{provider} base URL {problem}")
    return normalize_base_url(url)


class _AttemptFailed(Exception):
    """One attempt failed with ``error``; ``retry_after`` is the provider's wish, if any."""

    def __init__(self, error: TTSAPIError, retry_after: float | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


@dataclass
class _Opened:
    """A response whose first bytes arrived; closing it frees the connection and slot."""

    stack: AsyncExitStack
    first: bytes
    rest: AsyncIterator[bytes]


class ProviderHTTP:
    """Requests to one provider with retries, rate limits, a circuit breaker, error mapping.

    ``headers`` carry the key and are sent with every request; they are never logged or put
    in an error. Pass ``client`` to share or replace the transport (it is then not closed
    here); otherwise a pooled client is made on first use and closed by :meth:`aclose`.
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        config: TTSConfig,
        *,
        headers: Mapping[str, str],
        key_hint: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.provider = provider
        self.base_url = checked_base_url(provider, base_url, config)
        self.policy = RetryPolicy(
            max_retries=config.max_retries, base_delay=config.retry_base_delay
        )
        self._config = config
        self._headers = dict(headers)
        self._key_hint = key_hint
        self._client = client
        self._owns_client = client is None
        origin = urlsplit(self.base_url)
        self._guard_key = f"{provider} {origin.scheme}://{origin.netloc}"

    @property
    def guard(self) -> ProviderGuard:
        """The rate limiter and circuit breaker shared by every request to this provider."""
        return provider_guard(self._guard_key, self._new_guard)

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker of this provider (needs a running event loop)."""
        return self.guard.breaker

    def _new_guard(self) -> ProviderGuard:
        config = self._config
        limiter = None
        if config.enable_rate_limiting:
            limiter = RateLimiter(
                min_interval=config.rate_limit_delay,
                max_concurrent=config.max_concurrent_requests,
                per_minute=config.requests_per_minute,
            )
        breaker = CircuitBreaker(
            failure_threshold=config.circuit_failure_threshold,
            reset_timeout=config.circuit_reset_timeout,
        )
        return ProviderGuard(limiter, breaker)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        path: str,
        *,
        expect: str = "audio",
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[AsyncIterator[bytes]]:
        """Send a request (retrying as needed) and iterate its body as it arrives.

        ``expect`` ("audio" or "json") is checked against the answer's Content-Type.
        """
        opened = await self._open(method, path, expect, json, params)
        body = self._body(opened)
        try:
            yield body
        finally:
            await body.aclose()
            await opened.stack.aclose()

    async def json(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """Send a request and parse its JSON answer."""
        data = bytearray()
        async with self.stream(method, path, expect="json", json=json, params=params) as body:
            async for chunk in body:
                data += chunk
                if len(data) > _MAX_JSON_BODY:
                    raise TTSAPIError(f"{self.provider}: the response was too large")
        return parse_json(self.provider, bytes(data))

    async def aclose(self) -> None:
        """Close the pooled client if this object made it; calling twice is harmless."""
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def _open(
        self, method: str, path: str, expect: str, body: Any, params: Mapping[str, str] | None
    ) -> _Opened:
        retry = 0
        while True:
            request = self._http().build_request(
                method,
                self.base_url + path,
                json=body,
                params=params,
                headers=self._headers_for(expect),
            )
            try:
                return await self._guarded_attempt(request, expect, retry + 1)
            except _AttemptFailed as failed:
                error = failed.error
                delay = self.policy.delay(retry, failed.retry_after) if error.retryable else None
                if delay is None:
                    raise error from failed.__cause__
                retry += 1
                logger.warning(
                    "%s; retry %d of %d in %.2f s",
                    error.message,
                    retry,
                    self.policy.max_retries,
                    delay,
                )
                await asyncio.sleep(delay)

    async def _guarded_attempt(self, request: httpx.Request, expect: str, number: int) -> _Opened:
        breaker = self.breaker
        wait = breaker.acquire()
        if wait is not None:
            raise TTSUnavailableError(
                f"{self.provider}: not called for {wait:.1f} s more after "
                f"{breaker.failures} failures in a row (circuit open)"
            )
        try:
            opened = await self._attempt(request, expect, number)
        except _AttemptFailed as failed:
            _judge(breaker, failed.error)
            raise
        except BaseException:
            breaker.abandon()
            raise
        breaker.record_success()
        return opened

    async def _attempt(self, request: httpx.Request, expect: str, number: int) -> _Opened:
        stack = AsyncExitStack()
        try:
            limiter = self.guard.limiter
            if limiter is not None:
                await stack.enter_async_context(limiter.slot())
            logger.debug(
                "%s: %s %s (attempt %d)",
                self.provider,
                request.method,
                request.url.path,
                number,
            )
            return await asyncio.wait_for(self._send(request, expect, stack), self._config.timeout)
        except asyncio.TimeoutError as exc:
            await stack.aclose()
            error = TTSTimeoutError(f"{self.provider}: no answer within {self._config.timeout:g} s")
            raise _AttemptFailed(error) from exc
        except BaseException:
            await stack.aclose()
            raise

    async def _send(self, request: httpx.Request, expect: str, stack: AsyncExitStack) -> _Opened:
        try:
            with mapped_errors(self.provider, f"{request.method} {request.url.path}"):
                response = await self._http().send(request, stream=True)
                stack.push_async_callback(response.aclose)
                await self._check(response, expect)
                rest = response.aiter_bytes()
                first = await anext(rest, b"")
        except TTSAPIError as error:
            raise _AttemptFailed(error) from error.__cause__
        if not first:
            raise _AttemptFailed(TTSAPIError(f"{self.provider}: the response was empty"))
        return _Opened(stack, first, rest)

    async def _check(self, response: httpx.Response, expect: str) -> None:
        status = response.status_code
        if status >= 300:
            body = await _read_some(response, _MAX_ERROR_BODY)
            headers = {key.lower(): value for key, value in response.headers.items()}
            retry_after = parse_retry_after(headers)
            error = error_for_status(
                self.provider, status, body, retry_after=retry_after, key_hint=self._key_hint
            )
            raise _AttemptFailed(error, retry_after)
        problem = content_type_problem(expect, response.headers.get("content-type", ""))
        if problem:
            raise _AttemptFailed(TTSAPIError(f"{self.provider}: {problem}", status_code=status))

    async def _body(self, opened: _Opened) -> AsyncGenerator[bytes, None]:
        yield opened.first
        try:
            with mapped_errors(self.provider, "reading the response"):
                async for data in opened.rest:
                    yield data
        except (TTSTimeoutError, TTSUnavailableError):
            self.breaker.record_failure()
            raise

    def _headers_for(self, expect: str) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, **self._headers, "Accept": _ACCEPT[expect]}

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = create_client(self._config)
            self._owns_client = True
        return self._client


def _judge(breaker: CircuitBreaker, error: TTSAPIError) -> None:
    """Server-side failures count against the circuit; any other answer proves it is up."""
    if isinstance(error, TTSTimeoutError | TTSUnavailableError):
        breaker.record_failure()
    else:
        breaker.record_success()


async def _read_some(response: httpx.Response, limit: int) -> bytes:
    data = bytearray()
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= limit:
            break
    return bytes(data[:limit])


def parse_json(provider: str, data: bytes) -> Any:
    """``data`` parsed as JSON, or an error that does not echo it."""
    try:
        return json.loads(data)
    except ValueError as exc:
        raise TTSAPIError(f"{provider}: the response was not valid JSON") from exc


__all__ = [
    "USER_AGENT",
    "ProviderHTTP",
    "build_timeout",
    "checked_base_url",
    "create_client",
    "parse_json",
]
