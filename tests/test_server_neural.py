"""The server with the default engine and Kokoro installed: the official SDKs get Kokoro audio
from a synthesis worker process, and the voice agent answers with Kokoro."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.conversational_ai.conversation import Conversation
from openai import OpenAI
from websockets.sync.client import connect

from tests.conftest import Decoded, Transcriber, decode, run_cli, words_heard
from tests.test_agent_sdk import FIRST, RATE, SyncMicrophone, first_message, wait_until
from tts_agents import TTSAgent, TTSConfig
from tts_agents.agent.config import default_agent_path, load_agent
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "neural-key"
RACHEL = "21m00Tcm4TlvDq8ikWAM"
SENTENCE = "Please tell me the weather forecast for tomorrow in London."
KEY_WORDS = {"please", "tell", "weather", "forecast", "tomorrow", "london"}
QUESTION = "What audio formats can you make?"


@pytest.fixture(scope="module")
def served(models_dir: Path) -> Iterator[tuple[str, Any]]:
    """One server: the default engine, one synthesis worker, the help-desk agent."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TTS_AGENTS_MODELS_DIR", str(models_dir))  # the worker inherits it
        agents = (load_agent(default_agent_path()),)
        settings = ServerSettings(
            api_keys=(KEY,), synthesis_workers=1, max_concurrent=8, agents=agents
        )
        app = create_app(settings)
        with running_server(app, startup_timeout=120) as url:
            yield url, app


def test_openai_sdk_gets_kokoro_audio_from_the_pool(
    served: tuple[str, Any], transcribe: Transcriber
) -> None:
    url, app = served
    opened = app.state.pool.opened
    client = OpenAI(base_url=url + "/v1", api_key=KEY, max_retries=0)
    audio = client.audio.speech.create(
        model="tts-1", voice="alloy", input=SENTENCE, response_format="mp3"
    ).content
    decoded = decode(audio)
    assert decoded.sample_rate == 24000  # Kokoro's rate: espeak-ng would give 22050
    assert 2.5 < decoded.duration < 6
    assert len(words_heard(transcribe(decoded), KEY_WORDS)) >= 5
    assert app.state.pool.opened == opened + 1  # a worker process spoke it


def test_elevenlabs_sdk_premade_voice_gets_kokoro(
    served: tuple[str, Any], transcribe: Transcriber
) -> None:
    url, _ = served
    client = ElevenLabs(base_url=url, api_key=KEY)
    rachel = client.voices.get(RACHEL)
    assert rachel.name == "Rachel" and "kokoro af_heart" in (rachel.description or "")
    audio = b"".join(
        client.text_to_speech.convert(RACHEL, text=SENTENCE, output_format="mp3_44100_128")
    )
    decoded = decode(audio)
    assert decoded.sample_rate == 44100
    assert len(words_heard(transcribe(decoded), KEY_WORDS)) >= 5
    timed = client.text_to_speech.convert_with_timestamps(RACHEL, text=SENTENCE)
    alignment = timed.alignment
    assert alignment is not None and "".join(alignment.characters) == SENTENCE
    starts = alignment.character_start_times_seconds
    assert starts == sorted(starts) and 2.5 < starts[-1] < 6


@pytest.fixture(scope="module")
def question(models_dir: Path) -> bytes:
    """The user's question at the microphone's rate, in a Kokoro voice: with the neural
    models installed the help desk hears with Whisper, which mishears espeak-ng's "audio
    formats" (the espeak-ng path is tested with pocketsphinx elsewhere)."""

    async def speak() -> bytes:
        async with TTSAgent(TTSConfig(engine="kokoro", models_dir=models_dir)) as agent:
            stream = agent.prepare(QUESTION, format="pcm", sample_rate=RATE, voice="echo")
            return b"".join([chunk.pcm async for chunk in stream.pcm()])

    import asyncio

    return asyncio.run(speak())


def test_the_voice_agent_answers_with_kokoro(
    served: tuple[str, Any], question: bytes, transcribe: Transcriber
) -> None:
    url, app = served
    runtime = app.state.conversations.runtimes["help-desk"]
    assert runtime.tts.engine.route("alloy")[0].name == "kokoro"
    mic = SyncMicrophone()
    responses: list[str] = []
    conversation = Conversation(
        ElevenLabs(base_url=url, api_key=KEY),
        "help-desk",
        requires_auth=True,
        audio_interface=mic,
        config=first_message(),
        callback_agent_response=responses.append,
    )
    conversation.start_session()
    try:
        wait_until(lambda: responses == [FIRST] and mic.quiet_for(0.5), timeout=30)
        asked = time.monotonic()
        mic.say(question)
        answer = wait_until(lambda: responses[1:], timeout=30)[0]
        assert "mp3" in answer
        wait_until(lambda: mic.received(asked) and mic.quiet_for(0.8), timeout=60)
    finally:
        conversation.end_session()
    conversation.wait_for_session_end()
    spoken = transcribe(Decoded(np.frombuffer(mic.received(asked), "<i2"), RATE, "pcm"))
    assert len(words_heard(spoken, {"audio", "formats", "telephone", "extension"})) >= 3, spoken


def test_clients_cannot_name_files_on_the_server(served: tuple[str, Any], models_dir: Path) -> None:
    url, _ = served
    model = str(models_dir / "piper-joe" / "en_US-joe-medium.onnx")
    for voice in (model, "/nonexistent/x.onnx"):
        response = httpx.post(
            url + "/v1/audio/speech",
            json={"model": "tts-1", "input": "Hi.", "voice": voice},
            headers={"Authorization": f"Bearer {KEY}"},
        )
        assert response.status_code in (400, 404), response.text
        assert "not accepted here" in response.json()["error"]["message"]


def test_stream_input_websocket_speaks_with_kokoro(
    served: tuple[str, Any], transcribe: Transcriber
) -> None:
    url, _ = served
    ws_url = f"{url.replace('http://', 'ws://')}/v1/text-to-speech/{RACHEL}/stream-input"
    audio = b""
    with connect(ws_url + "?output_format=pcm_24000") as socket:
        socket.send(json.dumps({"text": " ", "xi-api-key": KEY}))
        for piece in ("Please tell me ", "the weather forecast ", "for tomorrow in London."):
            socket.send(json.dumps({"text": piece}))
        socket.send(json.dumps({"text": ""}))
        while True:
            message = json.loads(socket.recv(timeout=60))
            if message.get("isFinal"):
                break
            if message.get("audio"):
                audio += base64.b64decode(message["audio"])
    decoded = decode(audio, pcm_rate=24000)
    assert 2.5 < decoded.duration < 7
    assert len(words_heard(transcribe(decoded), KEY_WORDS)) >= 4


def test_batch_workers_each_speak_with_kokoro(models_dir: Path, tmp_path: Path) -> None:
    texts = [f"Item number {n}: the weather forecast for tomorrow." for n in range(1, 9)]
    result = run_cli(
        "batch", *texts, "-d", str(tmp_path), "--format", "wav", "--concurrent", "2",
        env={"TTS_AGENTS_MODELS_DIR": str(models_dir)}, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    files = sorted(tmp_path.glob("*.wav"))
    assert len(files) == 8
    assert {decode(path).sample_rate for path in files} == {24000}  # Kokoro's rate
