"""Conversation records end to end: a real server, real conversations, the official SDK.

Consent given: the transcript, the kept variables and both audio tracks are stored
encrypted, listed and read through ``elevenlabs``' ``conversational_ai.conversations``
client, exported, deleted (and then nothing of it is left on disk), and a signed
post-call webhook reaches a local receiver. Consent missing, zero retention and the
default settings keep nothing, and the last writes nothing to disk at all.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from elevenlabs.client import ElevenLabs
from elevenlabs.core import ApiError
from websockets.asyncio.client import connect

from tests.conftest import decode
from tests.test_agent_session import RATE, Talk, _agent_file, ws_url
from tts_agents import TTSAgent
from tts_agents.agent.config import default_agent_path, load_agent
from tts_agents.records.repository import Repository
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.records_hub import conversation_ref
from tts_agents.server.testing import running_server

KEY = "test-key-records"
HOOK_SECRET = "hook-secret-" + "x" * 24
QUESTION = "What audio formats can you make?"


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint on 127.0.0.1 that keeps every delivery."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", 0), _Hook)


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.deliveries.append((dict(self.headers), body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("records") / "data"
    saved = {name: os.environ.get(name) for name in _ENV}
    os.environ.update(
        TTS_AGENTS_DATA_DIR=str(folder),
        TTS_AGENTS_MASTER_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        RECORDS_HOOK_SECRET=HOOK_SECRET,
    )
    yield folder
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


_ENV = ("TTS_AGENTS_DATA_DIR", "TTS_AGENTS_MASTER_KEY", "RECORDS_HOOK_SECRET")


@pytest.fixture(scope="module")
def base(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, receiver: Receiver
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("agents")
    hook = {
        "url": f"http://127.0.0.1:{receiver.server_address[1]}/hook",
        "secret_env": "RECORDS_HOOK_SECRET",
        "allow_hosts": ["127.0.0.1"],
    }
    keeper = _agent_file(
        folder,
        "keeper",
        public=True,
        privacy={
            "store_transcripts": True,
            "record_audio": True,
            "retention_days": {"transcripts": 30, "audio": 7},
            "keep_variables": ["plan"],
            "redact": ["email"],
        },
        webhooks=[hook],
    )
    forgetter = _agent_file(
        folder,
        "forgetter",
        public=True,
        privacy={"store_transcripts": True, "record_audio": True, "zero_retention": True},
    )
    agents = (load_agent(default_agent_path()), load_agent(keeper), load_agent(forgetter))
    settings = ServerSettings(api_keys=(KEY,), agents=agents)
    with running_server(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def question() -> bytes:
    async def synthesize() -> bytes:
        async with TTSAgent() as agent:
            stream = agent.prepare(QUESTION, format="pcm", sample_rate=RATE, voice="echo")
            return b"".join([chunk.pcm async for chunk in stream.pcm()])

    return asyncio.run(synthesize())


@pytest.fixture(scope="module")
def client(base: str) -> ElevenLabs:
    return ElevenLabs(api_key=KEY, base_url=base)


async def converse(base: str, agent: str, pcm: bytes, **variables: Any) -> str:
    """One conversation: a greeting, the question, the answer; returns its id."""
    async with connect(ws_url(base, agent)) as ws:
        talk = Talk(ws)
        metadata = await talk.start(
            "Hello, write to me at ann@example.com.", dynamic_variables=variables
        )
        await talk.next("agent_response")
        await _quiet(talk)  # let the greeting play out, or the question would interrupt it
        count = len(talk.events)
        await talk.say(pcm, silence=0.8)
        await talk.next("user_transcript", after=count)
        await talk.next("agent_response", after=count, timeout=30)
        await talk.next("audio", after=len(talk.events) - 1, timeout=30)
        await asyncio.sleep(0.5)
        await talk.close()
    await asyncio.sleep(0.5)  # the server closes the record as the session ends
    return metadata["conversation_initiation_metadata_event"]["conversation_id"]


def files_contain(folder: Path, *needles: bytes) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {needle!r}" for needle in needles if needle in data]
    return found


async def test_consented_conversation_is_kept_encrypted_listed_read_and_deleted(
    base: str, client: ElevenLabs, data_dir: Path, receiver: Receiver, question: bytes
) -> None:
    conversation = await converse(
        base, "keeper", question, user_consent=True, plan="gold", tier="x"
    )
    page = client.conversational_ai.conversations.list(agent_id="keeper")
    assert conversation in [c.conversation_id for c in page.conversations]
    detail = client.conversational_ai.conversations.get(conversation)
    assert detail.agent_id == "keeper" and detail.status == "done"
    roles = [(turn.role, turn.message) for turn in detail.transcript]
    assert roles[0] == ("agent", "Hello, write to me at [redacted].")  # redacted before storage
    assert any(role == "user" and "format" in (text or "").lower() for role, text in roles), roles
    assert any(role == "agent" and "mp3" in (text or "") for role, text in roles[1:]), roles
    variables = detail.conversation_initiation_client_data.dynamic_variables
    assert variables == {"plan": "gold"}  # only what the agent keeps
    audio = b"".join(client.conversational_ai.conversations.audio.get(conversation))
    heard = decode(audio)
    assert heard.codec == "mp3" and heard.duration > 2.0
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            f"{base}/v1/convai/conversations/{conversation}/export", headers={"xi-api-key": KEY}
        )
    exported = answer.json()
    assert exported["conversation"]["conversation_id"] == conversation
    assert exported["retention"]["audio_until"] < exported["retention"]["transcript_until"]
    assert exported["audio"]["tracks"] == ["user", "agent"]
    # at rest: neither the words nor a WAV header nor the e-mail address
    phrase = b"audio formats"
    assert files_contain(data_dir, phrase, b"RIFF", b"ann@example.com") == []
    # the post-call webhook, signed as ElevenLabs signs it
    await _wait(lambda: any(conversation.encode() in body for _, body in receiver.deliveries))
    headers, body = next(d for d in receiver.deliveries if conversation.encode() in d[1])
    stamp, signature = headers["ElevenLabs-Signature"].split(",")
    expected = hmac.new(HOOK_SECRET.encode(), f"{stamp[2:]}.".encode() + body, hashlib.sha256)
    assert signature == "v0=" + expected.hexdigest()
    assert json.loads(body)["type"] == "post_call_transcription"
    # deleted: gone from the API and from every byte on disk
    client.conversational_ai.conversations.delete(conversation)
    with pytest.raises(ApiError) as missing:
        client.conversational_ai.conversations.get(conversation)
    assert missing.value.status_code == 404
    assert files_contain(data_dir, conversation.encode(), phrase) == []
    async with await Repository.open(
        f"sqlite+aiosqlite:///{data_dir / 'records.db'}"
    ) as repository:
        entries = await repository.audit_log(limit=1000)
    reference = conversation_ref(conversation)  # the log keeps a digest, not the id
    actions = [(e.action, e.actor) for e in entries if e.conversation_id == reference]
    assert {action for action, _ in actions} >= {"read", "audio", "export", "delete"}
    assert all(KEY not in actor for _, actor in actions)


async def test_without_consent_nothing_is_kept(
    base: str, client: ElevenLabs, question: bytes
) -> None:
    conversation = await converse(base, "keeper", question, plan="gold")
    listed = client.conversational_ai.conversations.list(agent_id="keeper", page_size=100)
    assert conversation not in [c.conversation_id for c in listed.conversations]


async def test_zero_retention_keeps_nothing_and_logs_no_words(
    base: str, client: ElevenLabs, data_dir: Path, question: bytes
) -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        conversation = await converse(base, "forgetter", question, user_consent=True)
    finally:
        logging.getLogger().removeHandler(handler)
    listed = client.conversational_ai.conversations.list(page_size=100)
    assert conversation not in [c.conversation_id for c in listed.conversations]
    assert files_contain(data_dir, conversation.encode()) == []
    logged = [record.getMessage() for record in records]
    assert not [line for line in logged if "format" in line.lower() or "ann@" in line], logged


async def test_default_settings_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, question: bytes
) -> None:
    folder = tmp_path / "data"
    monkeypatch.setenv("TTS_AGENTS_DATA_DIR", str(folder))
    monkeypatch.delenv("TTS_AGENTS_MASTER_KEY", raising=False)
    agent = load_agent(_agent_file(tmp_path, "plain", public=True))
    settings = ServerSettings(api_keys=(KEY,), agents=(agent,))
    with running_server(create_app(settings)) as url:
        await converse(url, "plain", question, user_consent=True)
        page = ElevenLabs(api_key=KEY, base_url=url).conversational_ai.conversations.list()
    assert page.conversations == [] and not folder.exists()


async def _quiet(talk: Talk, gap: float = 1.0) -> None:
    """Until the agent's speech so far has played out (as a client's speaker would)."""
    first = next(at for at, m in talk.events if m["type"] == "audio") if talk.of("audio") else None
    if first is None:
        await talk.next("audio")
        return await _quiet(talk, gap)
    while True:
        count = len(talk.events)
        await asyncio.sleep(gap)
        if not any(m["type"] == "audio" for _, m in talk.events[count:]):
            break
    seconds = sum(
        len(base64.b64decode(m["audio_event"]["audio_base_64"])) / 2 / RATE
        for m in talk.of("audio")
    )
    await asyncio.sleep(max(0.0, first + seconds + 0.3 - time.monotonic()))


async def _wait(condition: Any, timeout: float = 15) -> None:
    for _ in range(int(timeout / 0.1)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


async def test_a_call_that_never_starts_sends_an_initiation_failure(
    base: str, receiver: Receiver
) -> None:
    before = len(receiver.deliveries)
    async with connect(ws_url(base, "keeper")):
        pass  # gone before the initiation data
    await _wait(lambda: len(receiver.deliveries) > before)
    event = json.loads(receiver.deliveries[before][1])
    assert event["type"] == "call_initiation_failure"
    assert event["data"]["agent_id"] == "keeper"
    assert "transcript" not in event["data"]  # nothing personal
