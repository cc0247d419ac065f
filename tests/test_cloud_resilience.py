"""The pure parts of resilience: retry timing, Retry-After, rate limits, circuit breaker,
error summaries, the httpx error map, and the redacting log filter."""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import time

import httpx
import pytest

from tts_agents.engines.http_errors import (
    content_type_problem,
    error_for_status,
    summarize_error_body,
    translate,
)
from tts_agents.engines.pcm import PcmFramer
from tts_agents.engines.resilience import (
    CircuitBreaker,
    RateLimiter,
    RetryPolicy,
    parse_retry_after,
)
from tts_agents.errors import (
    TTSAgentError,
    TTSAPIError,
    TTSRateLimitError,
    TTSTimeoutError,
    TTSUnavailableError,
)
from tts_agents.redact import REDACTED, get_logger, redact, register_secret


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(max_retries=5, base_delay=0.5, max_delay=4.0)
    for retry, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 4.0)]:
        delays = [policy.delay(retry) for _ in range(200)]
        assert all(d is not None and 0.0 <= d <= cap for d in delays)
        assert max(d for d in delays if d is not None) > cap / 2  # spread, not a constant
    assert policy.delay(5) is None


def test_retry_after_is_honoured_exactly_unless_too_long() -> None:
    policy = RetryPolicy(max_retries=3, max_retry_after=60)
    assert policy.delay(0, retry_after=1.0) == 1.0
    assert policy.delay(0, retry_after=120.0) is None
    assert policy.delay(3, retry_after=1.0) is None
    assert RetryPolicy(max_retries=0).delay(0) is None


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (parse_retry_after({"retry-after": date}) or 0) <= 31
    for junk in ("soon", "-3", "nan", "inf", ""):
        assert parse_retry_after({"retry-after": junk}) is None
    assert parse_retry_after({}) is None


def test_circuit_opens_after_the_threshold_and_probes_after_the_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout=10, clock=clock)
    for _ in range(2):
        assert breaker.acquire() is None
        breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"
    assert breaker.acquire() == pytest.approx(10)
    clock.now += 10
    assert breaker.state == "half_open"
    assert breaker.acquire() is None  # the one probe
    assert breaker.acquire() is not None  # everyone else waits for its verdict
    breaker.record_failure()
    assert breaker.state == "open"  # a failed probe re-opens at once
    clock.now += 10
    assert breaker.acquire() is None
    breaker.record_success()
    assert breaker.state == "closed" and breaker.failures == 0


def test_a_success_resets_the_count_and_a_cancelled_probe_frees_the_slot() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout=1, clock=clock)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    clock.now += 1
    assert breaker.acquire() is None
    breaker.abandon()
    assert breaker.acquire() is None


async def test_rate_limiter_spaces_request_starts() -> None:
    limiter = RateLimiter(min_interval=0.1, max_concurrent=4)
    starts = []
    for _ in range(3):
        async with limiter.slot():
            starts.append(time.monotonic())
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(gap >= 0.09 for gap in gaps)


async def test_rate_limiter_caps_concurrency() -> None:
    limiter = RateLimiter(max_concurrent=2)
    peak = 0

    async def request() -> None:
        nonlocal peak
        async with limiter.slot():
            peak = max(peak, limiter.in_flight)
            await asyncio.sleep(0.05)

    await asyncio.gather(*(request() for _ in range(6)))
    assert peak == 2


async def test_rate_limiter_requests_per_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=2, clock=clock)
    for _ in range(2):
        async with limiter.slot():
            pass
    clock.now += 59.9  # the window frees up in 0.1 s
    started = time.monotonic()
    async with limiter.slot():
        pass
    assert time.monotonic() - started >= 0.09


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (400, TTSAPIError, False),
        (401, TTSAPIError, False),
        (403, TTSAPIError, False),
        (404, TTSAPIError, False),
        (422, TTSAPIError, False),
        (408, TTSTimeoutError, True),
        (429, TTSRateLimitError, True),
        (500, TTSUnavailableError, True),
        (503, TTSUnavailableError, True),
        (301, TTSAPIError, False),
    ],
)
def test_status_codes_map_to_errors(status: int, kind: type, retryable: bool) -> None:
    error = error_for_status("openai", status, b"")
    assert type(error) is kind and error.retryable is retryable
    assert error.status_code == status


def test_error_bodies_are_summarized_safely() -> None:
    register_secret("sk-live-abcdefghijklmnop")
    openai_body = (
        b'{"error":{"message":"Incorrect API key provided: sk-live-abcdefghijklmnop.",'
        b'"type":"invalid_request_error","param":null,"code":"invalid_api_key"}}'
    )
    message = error_for_status("openai", 401, openai_body, key_hint="OPENAI_API_KEY").message
    assert message.startswith("openai: HTTP 401 invalid_api_key: Incorrect API key provided")
    assert "sk-live" not in message and "OPENAI_API_KEY" in message
    eleven = b'{"detail":{"status":"voice_not_found","message":"A voice was not found."}}'
    assert summarize_error_body(eleven) == ("voice_not_found", "A voice was not found.")
    fastapi = b'{"detail":[{"loc":["body","text"],"msg":"field required","type":"missing"}]}'
    assert summarize_error_body(fastapi) == ("missing", "field required")
    assert summarize_error_body(b"<html><body>Bad Gateway</body></html>") == (None, "")
    long = summarize_error_body(("x " * 500).encode())[1]
    assert len(long) <= 200 and long.endswith("...")
    weird = summarize_error_body(b'{"error":{"code":"a b c\\n<script>","message":1}}')
    assert weird == (None, "1")


def test_content_type_checks() -> None:
    assert content_type_problem("audio", "audio/mpeg") is None
    assert content_type_problem("audio", "application/octet-stream") is None
    assert content_type_problem("audio", "") is None
    assert "text/html" in (content_type_problem("audio", "text/html; charset=utf-8") or "")
    assert content_type_problem("audio", "application/json") is not None
    assert content_type_problem("json", "application/json") is None
    assert content_type_problem("json", "audio/mpeg") is not None


def _httpx_errors() -> list[type[Exception]]:
    errors = [
        obj
        for obj in vars(httpx).values()
        if inspect.isclass(obj)
        and issubclass(obj, Exception)
        and obj.__module__.startswith("httpx")
    ]
    assert len(errors) > 15
    return errors


@pytest.mark.parametrize("kind", _httpx_errors(), ids=lambda kind: kind.__name__)
def test_every_httpx_error_has_a_mapping(kind: type[Exception]) -> None:
    if issubclass(kind, httpx.HTTPStatusError):
        request = httpx.Request("GET", "https://example.com")
        exc: Exception = kind("x", request=request, response=httpx.Response(500, request=request))
    elif kind in (
        httpx.StreamClosed,
        httpx.StreamConsumed,
        httpx.RequestNotRead,
        httpx.ResponseNotRead,
    ):
        exc = kind()
    else:
        exc = kind("Authorization: Bearer sk-leaky-0123456789")
    error = translate(exc, "openai", "POST /audio/speech")
    assert isinstance(error, TTSAgentError)
    assert "sk-leaky" not in error.message
    if issubclass(kind, httpx.TimeoutException):
        assert isinstance(error, TTSTimeoutError)
    elif issubclass(kind, httpx.NetworkError | httpx.RemoteProtocolError | httpx.ProxyError):
        assert isinstance(error, TTSUnavailableError)
    else:
        assert not error.retryable
    assert isinstance(translate(asyncio.TimeoutError(), "openai", "x"), TTSTimeoutError)


def test_pcm_framer_keeps_whole_samples() -> None:
    framer = PcmFramer()
    assert framer.push(b"\x01\x02\x03") == b"\x01\x02"
    assert framer.push(b"\x04") == b"\x03\x04"
    assert framer.push(b"\x05") == b"" and framer.leftover == 1


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abcdefgh12345678",
        "xi-api-key: 0123456789abcdef0123456789abcdef",
        "key=sk-proj-AbCdEf0123456789xyz",
        "sk_3f9a0c5d6e7b8a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a",
        'headers {"xi-api-key": "whatever-it-is"}',
        "token: eyJhbGciOiJIUzI1NiJ9eyJzdWIiOiIxMjM0NTY3ODkwIn0abc123",
    ],
)
def test_redact_removes_key_shaped_strings(text: str) -> None:
    cleaned = redact(text)
    assert REDACTED in cleaned
    assert not any(
        part in cleaned for part in ("abcdefgh1234", "0123456789abcdef0123", "AbCdEf", "3f9a0c")
    )


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "POST /v1/text-to-speech/21m00Tcm4TlvDq8ikWAM/stream: HTTP 503 (basic English)"
    assert redact(text) == text


def test_the_filter_redacts_our_loggers_and_httpx(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "zz-custom-secret-value-42"
    register_secret(secret)
    logging.getLogger("tts_agents").warning("key is %s", secret)
    get_logger("tts_agents.engines.test").info("header xi-api-key: %s", "abcdef123456")
    logging.getLogger("httpx").debug("Authorization: Bearer sk-abcdefghijklmnopqrstuv")
    try:
        raise ValueError(f"boom {secret}")
    except ValueError:
        logging.getLogger("tts_agents").exception("failed")
    text = caplog.text
    assert secret not in text and "abcdef123456" not in text and "sk-abcdefghij" not in text
    assert text.count(REDACTED) >= 4
