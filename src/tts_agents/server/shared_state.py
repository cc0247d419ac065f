"""State that replicas behind one load balancer must agree on: in this process, or in Redis.

Three kinds, each small:

- **marks**: names that hold for a while and can be set once (a used conversation-URL
  nonce, a signed-out browser session);
- **groups**: bounded sets whose members expire and are taken at most once (pending
  browser login tokens; past ``keep`` members the oldest go);
- **secrets**: random keys made on first use that sign cookies and URLs when none is
  configured.

:class:`MemoryStore` keeps them in this process (the default: one server, nothing else to
run). :class:`RedisStore` keeps them in Redis (``TTS_AGENTS_REDIS_URL``), so a token used on
one replica is refused by the others and a browser session works on all of them. The
rate-limit counters live in the same Redis, kept by the ``limits`` library (see
:mod:`tts_agents.server.limits`).

Both fail closed: when a mark cannot be kept (Redis unreachable, memory full) they raise
:class:`~tts_agents.errors.TTSUnavailableError` (HTTP 503) rather than forget one early.
Calls are synchronous, as are the cookie and token checks that use them; a Redis round trip
on the same network takes well under a millisecond, and a short socket timeout bounds a bad
one.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

from tts_agents.errors import MissingExtraError, TTSConfigError, TTSUnavailableError

if TYPE_CHECKING:
    import redis

MAX_MARKS = 100_000
PREFIX = "tts_agents:"
SECRET_CACHE_SECONDS = 10.0  # a Redis that lost its data ends old sessions within this
REDIS_TIMEOUT_SECONDS = 1.0


class SharedState(Protocol):
    """What the server keeps for all its replicas (see the module docstring)."""

    def mark(self, name: str, ttl: float) -> bool:
        """Set ``name`` for ``ttl`` seconds; False when it is already set (used before)."""

    def is_marked(self, name: str) -> bool:
        """True while ``name`` is set."""

    def add_member(self, group: str, member: str, *, ttl: float, keep: int) -> None:
        """Add ``member`` to ``group`` for ``ttl`` seconds; the group keeps its newest ``keep``."""

    def take_member(self, group: str, member: str) -> bool:
        """Remove ``member`` from ``group``; True only for the one caller that found it live."""

    def secret(self, name: str) -> bytes:
        """The 32 random bytes called ``name``, made on first use and the same for everyone."""


class MemoryStore:
    """Shared state for one process; at most ``max_marks`` live marks."""

    def __init__(
        self, *, max_marks: int = MAX_MARKS, clock: Callable[[], float] = time.time
    ) -> None:
        self._max_marks = max_marks
        self._clock = clock
        self._marks: dict[str, float] = {}  # name -> expiry
        self._groups: dict[str, dict[str, float]] = {}  # group -> member -> expiry, oldest first
        self._secrets: dict[str, bytes] = {}

    def mark(self, name: str, ttl: float) -> bool:
        """Set ``name`` for ``ttl`` seconds; False when it is already set."""
        now = self._clock()
        if self._marks.get(name, -math.inf) > now:
            return False
        if len(self._marks) >= self._max_marks:
            self._marks = {key: expiry for key, expiry in self._marks.items() if expiry > now}
            if len(self._marks) >= self._max_marks:
                raise TTSUnavailableError("too many single-use tokens in use; retry later")
        self._marks[name] = now + ttl
        return True

    def is_marked(self, name: str) -> bool:
        """True while ``name`` is set."""
        return self._marks.get(name, -math.inf) > self._clock()

    def add_member(self, group: str, member: str, *, ttl: float, keep: int) -> None:
        """Add ``member`` to ``group`` for ``ttl`` seconds, dropping the oldest past ``keep``."""
        members = self._groups.setdefault(group, {})
        members.pop(member, None)
        members[member] = self._clock() + ttl
        while len(members) > keep:
            del members[next(iter(members))]

    def take_member(self, group: str, member: str) -> bool:
        """Remove ``member``; True when it was there and had not expired."""
        expiry = self._groups.get(group, {}).pop(member, None)
        return expiry is not None and expiry > self._clock()

    def secret(self, name: str) -> bytes:
        """A random secret of this process."""
        return self._secrets.setdefault(name, secrets.token_bytes(32))


class RedisStore:
    """Shared state in Redis, under keys starting with ``tts_agents:``."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._secrets: dict[str, tuple[bytes, float]] = {}  # name -> (secret, fetched at)

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        """A store on the Redis at ``url`` (``redis://``, ``rediss://`` or ``unix://``)."""
        try:
            import redis
        except ImportError as exc:
            raise MissingExtraError("shared state in Redis", "redis") from exc
        try:
            client = redis.Redis.from_url(
                url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                health_check_interval=30,
            )
        except ValueError:  # the message would repeat the URL, which may hold a password
            raise TTSConfigError("the Redis URL is not valid") from None
        return cls(client)

    def ping(self) -> None:
        """Raise :class:`TTSConfigError` unless Redis answers (checked when the app is built)."""
        import redis

        try:
            self.client.ping()
        except redis.RedisError as exc:  # named by type: a message may repeat the URL
            raise TTSConfigError(f"cannot reach Redis: {type(exc).__name__}") from None

    def mark(self, name: str, ttl: float) -> bool:
        """Set ``name`` for ``ttl`` seconds (SET NX); False when it is already set."""
        with _unavailable_on_error():
            return bool(self.client.set(_key("mark", name), b"1", px=_ms(ttl), nx=True))

    def is_marked(self, name: str) -> bool:
        """True while ``name`` is set."""
        with _unavailable_on_error():
            return bool(self.client.exists(_key("mark", name)))

    def add_member(self, group: str, member: str, *, ttl: float, keep: int) -> None:
        """Add ``member`` (a sorted set scored by expiry), dropping expired and oldest ones."""
        key, now = _key("group", group), time.time()
        with _unavailable_on_error():
            pipe = self.client.pipeline(transaction=True)
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zadd(key, {member: now + ttl})
            pipe.zremrangebyrank(key, 0, -keep - 1)
            pipe.pexpire(key, _ms(ttl))
            pipe.execute()

    def take_member(self, group: str, member: str) -> bool:
        """Remove ``member`` atomically; True for the one caller whose ZREM removed it live."""
        key = _key("group", group)
        with _unavailable_on_error():
            pipe = self.client.pipeline(transaction=True)
            pipe.zscore(key, member)
            pipe.zrem(key, member)
            expiry, removed = pipe.execute()
        return bool(removed) and expiry is not None and float(expiry) > time.time()

    def secret(self, name: str) -> bytes:
        """The secret every replica reads from Redis (the first to ask makes it)."""
        cached = self._secrets.get(name)
        if cached is not None and time.monotonic() - cached[1] < SECRET_CACHE_SECONDS:
            return cached[0]
        key = _key("secret", name)
        with _unavailable_on_error():
            pipe = self.client.pipeline(transaction=True)
            pipe.set(key, secrets.token_bytes(32), nx=True)
            pipe.get(key)
            _, value = pipe.execute()
        self._secrets[name] = (bytes(value), time.monotonic())
        return bytes(value)


def open_shared_state(redis_url: str | None) -> SharedState:
    """A :class:`MemoryStore`, or with ``redis_url`` a :class:`RedisStore` that answered."""
    if redis_url is None:
        return MemoryStore()
    store = RedisStore.from_url(redis_url)
    store.ping()
    return store


def _key(kind: str, name: str) -> str:
    return f"{PREFIX}{kind}:{name}"


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    import redis

    try:
        yield
    except redis.RedisError as exc:
        raise TTSUnavailableError("shared state (Redis) unavailable; retry later") from exc
