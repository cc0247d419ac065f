"""Voice conversations, eight at a time, do not grow the server (issue 13, item 4).

200 spoken help-desk sessions over the ConvAI WebSocket against a real ``tts-agents serve``
process (espeak and pocketsphinx, so the run stays short): the server's RSS after them is
within 100 MB of what it was after a warm-up of 16. Before the fix it grew ~7 MB a session.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import psutil
import pytest
import yaml
from websockets.asyncio.client import connect

from tests.conftest import free_port, wait_healthy
from tts_agents import TTSAgent, TTSConfig

KEY = "test-key-soak"
SESSIONS, AT_ONCE, WARM_UP = 200, 8, 16
QUESTION = "What time does the library open?"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, psutil.Process]]:
    from tts_agents.agent.config import default_agent_path

    default = default_agent_path()
    agent = yaml.safe_load(default.read_text(encoding="utf-8"))
    agent |= {
        "id": "soak-desk",
        "voice": {"engine": "espeak", "name": "alloy", "speed": 1.0},
        "stt": {"engine": "pocketsphinx"},
        "knowledge_base": [str(default.parent / path) for path in agent["knowledge_base"]],
    }
    path = tmp_path_factory.mktemp("soak") / "soak_desk.yaml"
    path.write_text(yaml.safe_dump(agent), encoding="utf-8")
    port = free_port()
    env = {**os.environ, "TTS_AGENTS_API_KEYS": KEY}
    command = [sys.executable, "-m", "tts_agents", "serve", "--port", str(port)]
    process = subprocess.Popen(  # noqa: S603 - fixed interpreter and module
        [*command, "--engine", "espeak", "--agent", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, timeout=60)
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _question() -> list[str]:
    async def speak() -> bytes:
        async with TTSAgent(TTSConfig(engine="espeak")) as agent:
            stream = agent.prepare(QUESTION, format="pcm", sample_rate=16000, voice="echo")
            return b"".join([chunk.pcm async for chunk in stream.pcm()])

    pcm = bytes(8000) + asyncio.run(speak()) + bytes(32000)
    chunks = [pcm[i : i + 3200] for i in range(0, len(pcm), 3200)]
    return [json.dumps({"user_audio_chunk": base64.b64encode(c).decode()}) for c in chunks]


async def _conversation(url: str, chunks: list[str]) -> bool:
    """One spoken question, in real time; True when its transcript and answer came."""
    ws_url = url.replace("http://", "ws://") + "/v1/convai/conversation?agent_id=soak-desk"
    async with connect(ws_url, additional_headers={"xi-api-key": KEY}) as ws:
        await ws.send(json.dumps({"type": "conversation_initiation_client_data"}))

        async def speak() -> None:
            for chunk in chunks:
                await ws.send(chunk)
                await asyncio.sleep(0.1)

        sender = asyncio.create_task(speak())
        heard = False
        try:
            async with asyncio.timeout(30):
                async for raw in ws:
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "ping":
                        pong = {"type": "pong", "event_id": message["ping_event"]["event_id"]}
                        await ws.send(json.dumps(pong))
                    heard = heard or kind == "user_transcript"
                    if heard and kind == "agent_response":
                        return True
        except TimeoutError:
            return False
        finally:
            sender.cancel()
    return False


def _idle_rss(url: str, process: psutil.Process) -> float:
    """The server's RSS in MB once its conversations have ended and it has tidied up."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        metrics = httpx.get(url + "/metrics", headers={"xi-api-key": KEY}).text
        active = re.search(r"^tts_agents_conversations_active (\S+)", metrics, re.MULTILINE)
        if active and float(active.group(1)) == 0:
            break
        time.sleep(0.2)
    time.sleep(2)  # a finished conversation's memory goes back a moment after it ends
    return process.memory_info().rss / 2**20


def test_two_hundred_conversations_eight_at_a_time_keep_memory_flat(
    server: tuple[str, psutil.Process],
) -> None:
    url, process = server
    chunks = _question()

    async def batches(count: int) -> int:
        answered = 0
        for _ in range(count // AT_ONCE):
            runs = [_conversation(url, chunks) for _ in range(AT_ONCE)]
            answered += sum(await asyncio.gather(*runs))
            await asyncio.sleep(0.3)  # the batch's sessions end on the server too
        return answered

    warm_answered = asyncio.run(batches(WARM_UP))
    warm = _idle_rss(url, process)
    answered = asyncio.run(batches(SESSIONS - WARM_UP))
    after = _idle_rss(url, process)
    assert warm_answered + answered >= SESSIONS * 0.95, (warm_answered, answered)
    assert after - warm < 100, f"RSS {warm:.0f} MB after warm-up, {after:.0f} MB after"
