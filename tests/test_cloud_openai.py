"""The OpenAI and OpenAI-compatible engines against a real local server speaking the API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import numpy as np
import pytest

from tests.conftest import decode
from tests.fakes.providers import (
    ENCODED,
    OPENAI_KEY,
    PCM_RATE,
    SECONDS_PER_CHAR,
    OpenAIFake,
    fast_config,
    openai_config,
    serve,
)
from tts_agents import TTSAgent
from tts_agents.engines import create_engine
from tts_agents.engines.base import SynthesisOptions
from tts_agents.engines.openai import NATIVE_FORMATS, OpenAICompatibleEngine, OpenAIEngine
from tts_agents.errors import TTSAPIError, UnsupportedFormatError, VoiceNotFoundError

TEXT = "The quick brown fox jumps over the lazy dog."


@pytest.fixture
def fake() -> Iterator[OpenAIFake]:
    fake = OpenAIFake()
    with serve(fake):
        yield fake


@pytest.fixture
async def engine(fake: OpenAIFake) -> AsyncIterator[OpenAIEngine]:
    assert fake.server is not None
    engine = OpenAIEngine(openai_config(fake.server))
    yield engine
    await engine.aclose()


async def collect_pcm(engine: OpenAIEngine, text: str = TEXT, **options: object) -> bytes:
    opts = SynthesisOptions(voice=engine.resolve_voice("alloy"), **options)  # type: ignore[arg-type]
    chunks = [chunk async for chunk in engine.synthesize(text, opts)]
    assert all(len(c.pcm) % 2 == 0 and c.sample_rate == PCM_RATE for c in chunks)
    return b"".join(c.pcm for c in chunks)


async def test_speech_request_matches_the_documented_shape(
    fake: OpenAIFake, engine: OpenAIEngine
) -> None:
    await collect_pcm(engine)
    (request,) = fake.requests
    assert (request.method, request.path) == ("POST", "/v1/audio/speech")
    assert request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    assert request.headers["accept"] == "application/octet-stream"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("tts-agents/")
    assert request.json() == {
        "model": "tts-1",
        "input": TEXT,
        "voice": "alloy",
        "response_format": "pcm",
    }


async def test_optional_fields_are_sent_only_when_set(
    fake: OpenAIFake, engine: OpenAIEngine
) -> None:
    await collect_pcm(engine, speed=2.0, model="gpt-4o-mini-tts", instructions="Speak warmly.")
    body = fake.requests[0].json()
    assert body["speed"] == 2.0
    assert body["model"] == "gpt-4o-mini-tts"
    assert body["instructions"] == "Speak warmly."


async def test_pcm_is_the_providers_24khz_audio_whole(engine: OpenAIEngine) -> None:
    pcm = await collect_pcm(engine)
    samples = np.frombuffer(pcm, dtype="<i2")
    assert len(samples) == int(len(TEXT) * SECONDS_PER_CHAR * PCM_RATE)
    assert np.abs(samples).max() > 1000


@pytest.mark.parametrize("fmt", NATIVE_FORMATS)
async def test_native_formats_pass_through_byte_for_byte(
    fake: OpenAIFake, engine: OpenAIEngine, fmt: str
) -> None:
    assert fmt in engine.capabilities.native_formats
    opts = SynthesisOptions(voice="nova")
    data = b"".join([part async for part in engine.synthesize_encoded(TEXT, opts, fmt)])
    expected = ENCODED[fmt] if fmt != "pcm" else data
    assert data == expected and data
    assert fake.requests[-1].json()["response_format"] == fmt


async def test_an_unknown_format_is_refused_before_any_request(
    fake: OpenAIFake, engine: OpenAIEngine
) -> None:
    with pytest.raises(UnsupportedFormatError):
        async for _ in engine.synthesize_encoded(TEXT, SynthesisOptions(voice="nova"), "ogg"):
            pass
    assert fake.requests == []


async def test_models_and_voices(engine: OpenAIEngine) -> None:
    assert await engine.models() == ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"]
    voices = await engine.voices()
    assert {voice.id for voice in voices} >= {"alloy", "nova", "cedar"}
    assert engine.resolve_voice("NOVA") == "nova"
    with pytest.raises(VoiceNotFoundError, match="available"):
        engine.resolve_voice("en-us+f5")


def test_capabilities_are_those_of_the_provider() -> None:
    caps = OpenAIEngine(fast_config(api_key=OPENAI_KEY)).capabilities
    assert (caps.sample_rate, caps.speed_range, caps.local) == (24000, (0.25, 4.0), False)
    assert caps.native_formats == ("mp3", "opus", "aac", "flac", "wav", "pcm")
    assert not caps.word_timestamps


async def test_aclose_is_idempotent(engine: OpenAIEngine) -> None:
    await collect_pcm(engine)
    await engine.aclose()
    await engine.aclose()


async def test_a_shared_client_is_used_and_left_open(fake: OpenAIFake) -> None:
    assert fake.server is not None
    async with httpx.AsyncClient(headers={"X-Trace": "t-1"}) as client:
        engine = OpenAIEngine(openai_config(fake.server), client=client)
        assert await collect_pcm(engine)
        await engine.aclose()
        assert not client.is_closed
        assert await engine.models()
    assert [r.headers["x-trace"] for r in fake.requests] == ["t-1", "t-1"]


async def test_compatible_server_without_a_key_gets_no_authorization_header() -> None:
    fake = OpenAIFake(key=None)
    with serve(fake) as server:
        engine = create_engine("openai-compatible", fast_config(base_url=f"{server.url}/v1"))
        assert isinstance(engine, OpenAICompatibleEngine)
        opts = SynthesisOptions(voice=engine.resolve_voice("echo"))
        chunks = [chunk async for chunk in engine.synthesize(TEXT, opts)]
        assert sum(chunk.samples for chunk in chunks) > 0
        assert "authorization" not in fake.requests[0].headers
        # A voice this server does not know is its call: a 400, summarized, not retried.
        custom = SynthesisOptions(voice=engine.resolve_voice("narrator-7"))
        with pytest.raises(TTSAPIError, match="HTTP 400.*Invalid value for 'voice'") as caught:
            async for _ in engine.synthesize(TEXT, custom):
                pass
        assert caught.value.status_code == 400 and not caught.value.retryable
        assert len(fake.requests) == 2
        await engine.aclose()


async def test_through_the_agent_with_engine_openai(fake: OpenAIFake) -> None:
    assert fake.server is not None
    config = openai_config(fake.server, engine="openai")
    async with TTSAgent(config) as agent:
        # A rate the provider does not produce: its PCM is resampled and encoded here.
        response = await agent.generate_speech(
            TEXT, voice="shimmer", format="wav", sample_rate=16000
        )
        # The provider's own format and rate: its bytes pass through untouched.
        native = await agent.generate_speech(TEXT, voice="shimmer", format="wav")
    assert response.success and response.metadata["engine"] == "openai"
    audio = decode(response.audio_data or b"")
    assert audio.sample_rate == 16000 and audio.duration > 1.0
    assert fake.requests[0].json()["voice"] == "shimmer"
    assert fake.requests[0].json()["response_format"] == "pcm"
    assert native.metadata["passthrough"] is True and native.audio_data == ENCODED["wav"]
    assert fake.requests[1].json()["response_format"] == "wav"
