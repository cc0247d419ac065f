"""Real networks misbehave: each fault is injected by a real local server.

429 with Retry-After, 5xx bursts, a slow first byte, a body cut mid-stream, connection
resets, the wrong content type; retry counts and timing, the circuit breaker, rate limits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.fakes.http_server import Reply
from tests.fakes.providers import (
    OpenAIFake,
    openai_config,
    openai_error,
    serve,
    tone,
)
from tts_agents import TTSConfig
from tts_agents.engines.base import SynthesisOptions
from tts_agents.engines.openai import OpenAIEngine
from tts_agents.errors import (
    TTSAPIError,
    TTSRateLimitError,
    TTSTimeoutError,
    TTSUnavailableError,
)

TEXT = "Resilience is a property of the whole system."
ALLOY = SynthesisOptions(voice="alloy")


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    fake = OpenAIFake()
    with serve(fake):
        yield fake


def make_engine(fake: OpenAIFake, **settings: object) -> OpenAIEngine:
    assert fake.server is not None
    return OpenAIEngine(openai_config(fake.server, **settings))


async def speak(engine: OpenAIEngine, text: str = TEXT) -> int:
    """Samples produced; closes the engine afterwards."""
    try:
        return sum([chunk.samples async for chunk in engine.synthesize(text, ALLOY)])
    finally:
        await engine.aclose()


def rate_limited(retry_after: str = "1") -> Reply:
    reply = openai_error(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded")
    reply.headers["retry-after"] = retry_after
    return reply


async def test_two_429s_with_retry_after_then_success_takes_about_two_seconds(
    fake: OpenAIFake,
) -> None:
    fake.queue(rate_limited(), rate_limited())
    assert fake.server is not None
    # The shipped defaults (3 retries, 1 s spacing), not the fast test settings.
    engine = OpenAIEngine(
        TTSConfig(api_key="sk-test-openai-0123456789abcdef", base_url=f"{fake.server.url}/v1")
    )
    started = time.monotonic()
    assert await speak(engine) > 0
    elapsed = time.monotonic() - started
    assert len(fake.requests) == 3
    assert 1.9 <= elapsed < 3.5
    gaps = [b.at - a.at for a, b in zip(fake.requests, fake.requests[1:], strict=False)]
    assert all(0.95 <= gap < 1.6 for gap in gaps)


async def test_a_401_fails_at_once_with_a_clear_error(fake: OpenAIFake) -> None:
    engine = make_engine(fake, api_key="sk-wrong-key-000000000000")
    started = time.monotonic()
    with pytest.raises(TTSAPIError) as caught:
        await speak(engine)
    assert time.monotonic() - started < 1.0
    assert len(fake.requests) == 1
    error = caught.value
    assert error.status_code == 401 and not error.retryable
    assert "openai: HTTP 401 invalid_api_key" in error.message
    assert "check OPENAI_API_KEY" in error.message
    assert "sk-wrong" not in error.message


@pytest.mark.parametrize("status", [400, 403, 404, 422])
async def test_permanent_statuses_are_never_retried(fake: OpenAIFake, status: int) -> None:
    fake.queue(openai_error(status, "no", "invalid_request_error"))
    with pytest.raises(TTSAPIError) as caught:
        await speak(make_engine(fake))
    assert caught.value.status_code == status
    assert len(fake.requests) == 1


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
async def test_a_burst_of_retryable_failures_then_success(fake: OpenAIFake, status: int) -> None:
    fake.queue(
        *(openai_error(status, "The server is overloaded", "server_error") for _ in range(3))
    )
    assert await speak(make_engine(fake, max_retries=3)) > 0
    assert len(fake.requests) == 4


async def test_retries_stop_at_max_retries(fake: OpenAIFake) -> None:
    fake.queue(*(openai_error(503, "overloaded", "server_error") for _ in range(10)))
    with pytest.raises(TTSUnavailableError, match="HTTP 503") as caught:
        await speak(make_engine(fake, max_retries=2))
    assert caught.value.status_code == 503
    assert len(fake.requests) == 3


async def test_a_retry_after_beyond_the_cap_is_not_waited_for(fake: OpenAIFake) -> None:
    fake.queue(rate_limited("3600"))
    started = time.monotonic()
    with pytest.raises(TTSRateLimitError) as caught:
        await speak(make_engine(fake))
    assert caught.value.retry_after == 3600
    assert time.monotonic() - started < 1.0 and len(fake.requests) == 1


async def test_a_slow_first_byte_times_out_and_is_retried(fake: OpenAIFake) -> None:
    fake.queue(Reply(200, {"content-type": "audio/pcm"}, [tone(0.1)], delay=3.0))
    started = time.monotonic()
    assert await speak(make_engine(fake, timeout=0.4)) > 0
    assert len(fake.requests) == 2
    assert 0.4 <= time.monotonic() - started < 2.0


async def test_a_slow_first_byte_within_the_timeout_is_fine(fake: OpenAIFake) -> None:
    fake.queue(Reply(200, {"content-type": "audio/pcm"}, [tone(0.1)], delay=0.3))
    assert await speak(make_engine(fake, timeout=2.0)) == 2400
    assert len(fake.requests) == 1


async def test_no_answer_at_all_is_a_timeout_error(fake: OpenAIFake) -> None:
    fake.queue(*(Reply(200, delay=5.0) for _ in range(2)))
    with pytest.raises(TTSTimeoutError):
        await speak(make_engine(fake, timeout=0.3, max_retries=1))
    assert len(fake.requests) == 2


async def test_connection_resets_are_retried(fake: OpenAIFake) -> None:
    fake.queue(Reply(reset=True), Reply(reset=True))
    assert await speak(make_engine(fake)) > 0
    assert len(fake.requests) == 3


async def test_a_body_cut_before_any_audio_is_retried(fake: OpenAIFake) -> None:
    fake.queue(Reply(200, {"content-type": "audio/pcm"}, [b""], content_length=48000, cut_after=0))
    assert await speak(make_engine(fake)) > 0
    assert len(fake.requests) == 2


async def test_a_body_cut_mid_stream_is_raised_after_the_audio_already_sent(
    fake: OpenAIFake,
) -> None:
    audio = tone(1.0)
    parts = [audio[i : i + 4800] for i in range(0, len(audio), 4800)]
    fake.queue(
        Reply(200, {"content-type": "audio/pcm"}, parts, content_length=len(audio), cut_after=3)
    )
    engine = make_engine(fake)
    received = 0
    with pytest.raises(TTSUnavailableError, match="reading the response") as caught:
        async for chunk in engine.synthesize(TEXT, ALLOY):
            received += chunk.samples
    await engine.aclose()
    assert 0 < received <= 3 * 2400
    assert caught.value.retryable and len(fake.requests) == 1


async def test_the_wrong_content_type_is_refused(fake: OpenAIFake) -> None:
    fake.queue(Reply(200, {"content-type": "text/html"}, [b"<html>Sign in to the Wi-Fi</html>"]))
    with pytest.raises(TTSAPIError, match="expected audio but the response was text/html"):
        await speak(make_engine(fake))
    assert len(fake.requests) == 1


async def test_an_empty_body_is_an_error(fake: OpenAIFake) -> None:
    fake.queue(Reply(200, {"content-type": "audio/pcm"}, [], content_length=0))
    with pytest.raises(TTSAPIError, match="empty"):
        await speak(make_engine(fake))


async def test_circuit_opens_fails_fast_then_recovers(fake: OpenAIFake) -> None:
    fake.queue(*(openai_error(500, "down", "server_error") for _ in range(2)))
    settings = {"max_retries": 1, "circuit_failure_threshold": 2, "circuit_reset_timeout": 1.0}
    engine = make_engine(fake, **settings)
    with pytest.raises(TTSUnavailableError, match="HTTP 500"):
        await speak(engine)
    assert engine.http.breaker.state == "open"
    with pytest.raises(TTSUnavailableError, match="circuit open"):
        await speak(make_engine(fake, **settings))  # shared per provider: a new engine waits too
    assert len(fake.requests) == 2  # failed fast: the open circuit did not touch the network
    await asyncio.sleep(1.05)
    assert engine.http.breaker.state == "half_open"
    assert await speak(make_engine(fake, **settings)) > 0
    assert engine.http.breaker.state == "closed"
    assert len(fake.requests) == 3


async def test_rate_limit_delay_spaces_requests_to_the_provider(fake: OpenAIFake) -> None:
    sent: list[float] = []

    async def record(request: httpx.Request) -> None:
        sent.append(time.monotonic())

    assert fake.server is not None
    client = httpx.AsyncClient(event_hooks={"request": [record]})
    engine = OpenAIEngine(openai_config(fake.server, rate_limit_delay=0.25), client=client)
    for _ in range(3):
        async for _chunk in engine.synthesize("Hi.", ALLOY):
            pass
    await engine.aclose()
    await client.aclose()
    # Measured where the requests leave, not at the server (its thread adds scheduling
    # jitter); the limiter's spacing is a lower bound, so load can only widen the gaps.
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert len(fake.requests) == 3 and min(gaps) >= 0.9 * 0.25, gaps


async def test_concurrent_requests_are_capped_per_provider(fake: OpenAIFake) -> None:
    fake.queue(
        *(Reply(200, {"content-type": "audio/pcm"}, [tone(0.1)], delay=0.5) for _ in range(4))
    )
    engines = [make_engine(fake, max_concurrent_requests=2) for _ in range(2)]

    async def run(engine: OpenAIEngine) -> int:
        return sum([chunk.samples async for chunk in engine.synthesize("Hi.", ALLOY)])

    await asyncio.gather(*(run(engines[i % 2]) for i in range(4)))
    for engine in engines:
        await engine.aclose()
    arrivals = sorted(request.at for request in fake.requests)
    assert arrivals[1] - arrivals[0] < 0.3  # two at once...
    assert arrivals[2] - arrivals[0] >= 0.45  # ...the others only when a slot is free


async def test_cancelling_a_stream_releases_its_slot(fake: OpenAIFake) -> None:
    audio = tone(2.0)
    parts = [audio[i : i + 4800] for i in range(0, len(audio), 4800)]
    fake.queue(Reply(200, {"content-type": "audio/pcm"}, parts, chunk_delay=0.05))
    engine = make_engine(fake, max_concurrent_requests=1)
    stream: AsyncIterator[object] = engine.synthesize(TEXT, ALLOY)
    await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]
    assert engine.http.guard.limiter is not None
    assert engine.http.guard.limiter.in_flight == 0
    assert await asyncio.wait_for(speak(engine), 2) > 0


async def test_redirects_are_not_followed(fake: OpenAIFake) -> None:
    fake.queue(Reply(307, {"location": "http://example.com/steal"}, [b""], content_length=0))
    with pytest.raises(TTSAPIError, match="HTTP 307.*redirects are not followed") as caught:
        await speak(make_engine(fake))
    assert caught.value.status_code == 307 and len(fake.requests) == 1
