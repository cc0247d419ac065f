"""The canary-key test: a recognisable fake key, failing requests at DEBUG, and the key
must appear nowhere: not in logs, stdout, stderr, exceptions, config, responses, metadata."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterator

import pytest

from tests.fakes.http_server import Reply
from tests.fakes.providers import (
    ElevenLabsFake,
    OpenAIFake,
    elevenlabs_error,
    fast_config,
    openai_error,
    serve,
)
from tts_agents import TTSAgent, TTSAgentError, TTSConfig
from tts_agents.engines import engine_for
from tts_agents.engines.base import SynthesisOptions

# Provider-shaped, so the patterns would catch it even unregistered...
OPENAI_CANARY = "sk-CANARYopenai-7f3e9a1b2c4d5e6f0011"
# ...and not shaped like any key, so only the registered-secret net can catch it.
ELEVEN_CANARY = "canary-11labs-QZXW"
CANARIES = (OPENAI_CANARY, ELEVEN_CANARY)


@pytest.fixture
def leaky_servers() -> Iterator[tuple[OpenAIFake, ElevenLabsFake]]:
    """Providers that refuse the canary keys and echo them back in their error bodies."""
    openai = OpenAIFake(key="sk-the-real-key-is-different-000")
    eleven = ElevenLabsFake(key=ELEVEN_CANARY)
    with serve(openai), serve(eleven):
        yield openai, eleven


def canary_config(openai: OpenAIFake, eleven: ElevenLabsFake, engine: str) -> TTSConfig:
    assert openai.server is not None and eleven.server is not None
    return fast_config(
        engine=engine,
        api_key=OPENAI_CANARY,
        base_url=f"{openai.server.url}/v1",
        elevenlabs_api_key=ELEVEN_CANARY,
        elevenlabs_base_url=eleven.server.url,
        max_retries=1,
    )


def echoing_faults() -> list[Reply]:
    """ElevenLabs failures whose bodies repeat the key and the request headers."""
    return [
        elevenlabs_error(500, "internal", f"failed for xi-api-key={ELEVEN_CANARY}"),
        Reply(reset=True),
        Reply.json(400, {"detail": {"message": f"headers: {{'xi-api-key': '{ELEVEN_CANARY}'}}"}}),
        Reply(200, {"content-type": "text/html"}, [f"<p>{ELEVEN_CANARY}</p>".encode()]),
        elevenlabs_error(403, "forbidden", f"the key {ELEVEN_CANARY} may not use this voice"),
    ]


def exception_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) + repr(exc)


async def test_the_canary_key_appears_nowhere(
    leaky_servers: tuple[OpenAIFake, ElevenLabsFake],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    openai, eleven = leaky_servers
    caplog.set_level(logging.DEBUG)
    stderr_handler = logging.StreamHandler(sys.stderr)  # as a user's basicConfig(DEBUG) would
    logging.getLogger().addHandler(stderr_handler)
    evidence: list[str] = []
    try:
        evidence += await fail_without_fallback(openai, eleven)
        evidence += await succeed_through_fallback(openai, eleven)
    finally:
        logging.getLogger().removeHandler(stderr_handler)
    config = canary_config(openai, eleven, "elevenlabs,openai")
    evidence += [repr(config), str(config), config.model_dump_json(), repr(engine_for(config))]
    out, err = capfd.readouterr()
    evidence += [caplog.text, out, err]
    evidence += [repr(record.__dict__) for record in caplog.records]

    # The keys really were sent: the servers saw them.
    assert any(r.headers.get("authorization") == f"Bearer {OPENAI_CANARY}" for r in openai.requests)
    assert any(r.headers.get("xi-api-key") == ELEVEN_CANARY for r in eleven.requests)
    assert "DEBUG" in caplog.text or caplog.records  # debug logging really ran
    everything = "\n".join(evidence)
    for canary in CANARIES:
        assert everything.count(canary) == 0


async def fail_without_fallback(openai: OpenAIFake, eleven: ElevenLabsFake) -> list[str]:
    """Each failure's message, repr and traceback, also printed and logged as a user might."""
    texts = []
    eleven.queue(*echoing_faults())
    for chain in ("openai", "elevenlabs", "elevenlabs", "elevenlabs", "elevenlabs,openai"):
        engine = engine_for(canary_config(openai, eleven, chain))
        opts = SynthesisOptions(voice=engine.resolve_voice("alloy"))
        with pytest.raises(TTSAgentError) as caught:
            async for _ in engine.synthesize("Leak nothing.", opts):
                pass
        await engine.aclose()
        print(f"tts-agents: error: {caught.value}")
        logging.getLogger("tts_agents").exception("request failed", exc_info=caught.value)
        texts.append(exception_text(caught.value))
    return texts


async def succeed_through_fallback(openai: OpenAIFake, eleven: ElevenLabsFake) -> list[str]:
    eleven.queue(echoing_faults()[-1])
    config = canary_config(openai, eleven, "elevenlabs,openai,espeak")
    async with TTSAgent(config) as agent:
        response = await agent.generate_speech("Speak, but keep the secret.", format="wav")
        report = agent.engine.last_report  # type: ignore[attr-defined]
    assert response.success and report.engine == "espeak" and len(report.failures) == 2
    return [
        response.model_dump_json(exclude={"audio_data"}),
        repr(response.metadata),
        repr(report),
        repr(report.as_metadata()),
        response.error or "",
    ]


def test_the_openai_401_message_is_clear_without_the_key() -> None:
    from tts_agents.engines.http_errors import error_for_status

    body = openai_error(
        401, f"Incorrect API key provided: {OPENAI_CANARY}.", "x", "invalid_api_key"
    )
    error = error_for_status("openai", 401, body.chunks[0], key_hint="OPENAI_API_KEY")
    assert OPENAI_CANARY not in error.message
    assert error.message.startswith("openai: HTTP 401 invalid_api_key: Incorrect API key provided:")
