"""The official elevenlabs SDK's ``Conversation`` and ``AsyncConversation`` against our server.

The SDK fetches a signed URL with its key (``requires_auth=True``), dials it, and talks
through an audio interface: ours plays synthesized user speech in real time, 250 ms
chunks as the SDK recommends, and keeps what the agent says for pocketsphinx to check.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from elevenlabs.client import ElevenLabs
from elevenlabs.conversational_ai.conversation import (
    AsyncAudioInterface,
    AsyncConversation,
    AudioInterface,
    ClientTools,
    Conversation,
    ConversationInitiationData,
)

from tests.conftest import Decoded, Transcriber
from tests.fakes.fake_llm import FakeLLM, stream, text_events, tool_call_events
from tts_agents import TTSAgent
from tts_agents.agent.config import default_agent_path, load_agent
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "test-key-agent-sdk"
RATE = 16000
CHUNK = RATE // 4 * 2  # 250 ms of PCM16
FIRST = "Hi! Ask me anything."
QUESTION = "What audio formats can you make?"


class ScriptedMicrophone:
    """Streams silence, or queued speech, in real time; keeps the agent's audio."""

    def __init__(self) -> None:
        self.agent_audio: list[tuple[float, bytes]] = []
        self.interruptions = 0
        self._queue = b""
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def say(self, pcm: bytes) -> None:
        with self._lock:
            self._queue += pcm + bytes(RATE)  # a second of silence after it

    def next_chunk(self) -> bytes:
        with self._lock:
            chunk, self._queue = self._queue[:CHUNK], self._queue[CHUNK:]
        return chunk + bytes(CHUNK - len(chunk))

    def received(self, since: float) -> bytes:
        return b"".join(audio for at, audio in self.agent_audio if at >= since)

    def quiet_for(self, seconds: float) -> bool:
        return bool(self.agent_audio) and time.monotonic() - self.agent_audio[-1][0] > seconds


class SyncMicrophone(ScriptedMicrophone, AudioInterface):
    def start(self, input_callback: Callable[[bytes], None]) -> None:
        def run() -> None:
            began = time.monotonic()
            for index in range(1_000_000):
                if self._stop.wait(max(0.0, began + (index + 1) * 0.25 - time.monotonic())):
                    return
                input_callback(self.next_chunk())

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def output(self, audio: bytes) -> None:
        self.agent_audio.append((time.monotonic(), audio))

    def interrupt(self) -> None:
        self.interruptions += 1


class AsyncMicrophone(ScriptedMicrophone, AsyncAudioInterface):
    async def start(self, input_callback: Callable[[bytes], Any]) -> None:
        async def run() -> None:
            began = time.monotonic()
            index = 0
            while not self._stop.is_set():
                index += 1
                await asyncio.sleep(max(0.0, began + index * 0.25 - time.monotonic()))
                await input_callback(self.next_chunk())

        self._task = asyncio.create_task(run())

    async def stop(self) -> None:
        self._stop.set()

    async def output(self, audio: bytes) -> None:
        self.agent_audio.append((time.monotonic(), audio))

    async def interrupt(self) -> None:
        self.interruptions += 1


@pytest.fixture(scope="module")
def speech() -> dict[str, bytes]:
    async def synthesize() -> dict[str, bytes]:
        async with TTSAgent() as agent:
            said = {}
            for text in (QUESTION, "How do I install it?"):
                stream_ = agent.prepare(text, format="pcm", sample_rate=RATE, voice="echo")
                said[text] = b"".join([chunk.pcm async for chunk in stream_.pcm()])
            return said

    return asyncio.run(synthesize())


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM([]) as fake:
        yield fake


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, llm: FakeLLM) -> Iterator[str]:
    """The help desk, and a desk with an LLM that may call the client's ``get_user_name``."""
    source = default_agent_path()
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    data["knowledge_base"] = [str(source.parent / path) for path in data["knowledge_base"]]
    data.update(
        id="tool-desk",
        llm={"base_url": llm.base_url, "model": "fake-model"},
        tools=[
            {
                "name": "get_user_name",
                "type": "client",
                "description": "The name of the user, from the client app.",
                "parameters": {"type": "object", "properties": {}},
                "timeout_s": 5,
            }
        ],
    )
    path = Path(tmp_path_factory.mktemp("agents")) / "tool-desk.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    agents = (load_agent(default_agent_path()), load_agent(path))
    with running_server(create_app(ServerSettings(api_keys=(KEY,), agents=agents))) as url:
        yield url


def wait_until(condition: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return result


def first_message() -> ConversationInitiationData:
    return ConversationInitiationData(
        conversation_config_override={"agent": {"first_message": FIRST}}
    )


def test_conversation_speaks_listens_and_answers(
    base: str, speech: dict[str, bytes], transcribe: Transcriber
) -> None:
    mic = SyncMicrophone()
    responses: list[str] = []
    transcripts: list[str] = []
    latencies: list[int] = []
    conversation = Conversation(
        ElevenLabs(base_url=base, api_key=KEY),
        "help-desk",
        requires_auth=True,
        audio_interface=mic,
        config=first_message(),
        callback_agent_response=responses.append,
        callback_user_transcript=transcripts.append,
        callback_latency_measurement=latencies.append,
    )
    conversation.start_session()
    try:
        wait_until(lambda: responses == [FIRST] and mic.quiet_for(0.5))
        asked = time.monotonic()
        mic.say(speech[QUESTION])
        heard = wait_until(lambda: transcripts)[0]
        assert "audio formats" in heard
        answer = wait_until(lambda: responses[1:])[0]
        assert "mp3" in answer and "wav" in answer
        wait_until(lambda: mic.received(asked) and mic.quiet_for(0.5), timeout=30)
        answer_audio = mic.received(asked)
        conversation.send_user_message("Is there a health check?")
        typed = wait_until(lambda: responses[2:])[0]
        assert "health" in typed.lower()
        wait_until(lambda: latencies, timeout=10)  # pongs went back, round trips came in
    finally:
        conversation.end_session()
    conversation_id = conversation.wait_for_session_end()
    assert conversation_id is not None and conversation_id.startswith("conv_")
    spoken = transcribe(Decoded(np.frombuffer(answer_audio, "<i2"), RATE, "pcm"))
    # pocketsphinx's general model on espeak hears few words of the answer reliably: two of
    # its format names (or "format"/"extension") are enough, and not every run keeps "format"
    names = ("m p three", "p c m", "opus", "flac", "format", "extension")
    assert sum(name in spoken for name in names) >= 2, spoken


def test_client_tool_round_trip(base: str, llm: FakeLLM) -> None:
    llm.script[:] = [
        stream(tool_call_events("get_user_name", {})),
        stream(text_events("Nice to meet you, Ada.")),
    ]
    tools = ClientTools()
    tools.register("get_user_name", lambda parameters: "Ada")
    responses: list[str] = []
    conversation = Conversation(
        ElevenLabs(base_url=base, api_key=KEY),
        "tool-desk",
        requires_auth=True,
        client_tools=tools,
        config=ConversationInitiationData(
            conversation_config_override={"agent": {"first_message": ""}}
        ),
        callback_agent_response=responses.append,
    )
    conversation.start_session()
    try:
        wait_until(lambda: conversation._ws is not None)
        conversation.send_user_message("What is my name?")
        assert wait_until(lambda: responses)[0] == "Nice to meet you, Ada."
    finally:
        conversation.end_session()
    conversation.wait_for_session_end()
    tool_message = llm.chats[1]["messages"][-1]
    assert (tool_message["role"], tool_message["content"]) == ("tool", "Ada")


async def test_async_conversation_is_interrupted(base: str, speech: dict[str, bytes]) -> None:
    mic = AsyncMicrophone()
    responses: list[str] = []
    corrections: list[tuple[str, str]] = []

    async def on_response(text: str) -> None:
        responses.append(text)

    async def on_correction(original: str, corrected: str) -> None:
        corrections.append((original, corrected))

    conversation = AsyncConversation(
        ElevenLabs(base_url=base, api_key=KEY),
        "help-desk",
        requires_auth=True,
        audio_interface=mic,
        config=first_message(),
        callback_agent_response=on_response,
        callback_agent_response_correction=on_correction,
    )
    await conversation.start_session()
    try:
        await _until(lambda: responses == [FIRST] and mic.quiet_for(0.5))
        await conversation.send_user_message(QUESTION)
        await _until(lambda: responses[1:])
        await asyncio.sleep(1.0)  # the answer is playing
        mic.say(speech["How do I install it?"])
        await _until(lambda: corrections)
        original, corrected = corrections[0]
        assert original == responses[1] and original.startswith(corrected)
        assert len(corrected) < len(original)
        assert mic.interruptions == 1
        answer = await _until(lambda: responses[2:])
        assert "pip install" in answer[0]
    finally:
        await conversation.end_session()
    assert (await conversation.wait_for_session_end() or "").startswith("conv_")


async def _until(condition: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return result
