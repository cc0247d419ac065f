"""The recorder turns a session's events into a record, on a real SQLite store.

Interrupted answers keep what was heard and what was meant; client tools and tools the
server ran keep their results; turn metrics become latencies; both audio tracks are kept
at their place in the call; only the variables the agent names survive; text is redacted.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from tts_agents.agent.brain import ToolUse
from tts_agents.records.crypto import MasterKey
from tts_agents.records.privacy import PrivacySettings
from tts_agents.records.recorder import AUDIO_RATE, ConversationRecorder
from tts_agents.records.repository import Repository

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PCM = b"\x01\x00" * AUDIO_RATE  # one second


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_conversation_becomes_a_record(tmp_path: Path) -> None:
    repository = await Repository.open(
        f"sqlite+aiosqlite:///{tmp_path / 'records.db'}", MasterKey.generate()
    )
    settings = PrivacySettings(
        store_transcripts=True,
        record_audio=True,
        consent="none",
        redact=("email",),
        keep_variables=("plan",),
    )
    finished = []

    async def on_finished(*args: object) -> None:
        finished.append(args)

    clock = Clock()
    recorder = ConversationRecorder(
        repository, settings, "desk", on_finished=on_finished, clock=lambda: START, monotonic=clock
    )
    recorder.conversation_id = "conv_1"
    recorder.begin("conv_1", {"plan": "gold", "secret": "x"})
    recorder.observe(
        {"type": "agent_response", "agent_response_event": {"agent_response": "Hi, mail a@b.co."}}
    )
    recorder.observe(
        {"type": "audio", "audio_event": {"audio_base_64": base64.b64encode(PCM).decode()}}
    )
    clock.now += 1
    recorder.observe({"type": "interruption", "interruption_event": {"event_id": 1}})
    recorder.observe(
        {
            "type": "agent_response_correction",
            "agent_response_correction_event": {
                "original_agent_response": "Hi, mail a@b.co.",
                "corrected_agent_response": "Hi,",
            },
        }
    )
    recorder.user_audio(PCM)
    clock.now += 1
    recorder.observe(
        {
            "type": "user_transcript",
            "user_transcription_event": {"user_transcript": "where is my order"},
        }
    )
    recorder.observe(
        {
            "type": "client_tool_call",
            "client_tool_call": {
                "tool_name": "open_map",
                "tool_call_id": "c1",
                "parameters": {"q": "x"},
            },
        }
    )
    recorder.tool_result("c1", "opened", False)
    recorder.tool_used(ToolUse("w1", "order_status", {"order": "7"}, "shipped", False))
    recorder.observe(
        {"type": "agent_response", "agent_response_event": {"agent_response": "It shipped."}}
    )
    recorder.observe(
        {
            "type": "turn_metrics",
            "turn_metrics_event": {"stt_final_ms": 300, "voice_to_voice_ms": 900},
        }
    )
    await recorder.finish("done", "client left")

    record = await repository.get("conv_1")
    audio = await repository.audio("conv_1")
    await repository.close()
    assert record is not None and record.status == "done" and record.variables == {"plan": "gold"}
    first, user, tools, answer = record.turns
    assert (first.text, first.original_text, first.interrupted) == (
        "Hi,",
        "Hi, mail [redacted].",
        True,
    )
    assert (user.role, user.text, user.time_in_call_secs) == ("user", "where is my order", 2.0)
    assert [(c.name, c.result) for c in tools.tool_calls] == [
        ("open_map", "opened"),
        ("order_status", "shipped"),
    ]
    assert answer.text == "It shipped." and answer.latency_ms == {"stt": 300.0, "total": 900.0}
    assert audio is not None
    assert sorted((c.track, c.offset_secs, len(c.pcm)) for c in audio) == [
        ("agent", 0.0, len(PCM)),
        ("user", 1.0, len(PCM)),
    ]
    assert finished == [("conv_1", "done", True, True)]


async def test_nothing_happens_without_a_plan(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'records.db'}"
    repository = await Repository.open(url, MasterKey.generate())
    recorder = ConversationRecorder(repository, PrivacySettings(store_transcripts=True), "desk")
    recorder.conversation_id = "conv_2"
    recorder.begin("conv_2", {})  # consent required, and not given
    recorder.observe(
        {"type": "user_transcript", "user_transcription_event": {"user_transcript": "hi"}}
    )
    recorder.user_audio(PCM)
    await recorder.finish("done", "bye")
    assert not recorder.keeping and await repository.get("conv_2") is None
    await repository.close()
