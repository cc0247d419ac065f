"""Pure logic of the server: keys, output formats, rate buckets, the synthesis gate."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tts_agents.errors import TTSConfigError, UnsupportedFormatError
from tts_agents.server.auth import key_is_valid
from tts_agents.server.errors import ApiProblem
from tts_agents.server.limits import RateLimiter, seconds_until_room
from tts_agents.server.output_formats import parse_output_format
from tts_agents.server.run import build_settings
from tts_agents.server.settings import ServerSettings, check_no_auth, keys_from_environment
from tts_agents.server.streaming import start_stream
from tts_agents.server.synthesis_gate import SynthesisGate


def test_key_is_valid() -> None:
    keys = ("alpha", "beta")
    assert key_is_valid("beta", keys)
    assert not key_is_valid("bet", keys)
    assert not key_is_valid("", keys)
    assert not key_is_valid("alpha", ())


def test_keys_from_env_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("# comment\nfile-key\n\n a \n", encoding="utf-8")
    monkeypatch.setenv("TTS_AGENTS_API_KEYS", " env-1, ,env-2,a")
    assert keys_from_environment(keys_file) == ("env-1", "env-2", "a", "file-key")


def test_missing_keys_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(TTSConfigError, match="keys file"):
        keys_from_environment(tmp_path / "absent")


def test_no_key_generates_and_announces_one() -> None:
    announced: list[str] = []
    settings = build_settings(
        host="127.0.0.1",
        engine=None,
        cors_origins=[],
        tls=False,
        auth=True,
        keys_file=None,
        announce_key=announced.append,
    )
    assert settings.api_keys == tuple(announced)
    assert len(announced[0]) > 30


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::"])  # noqa: S104
def test_no_auth_refused_off_loopback(host: str) -> None:
    with pytest.raises(TTSConfigError, match="loopback"):
        check_no_auth(host, auth=False)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_no_auth_allowed_on_loopback(host: str) -> None:
    check_no_auth(host, auth=False)


@pytest.mark.parametrize("origin", ["*", "app.example", "ftp://x"])
def test_bad_cors_origin_refused(origin: str) -> None:
    with pytest.raises(TTSConfigError, match="cors-origin"):
        build_settings(
            host="127.0.0.1",
            engine=None,
            cors_origins=[origin],
            tls=False,
            auth=False,
            keys_file=None,
            announce_key=print,
        )


def test_serve_settings_take_redis_and_key_budgets() -> None:
    def settings(**options: object) -> ServerSettings:
        return build_settings(
            host="127.0.0.1",
            engine=None,
            cors_origins=[],
            tls=False,
            auth=False,
            keys_file=None,
            announce_key=print,
            **options,  # type: ignore[arg-type]
        )

    chosen = settings(redis_url="redis://127.0.0.1:6379/0", cost_per_minute_per_key=50)
    assert (chosen.redis_url, chosen.cost_per_minute_per_key) == ("redis://127.0.0.1:6379/0", 50)
    assert chosen.requests_per_minute_per_key == ServerSettings().requests_per_minute_per_key
    with pytest.raises(TTSConfigError, match="Redis URL") as refused:
        settings(redis_url="http://user:secret@cache:6379")
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("value", "name", "codec", "rate", "bit_rate"),
    [
        (None, "mp3", "libmp3lame", 44100, 128_000),
        ("mp3_22050_32", "mp3", "libmp3lame", 22050, 32_000),
        ("mp3_44100_192", "mp3", "libmp3lame", 44100, 192_000),
        ("pcm_8000", "pcm", None, 8000, None),
        ("pcm_48000", "pcm", None, 48000, None),
        ("ulaw_8000", "ulaw", "pcm_mulaw", 8000, None),
        ("alaw_8000", "alaw", "pcm_alaw", 8000, None),
        ("opus_48000_96", "opus", "libopus", 48000, 96_000),
    ],
)
def test_parse_output_format(
    value: str | None, name: str, codec: str | None, rate: int, bit_rate: int | None
) -> None:
    parsed = parse_output_format(value)
    assert (parsed.spec.name, parsed.spec.codec, parsed.sample_rate, parsed.spec.bit_rate) == (
        name,
        codec,
        rate,
        bit_rate,
    )


@pytest.mark.parametrize(
    "value", ["mp3", "mp3_44100", "mp3_44100_999", "pcm_11025", "ulaw_16000", "flac_44100", "x_y"]
)
def test_parse_output_format_rejects(value: str) -> None:
    with pytest.raises(UnsupportedFormatError) as caught:
        parse_output_format(value)
    assert caught.value.field == "output_format"


def test_rate_limiter_keeps_a_budget_per_name() -> None:
    limiter = RateLimiter()
    for _ in range(3):
        limiter.check("a", 3)
    with pytest.raises(ApiProblem) as caught:
        limiter.check("a", 3)
    assert caught.value.status == 429
    assert 1 <= int(caught.value.headers["Retry-After"]) <= 60
    limiter.check("b", 3)  # budgets are separate


def test_rate_limiter_charges_costs_up_front_and_after() -> None:
    limiter = RateLimiter()
    limiter.check("cost", 10, cost=4)
    limiter.check("cost", 10, cost=4)
    with pytest.raises(ApiProblem):
        limiter.check("cost", 10, cost=4)
    limiter.check("cost", 10, cost=2)  # what is left still buys a smaller request
    limiter.check("big", 10, cost=50)  # more than the budget takes all of it, once
    with pytest.raises(ApiProblem):
        limiter.check("big", 10)
    limiter.spend("audio", 5, 3)
    limiter.check_room("audio", 5)
    limiter.spend("audio", 5, 30)  # counted after the fact: never refused, never past the budget
    with pytest.raises(ApiProblem) as caught:
        limiter.check_room("audio", 5)
    assert caught.value.headers["Retry-After"]


@pytest.mark.parametrize(
    ("counts", "limit", "cost", "wait"),
    [
        ((0, 0.0, 3, 90.0), 3, 1, 30.0),  # spent 30 s into a window: wait for its end
        ((6, 45.0, 2, 105.0), 6, 1, 5.0),  # the previous window fades: 6 * 40/60 + 2 < 7
        ((6, 30.0, 0, 90.0), 6, 1, 0.0),  # room already
        ((0, 0.0, 4, 120.0), 10, 8, 75.0),  # 4 spent, 8 wanted: the 4 must fade to 2
    ],
)
def test_seconds_until_room(
    counts: tuple[int, float, int, float], limit: int, cost: int, wait: float
) -> None:
    assert seconds_until_room(counts, 60, limit, cost) == pytest.approx(wait)


async def test_gate_refuses_when_queue_full() -> None:
    gate = SynthesisGate(concurrent=1, queue=1, retry_after=2)
    release = asyncio.Event()

    async def hold() -> None:
        async with gate.slot():
            await release.wait()

    first = asyncio.create_task(hold())
    await asyncio.sleep(0)
    second = asyncio.create_task(hold())
    await asyncio.sleep(0)
    assert gate.busy and gate.waiting == 1
    with pytest.raises(ApiProblem) as caught:
        async with gate.slot():
            pass
    assert caught.value.status == 503
    assert caught.value.headers["Retry-After"] == "2"
    release.set()
    await asyncio.gather(first, second)
    assert not gate.busy and gate.waiting == 0


async def test_free_slots_go_to_waiting_keys_in_turn() -> None:
    gate = SynthesisGate(concurrent=1, queue=8, retry_after=1, per_caller=8)
    names = ("a0", "a1", "a2", "a3", "b1", "c1", "b2")
    release = {name: asyncio.Event() for name in names}
    holding = {name: asyncio.Event() for name in names}
    served: list[str] = []

    async def hold(name: str) -> None:
        async with gate.slot(caller=name[0]):
            served.append(name)
            holding[name].set()
            await release[name].wait()

    tasks = []
    for name in ("a0", "a1", "a2", "a3", "b1", "c1"):  # a queues three before b and c come
        tasks.append(asyncio.create_task(hold(name)))
        await asyncio.sleep(0)
    assert gate.waiting == 5
    queued_then_left = asyncio.create_task(hold("b2"))
    await asyncio.sleep(0)
    queued_then_left.cancel()  # its client went away: it gives up its place
    for name in ("a0", "a1", "b1", "c1", "a2", "a3"):
        await holding[name].wait()
        release[name].set()
    await asyncio.gather(*tasks)
    assert served == ["a0", "a1", "b1", "c1", "a2", "a3"]
    assert not gate.busy and gate.waiting == 0


async def test_closing_a_started_stream_closes_its_source_and_slot() -> None:
    gate = SynthesisGate(concurrent=1, queue=0, retry_after=1)
    closed = asyncio.Event()

    async def source() -> AsyncIterator[int]:
        try:
            for number in range(1000):
                yield number
        finally:
            closed.set()

    stream = await start_stream(gate, source())
    assert gate.busy
    assert await anext(stream) == 0
    assert await anext(stream) == 1
    await stream.aclose()  # what the server does when the client goes away
    assert closed.is_set()
    assert not gate.busy


async def test_an_error_before_the_first_item_frees_the_slot() -> None:
    gate = SynthesisGate(concurrent=1, queue=0, retry_after=1)

    async def failing() -> AsyncIterator[bytes]:
        raise UnsupportedFormatError("format", "nope")
        yield b""

    with pytest.raises(UnsupportedFormatError):
        await start_stream(gate, failing())
    assert not gate.busy


def test_serve_uses_worker_processes_for_the_offline_engine() -> None:
    from tts_agents.server.run import build_settings

    common = {"host": "127.0.0.1", "cors_origins": [], "tls": False, "auth": True}
    common |= {"keys_file": None, "announce_key": lambda key: None}
    pooled = build_settings(engine=None, **common)
    assert pooled.synthesis_workers == min(os.cpu_count() or 1, 4)
    assert pooled.max_concurrent >= 64  # fair scheduling: many requests may be in flight
    assert build_settings(engine="openai", **common).synthesis_workers == 0
    in_process = build_settings(engine=None, workers=0, **common)
    assert (in_process.synthesis_workers, in_process.max_concurrent) == (0, 4)
