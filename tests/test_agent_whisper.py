"""The help desk with Whisper ears: spoken questions understood, a single word interrupts.

A real server, the real Whisper base model in the session's models directory, and speech we
synthesize here with Kokoro, streamed in real time like a microphone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.test_agent_session import KEY, QUESTION, RATE, SECRET, Talk, _agent_file, ws_url
from tts_agents import TTSAgent, TTSConfig
from tts_agents.agent.config import load_agent
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

SAID = (QUESTION, "stop", "okay")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, models_dir: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("whisper-agents")
    desk = _agent_file(
        folder, "whisper-desk", voice={"engine": "espeak", "name": "alloy"}, stt={"engine": "auto"}
    )
    with pytest.MonkeyPatch.context() as patch:  # agents find their models at start
        patch.setenv("TTS_AGENTS_MODELS_DIR", str(models_dir))
        settings = ServerSettings(
            api_keys=(KEY,), agents=(load_agent(desk),), conversation_secret=SECRET
        )
        with running_server(create_app(settings)) as url:
            yield url


@pytest.fixture(scope="module")
def speech(models_dir: Path) -> dict[str, bytes]:
    """The user speaks with a Kokoro voice: closer to a person than espeak-ng's formants."""

    async def synthesize() -> dict[str, bytes]:
        async with TTSAgent(TTSConfig(engine="kokoro", models_dir=models_dir)) as agent:
            said = {}
            for text in SAID:
                stream = agent.prepare(text, format="pcm", sample_rate=RATE, voice="echo")
                said[text] = b"".join([chunk.pcm async for chunk in stream.pcm()])
            return said

    return asyncio.run(synthesize())


async def test_whisper_hears_the_question(base: str, speech: dict[str, bytes]) -> None:
    async with connect(ws_url(base, "whisper-desk"), additional_headers={"xi-api-key": KEY}) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.say(speech[QUESTION])
        transcript = await talk.next("user_transcript")
        heard = transcript["user_transcription_event"]["user_transcript"].lower()
        assert "audio formats" in heard, heard
        answer = await talk.next("agent_response")
        assert "mp3" in answer["agent_response_event"]["agent_response"]
        metrics = (await talk.next("turn_metrics"))["turn_metrics_event"]
        # The final decode starts at the first short pause, inside the end-of-turn silence.
        assert metrics["stt_final_ms"] is not None and metrics["stt_final_ms"] < 3000
        await talk.close()


async def test_one_word_interrupts_but_a_backchannel_does_not(
    base: str, speech: dict[str, bytes]
) -> None:
    async with connect(ws_url(base, "whisper-desk"), additional_headers={"xi-api-key": KEY}) as ws:
        talk = Talk(ws)
        await talk.start()
        await talk.send({"type": "user_message", "text": QUESTION})
        await talk.wait(lambda: len(talk.of("audio")) >= 8)
        await talk.say(speech["okay"], silence=0.8)
        sent = len(talk.of("audio"))
        await talk.wait(lambda: len(talk.of("audio")) >= sent + 5)  # the answer goes on
        assert not talk.of("interruption")
        await talk.say(speech["stop"], silence=0.8)
        cut = await talk.next("interruption")
        assert cut["interruption_event"]["event_id"] == 1
        await talk.close()
