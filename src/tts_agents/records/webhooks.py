"""Post-call webhooks: signed events sent in the background, never holding up a conversation.

An agent lists its webhooks in its file (:class:`WebhookSettings`)::

    webhooks:
      - url: https://hooks.example.com/elevenlabs
        events: [post_call_transcription, call_initiation_failure]
        secret_env: SUPPORT_WEBHOOK_SECRET

:class:`WebhookSender` queues each event (made by
:func:`tts_agents.records.shapes.webhook_payload`) and a worker per URL delivers it. Each
request is signed the way ElevenLabs signs its own, so the receiver's ElevenLabs code (the
SDK's ``webhooks.construct_event``) verifies it:
``ElevenLabs-Signature: t=<unix secs>,v0=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

Because the server makes these requests, the target is fenced in: HTTPS (plain HTTP only to
loopback), no credentials in the URL, redirects refused, and unless its host is in
``allow_hosts`` every address the host resolves to must be public, and the request goes to
the address that was checked (so DNS cannot change it in between). 5xx, 408, 429, timeouts
and connection errors are retried with exponential backoff and jitter, within a bounded
number of attempts and time; other 4xx are final. After ``disable_after`` failed deliveries
in a row a webhook is switched off until the process restarts. Logs name the host only,
never the secret, the body or the full URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tts_agents.engines.resilience import RetryPolicy, parse_retry_after
from tts_agents.errors import TTSConfigError
from tts_agents.redact import get_logger, register_secret
from tts_agents.urls import base_url_problem

logger = get_logger("tts_agents.records.webhooks")

WebhookEvent = Literal["post_call_transcription", "call_initiation_failure"]
Resolver = Callable[[str, int], Awaitable[list[str]]]
Sleep = Callable[[float], Awaitable[None]]

#: The header ElevenLabs signs its webhooks with.
SIGNATURE_HEADER = "ElevenLabs-Signature"
#: ElevenLabs refuses shorter HMAC secrets; so do we.
MIN_SECRET_LENGTH = 16
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_RETRY_STATUSES = frozenset({408, 429})


class WebhookSettings(BaseModel):
    """One post-call webhook of an agent: where to, which events, how it is signed.

    ``secret_env`` names the environment variable that holds the signing secret (never the
    secret itself). ``allow_hosts`` lists hosts that may resolve to private, loopback or
    link-local addresses (an internal service, or ``127.0.0.1`` in tests).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    events: tuple[WebhookEvent, ...] = Field(
        default=("post_call_transcription", "call_initiation_failure"), min_length=1
    )
    secret_env: str
    allow_hosts: tuple[str, ...] = ()

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        problem = base_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value.strip()

    @field_validator("events")
    @classmethod
    def _events(cls, value: tuple[WebhookEvent, ...]) -> tuple[WebhookEvent, ...]:
        return tuple(dict.fromkeys(value))

    @field_validator("secret_env")
    @classmethod
    def _secret_env(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            # Never echo the value: someone may have pasted the secret itself here.
            raise ValueError(
                "must be the NAME of an environment variable that holds the secret "
                "(like SUPPORT_WEBHOOK_SECRET), never the secret itself"
            )
        return value

    @field_validator("allow_hosts")
    @classmethod
    def _allow_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_host_key(host) for host in value)

    @model_validator(mode="after")
    def _literal_address(self) -> WebhookSettings:
        if self.host not in self.allow_hosts:
            problem = address_problem([self.host])
            if problem:
                raise ValueError(f"{problem}; add {self.host!r} to allow_hosts to allow it")
        return self

    @property
    def host(self) -> str:
        """The URL's host name, lower case (what logs and ``allow_hosts`` use)."""
        return _host_key(urlsplit(self.url).hostname or "")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How hard to try: attempts and backoff, time limits, and when to give up on a URL.

    ``retry.max_retries`` retries follow the first attempt; a delivery stops retrying once
    ``max_total_s`` would pass. ``max_pending`` events wait per URL; more are dropped.
    """

    retry: RetryPolicy = RetryPolicy(
        max_retries=4, base_delay=0.5, max_delay=8.0, max_retry_after=30.0
    )
    timeout_s: float = 10.0
    max_total_s: float = 60.0
    disable_after: int = 10
    max_pending: int = 100


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``ElevenLabs-Signature`` value for ``body`` sent at ``timestamp`` (unix secs)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v0={digest.hexdigest()}"


def address_problem(addresses: Iterable[str]) -> str | None:
    """Why a host with these addresses may not be called, or None when all are public.

    Private, loopback, link-local, shared (CGNAT), reserved, multicast and unspecified
    addresses are refused, IPv4 ones inside IPv6 too. Names that are not IP addresses
    are skipped (resolve them first).
    """
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.strip("[]").split("%")[0])
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return f"{address} is not a public address"
    return None


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, as text (the event loop's resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class WebhookSender:
    """Delivers webhook events in the background, one worker per URL.

    Call :meth:`send` from the event loop: it only queues the event and returns. Call
    :meth:`aclose` at shutdown to let queued events go out (within a timeout). Secrets are
    read from the environment when the sender is made; a missing or short one is a
    :class:`~tts_agents.errors.TTSConfigError`. The ``httpx.AsyncClient`` is shared by
    every URL; one is made (and closed) here when none is given.
    """

    def __init__(
        self,
        webhooks: Iterable[WebhookSettings],
        *,
        client: httpx.AsyncClient | None = None,
        environ: Mapping[str, str] | None = None,
        policy: DeliveryPolicy | None = None,
        resolve: Resolver = resolve_host,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        env = os.environ if environ is None else environ
        self.policy = policy or DeliveryPolicy()
        self._targets = [_Target(settings, read_secret(settings, env)) for settings in webhooks]
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(self.policy.timeout_s), follow_redirects=False
        )
        self._resolve, self._sleep = resolve, sleep
        self._clock, self._monotonic = clock, monotonic
        self._closed = False

    def send(self, payload: Mapping[str, Any]) -> None:
        """Queue ``payload`` (``{"type": ..., ...}``) for each webhook subscribed to its type."""
        if self._closed:
            raise RuntimeError("the webhook sender is closed")
        kind = payload.get("type")
        targets = [t for t in self._targets if kind in t.settings.events and not t.disabled]
        if not targets:
            return
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        for target in targets:
            self._enqueue(target, body)

    def enabled(self, url: str) -> bool:
        """Whether the webhook to ``url`` is still on (not disabled by failures)."""
        return any(t.settings.url == url and not t.disabled for t in self._targets)

    async def aclose(self, timeout: float = 10.0) -> None:
        """Deliver what is queued, for at most ``timeout`` seconds, then stop (idempotent)."""
        if self._closed:
            return
        self._closed = True
        running = [t for t in self._targets if t.worker is not None]
        try:
            await asyncio.wait_for(
                asyncio.gather(*(t.queue.join() for t in running)), max(0.0, timeout)
            )
        except asyncio.TimeoutError:
            left = sum(t.queue.qsize() + t.busy for t in running)
            logger.warning("webhooks: %d event(s) not delivered before shutdown", left)
        workers = [t.worker for t in running if t.worker is not None]
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if self._owns_client:
            await self._client.aclose()

    def _enqueue(self, target: _Target, body: bytes) -> None:
        loop = asyncio.get_running_loop()  # outside the event loop this raises, queueing nothing
        if target.queue.qsize() >= self.policy.max_pending:
            logger.warning(
                "webhook to %s: %d events waiting, one dropped", target.host, target.queue.qsize()
            )
            return
        target.queue.put_nowait(body)
        if target.worker is None:
            target.worker = loop.create_task(self._work(target))

    async def _work(self, target: _Target) -> None:
        while True:
            body = await target.queue.get()
            target.busy = 1
            try:
                if not target.disabled:
                    self._record(target, await self._deliver(target, body))
            except Exception:  # a bug here must not kill the worker and strand the queue
                logger.exception("webhook to %s: delivery failed unexpectedly", target.host)
                self._record(target, False)
            finally:
                target.busy = 0
                target.queue.task_done()

    def _record(self, target: _Target, delivered: bool) -> None:
        target.failures = 0 if delivered else target.failures + 1
        if not delivered and target.failures >= self.policy.disable_after:
            target.disabled = True
            logger.error(
                "webhook to %s disabled after %d failed deliveries in a row (until restart)",
                target.host,
                target.failures,
            )
            while not target.queue.empty():  # what waits would only fail too
                target.queue.get_nowait()
                target.queue.task_done()

    async def _deliver(self, target: _Target, body: bytes) -> bool:
        route = await self._route(target)
        if route is None:
            return False
        started = self._monotonic()
        retry = 0
        while True:
            outcome = await self._attempt(target, route, body)
            if outcome.delivered or not outcome.retryable:
                return outcome.delivered
            delay = self.policy.retry.delay(retry, outcome.retry_after)
            if delay is None or self._monotonic() - started + delay > self.policy.max_total_s:
                logger.warning("webhook to %s: giving up after %d attempts", target.host, retry + 1)
                return False
            await self._sleep(delay)
            retry += 1

    async def _route(self, target: _Target) -> _Route | None:
        """Where to connect: the URL itself if its host is allowed, else a checked address."""
        url = httpx.URL(target.settings.url)
        if target.host in target.settings.allow_hosts:
            return _Route(url)
        try:
            addresses = await self._resolve(target.host, url.port or _default_port(url))
        except OSError as exc:
            logger.warning(
                "webhook to %s: cannot resolve the host (%s)", target.host, type(exc).__name__
            )
            return None
        problem = address_problem(addresses) if addresses else "the host has no address"
        if problem:
            logger.warning("webhook to %s refused: %s", target.host, problem)
            return None
        # Connect to the address just checked; Host and TLS SNI keep the name.
        pinned = url.copy_with(host=addresses[0])
        return _Route(pinned, url.netloc.decode("ascii"), target.host)

    async def _attempt(self, target: _Target, route: _Route, body: bytes) -> _Outcome:
        headers = {
            "content-type": "application/json",
            "user-agent": "tts-agents-webhooks",
            SIGNATURE_HEADER: sign(target.secret, body, int(self._clock())),
        }
        if route.host_header:
            headers["host"] = route.host_header
        extensions = {"sni_hostname": route.sni} if route.sni else None
        try:
            request = self._client.build_request(
                "POST",
                route.url,
                content=body,
                headers=headers,
                timeout=httpx.Timeout(self.policy.timeout_s),
                extensions=extensions,
            )
            # The body of the answer is never read: only the status matters.
            response = await self._client.send(request, stream=True, follow_redirects=False)
            await response.aclose()
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            return _failed(target, type(exc).__name__, retryable=True)
        except httpx.HTTPError as exc:
            return _failed(target, type(exc).__name__, retryable=False)
        status = response.status_code
        if status < 300:
            return _Outcome(delivered=True)
        retryable = status >= 500 or status in _RETRY_STATUSES
        outcome = _failed(target, f"HTTP {status}", retryable=retryable)
        if retryable:
            return replace(outcome, retry_after=parse_retry_after(dict(response.headers)))
        return outcome


@dataclass(eq=False)
class _Target:
    settings: WebhookSettings
    secret: str
    queue: asyncio.Queue[bytes] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None
    failures: int = 0
    busy: int = 0
    disabled: bool = False

    @property
    def host(self) -> str:
        return self.settings.host


@dataclass(frozen=True, slots=True)
class _Route:
    url: httpx.URL
    host_header: str | None = None
    sni: str | None = None


@dataclass(frozen=True, slots=True)
class _Outcome:
    delivered: bool = False
    retryable: bool = False
    retry_after: float | None = None


def _failed(target: _Target, what: str, *, retryable: bool) -> _Outcome:
    # A failure that will be retried is routine; the give-up is logged as a warning.
    level = logging.INFO if retryable else logging.WARNING
    logger.log(level, "webhook to %s: %s", target.host, what)
    return _Outcome(retryable=retryable)


def read_secret(settings: WebhookSettings, environ: Mapping[str, str]) -> str:
    """The webhook's signing secret from the environment, or a one-line config error."""
    secret = environ.get(settings.secret_env, "")
    if len(secret) < MIN_SECRET_LENGTH:
        state = "is not set" if not secret else f"is shorter than {MIN_SECRET_LENGTH} characters"
        raise TTSConfigError(
            f"webhook to {settings.host}: the environment variable {settings.secret_env} "
            f"{state}; it must hold the signing secret"
        )
    register_secret(secret)
    return secret


def _host_key(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


__all__ = [
    "MIN_SECRET_LENGTH",
    "SIGNATURE_HEADER",
    "DeliveryPolicy",
    "Resolver",
    "WebhookEvent",
    "WebhookSender",
    "WebhookSettings",
    "address_problem",
    "read_secret",
    "resolve_host",
    "sign",
]
