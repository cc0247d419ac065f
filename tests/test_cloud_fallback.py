"""Fallback chains: a provider that is down hands over to the next engine, down to espeak."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.conftest import decode
from tests.fakes.http_server import Reply, unused_port
from tests.fakes.providers import (
    ELEVENLABS_KEY,
    ENCODED,
    OPENAI_KEY,
    ElevenLabsFake,
    OpenAIFake,
    fast_config,
    openai_error,
    serve,
    tone,
)
from tts_agents import TTSAgent, TTSConfig
from tts_agents.engines import create_engine, engine_for
from tts_agents.engines.base import SynthesisOptions
from tts_agents.engines.fallback import FallbackEngine, FallbackReport
from tts_agents.errors import TTSAPIError, TTSUnavailableError, VoiceNotFoundError

TEXT = "The provider is down, so the local voice speaks instead."


@pytest.fixture
def openai_fake() -> Iterator[OpenAIFake]:
    fake = OpenAIFake()
    with serve(fake):
        yield fake


@pytest.fixture
def eleven_fake() -> Iterator[ElevenLabsFake]:
    fake = ElevenLabsFake()
    with serve(fake):
        yield fake


def chain_config(openai: OpenAIFake, eleven_url: str, engine: str, **settings: object) -> TTSConfig:
    assert openai.server is not None
    defaults = {
        "engine": engine,
        "api_key": OPENAI_KEY,
        "base_url": f"{openai.server.url}/v1",
        "elevenlabs_api_key": ELEVENLABS_KEY,
        "elevenlabs_base_url": eleven_url,
        "max_retries": 1,
    }
    return fast_config(**{**defaults, **settings})


def down() -> str:
    return f"http://127.0.0.1:{unused_port()}"


def outage(count: int = 10) -> list[Reply]:
    return [openai_error(503, "The engine is currently overloaded", "server_error")] * count


async def test_a_provider_that_is_down_falls_back_to_espeak(
    openai_fake: OpenAIFake, caplog: pytest.LogCaptureFixture
) -> None:
    openai_fake.queue(*outage())
    config = chain_config(openai_fake, down(), "elevenlabs,openai,espeak")
    async with TTSAgent(config) as agent:
        response = await agent.generate_speech(TEXT, format="wav")
        report = agent.engine.last_report  # type: ignore[attr-defined]
    assert response.success and decode(response.audio_data or b"").duration > 1.5
    assert len(response.words) >= 8  # espeak's word marks survive the chain
    assert report.engine == "espeak" and report.served == ["espeak"]
    failed = {failure.engine: failure for failure in report.failures}
    assert failed["elevenlabs"].code == "unavailable" and failed["elevenlabs"].status_code is None
    assert failed["openai"].code == "unavailable" and failed["openai"].status_code == 503
    assert len(openai_fake.requests) == 2  # max_retries=1: two attempts, then moved on
    assert "engine elevenlabs failed" in caplog.text and "falling back to openai" in caplog.text
    assert "engine openai failed" in caplog.text and "falling back to espeak" in caplog.text
    metadata = report.as_metadata()
    assert metadata["engine"] == "espeak"
    assert metadata["fallback"]["chain"] == ["elevenlabs", "openai", "espeak"]
    assert [f["engine"] for f in metadata["fallback"]["failed"]] == ["elevenlabs", "openai"]


async def test_a_permanent_failure_moves_on_at_once(openai_fake: OpenAIFake) -> None:
    config = chain_config(openai_fake, down(), "openai,espeak", api_key="sk-revoked-000000000000")
    engine = engine_for(config)
    report = FallbackReport()
    opts = SynthesisOptions(voice=engine.resolve_voice("alloy"))
    chunks = [c async for c in engine.synthesize(TEXT, opts, report=report)]  # type: ignore[call-arg]
    await engine.aclose()
    assert chunks and report.engine == "espeak"
    assert len(openai_fake.requests) == 1  # a 401 is not retried
    assert report.failures[0].status_code == 401
    assert "check OPENAI_API_KEY" in report.failures[0].message


async def test_the_first_engine_that_works_serves_and_the_voice_is_mapped_per_engine(
    openai_fake: OpenAIFake, eleven_fake: ElevenLabsFake
) -> None:
    assert eleven_fake.server is not None
    eleven_fake.queue(*[openai_error(500, "boom", "server_error")] * 2)
    engine = engine_for(chain_config(openai_fake, eleven_fake.server.url, "elevenlabs,openai"))
    opts = SynthesisOptions(voice=engine.resolve_voice("nova"))
    assert opts.voice == "nova"
    chunks = [c async for c in engine.synthesize(TEXT, opts)]
    await engine.aclose()
    assert sum(c.samples for c in chunks) > 0 and {c.sample_rate for c in chunks} == {24000}
    report = engine.last_report  # type: ignore[attr-defined]
    assert report.engine == "openai"
    assert eleven_fake.requests[0].path.startswith("/v1/text-to-speech/XB0fDUnXU5powFXDhCwa/")
    assert openai_fake.requests[0].json()["voice"] == "nova"


async def test_audio_already_sent_is_never_spliced_with_another_voice(
    openai_fake: OpenAIFake,
) -> None:
    audio = tone(1.0)
    parts = [audio[i : i + 4800] for i in range(0, len(audio), 4800)]
    openai_fake.queue(
        Reply(200, {"content-type": "audio/pcm"}, parts, content_length=len(audio), cut_after=2)
    )
    engine = engine_for(chain_config(openai_fake, down(), "openai,espeak"))
    report = FallbackReport()
    received = []
    with pytest.raises(TTSUnavailableError):
        async for chunk in engine.synthesize(TEXT, SynthesisOptions(voice="alloy"), report=report):  # type: ignore[call-arg]
            received.append(chunk)
    await engine.aclose()
    assert received and report.served == ["openai"] and report.failures[0].engine == "openai"


async def test_every_engine_failing_is_one_error_naming_each(openai_fake: OpenAIFake) -> None:
    openai_fake.queue(*outage())
    engine = engine_for(chain_config(openai_fake, down(), "elevenlabs,openai"))
    with pytest.raises(TTSUnavailableError, match="every engine failed") as caught:
        async for _ in engine.synthesize(TEXT, SynthesisOptions(voice="alloy")):
            pass
    await engine.aclose()
    message = caught.value.message
    assert "elevenlabs:" in message and "openai: HTTP 503" in message
    assert isinstance(caught.value.__cause__, TTSAPIError)


async def test_a_shared_report_skips_engines_that_already_failed(openai_fake: OpenAIFake) -> None:
    openai_fake.queue(*outage(2))
    engine = engine_for(chain_config(openai_fake, down(), "openai,espeak"))
    report = FallbackReport()
    opts = SynthesisOptions(voice="alloy")
    for sentence in ("First sentence.", "Second sentence."):
        assert [c async for c in engine.synthesize(sentence, opts, report=report)]  # type: ignore[call-arg]
    await engine.aclose()
    assert len(openai_fake.requests) == 2  # only the first sentence tried openai
    assert report.served == ["espeak"]


async def test_pass_through_falls_back_between_cloud_engines(
    openai_fake: OpenAIFake, eleven_fake: ElevenLabsFake
) -> None:
    assert eleven_fake.server is not None
    eleven_fake.queue(*[openai_error(503, "busy", "server_error")] * 2)
    engine = engine_for(chain_config(openai_fake, eleven_fake.server.url, "elevenlabs,openai"))
    assert isinstance(engine, FallbackEngine)
    assert engine.capabilities.native_formats == ("mp3", "pcm", "wav")
    opts = SynthesisOptions(voice="alloy")
    data = b"".join([part async for part in engine.synthesize_encoded(TEXT, opts, "mp3")])
    await engine.aclose()
    assert data == ENCODED["mp3"]
    assert engine.last_report is not None and engine.last_report.engine == "openai"


def test_combined_capabilities_hold_whichever_engine_serves() -> None:
    config = fast_config(api_key=OPENAI_KEY, elevenlabs_api_key=ELEVENLABS_KEY)
    chain = FallbackEngine([create_engine(n, config) for n in ("elevenlabs", "openai", "espeak")])
    caps = chain.capabilities
    assert caps.speed_range == (0.7, 1.2)
    assert caps.native_formats == ()  # espeak makes no provider bytes
    assert caps.sample_rate == 24000 and not caps.local and not caps.word_timestamps


def test_a_voice_no_engine_knows_is_refused_up_front() -> None:
    config = fast_config(api_key=OPENAI_KEY, engine="openai,espeak")
    chain = engine_for(config)
    assert chain.resolve_voice("de") == "de"  # espeak knows it; openai will be skipped
    with pytest.raises(VoiceNotFoundError):
        chain.resolve_voice("no-such-voice-anywhere")


async def test_voices_lists_every_member_and_skips_one_that_is_down(
    openai_fake: OpenAIFake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    engine = engine_for(chain_config(openai_fake, down(), "elevenlabs,openai"))
    voices = await engine.voices()
    await engine.aclose()
    assert {v.engine for v in voices} == {"openai"}
    assert "elevenlabs cannot list voices" in caplog.text
