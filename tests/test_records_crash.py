"""Records survive a killed server, and the ``privacy`` commands look after them.

A real ``tts-agents serve`` process is SIGKILLed mid-conversation: on restart the finished
turns are there, the call is marked failed, and ``privacy`` purge (dry run), audit and
rotate-key work on the same store. A server whose agent keeps records but has no master
key refuses to start, in one line, before printing anything else.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from elevenlabs.client import ElevenLabs
from websockets.asyncio.client import connect

from tests.conftest import free_port, run_cli, wait_healthy
from tests.test_agent_session import Talk, _agent_file, ws_url
from tests.test_records_server import _quiet, question  # noqa: F401 - a fixture
from tts_agents.records.crypto import MasterKey, MasterKeyMismatch
from tts_agents.records.repository import Repository


@contextmanager
def serving(agent: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_AGENTS_", "OPENAI_"))}
    process = subprocess.Popen(  # noqa: S603 - fixed interpreter and module
        [sys.executable, "-m", "tts_agents", "serve", "--no-auth", "--port", str(port)]
        + ["--agent", str(agent), "--workers", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**clean, **env},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, timeout=60)
        yield process, url
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def test_serve_refuses_a_keeping_agent_without_a_master_key(tmp_path: Path) -> None:
    agent = _agent_file(tmp_path, "keeper", public=True, privacy={"store_transcripts": True})
    result = run_cli(
        "serve",
        "--agent",
        str(agent),
        "--port",
        str(free_port()),
        env={"TTS_AGENTS_DATA_DIR": str(tmp_path / "data")},
    )
    assert result.returncode == 2
    assert result.stdout == b""  # no key, no login link
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "TTS_AGENTS_MASTER_KEY" in lines[0], lines
    assert not (tmp_path / "data").exists()


async def test_a_killed_server_keeps_the_finished_turns(
    tmp_path: Path,
    question: bytes,  # noqa: F811 - the fixture imported above
) -> None:
    data = tmp_path / "data"
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    env = {"TTS_AGENTS_DATA_DIR": str(data), "TTS_AGENTS_MASTER_KEY": key}
    agent = _agent_file(tmp_path, "keeper", public=True, privacy={"store_transcripts": True})
    with serving(agent, env) as (process, url):
        async with connect(ws_url(url, "keeper")) as ws:
            talk = Talk(ws)
            metadata = await talk.start("Hello there.", dynamic_variables={"user_consent": True})
            await talk.next("agent_response")
            await _quiet(talk)
            count = len(talk.events)
            await talk.say(question, silence=0.8)
            await talk.next("user_transcript", after=count)
            await asyncio.sleep(0.3)  # the user's turn is committed as it ends
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
    conversation = metadata["conversation_initiation_metadata_event"]["conversation_id"]
    with serving(agent, env) as (_, url):  # restarting marks the open call failed
        client = ElevenLabs(api_key="unused", base_url=url)
        detail = client.conversational_ai.conversations.get(conversation)
    assert detail.status == "failed"
    assert detail.metadata.termination_reason == "server stopped"
    said = [(turn.role, turn.message) for turn in detail.transcript]
    assert said[0] == ("agent", "Hello there.")
    assert said[1][0] == "user" and "format" in (said[1][1] or "")

    store = {"TTS_AGENTS_DATA_DIR": str(data), "TTS_AGENTS_MASTER_KEY": key}
    dry = run_cli("privacy", "purge", "--dry-run", "--json", env=store)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["conversations"] == 0  # 30 days to go
    audit = run_cli("privacy", "audit", "--json", env=store)
    assert audit.returncode == 0, audit.stderr
    assert "read" in [entry["action"] for entry in json.loads(audit.stdout)]

    new_key = tmp_path / "new.key"
    new_key.write_text(MasterKey.generate().to_base64())
    new_key.chmod(0o600)
    rotated = run_cli("privacy", "rotate-key", "--new-key-file", str(new_key), env=store)
    assert rotated.returncode == 0, rotated.stderr
    url = f"sqlite+aiosqlite:///{data / 'records.db'}"
    async with await Repository.open(url, MasterKey.from_file(new_key)) as repository:
        assert (await repository.get(conversation)) is not None
    async with await Repository.open(url, MasterKey.from_base64(key)) as repository:
        with pytest.raises(MasterKeyMismatch):
            await repository.get(conversation)
