"""Conversation records in ElevenLabs' shapes, parsed back with the official SDK's models."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pydantic
import pytest
from elevenlabs.types import (
    ConversationHistoryTranscriptOtherToolsResultCommonModel,
    GetConversationResponseModel,
    GetConversationsPageResponseModel,
)

from tts_agents.records.model import (
    ConversationRecord,
    ConversationSummary,
    Page,
    ToolCall,
    TurnRecord,
)
from tts_agents.records.shapes import (
    InitiationFailure,
    conversation_json,
    export_json,
    page_json,
    webhook_payload,
)

START = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
STATUSES = {"initiated", "in-progress", "processing", "done", "failed"}


def record(**changes: Any) -> ConversationRecord:
    turns = (
        TurnRecord(0, "agent", "Hi, how can I help?", 0.0, latency_ms={"tts_first_audio": 180.0}),
        TurnRecord(
            1,
            "user",
            "What's the weather in Paris?",
            2.4,
            latency_ms={"stt": 120.0},
        ),
        TurnRecord(
            2,
            "agent",
            "It is sunny and",
            5.9,
            interrupted=True,
            original_text="It is sunny and twenty degrees in Paris today.",
            tool_calls=(
                ToolCall("call_1", "weather", {"city": "Paris", "units": "c"}, '{"temp":20}'),
                ToolCall("call_2", "forecast", {"days": 2}, "timed out", is_error=True),
                ToolCall("call_3", "log", {}),
            ),
            latency_ms={
                "stt": 110.0,
                "llm_first_token": 350.0,
                "tts_first_audio": 90.0,
                "total": 640.0,
                "vad": 12.0,
            },
        ),
    )
    fields: dict[str, Any] = {
        "conversation_id": "conv_1",
        "agent_id": "agent_1",
        "started_at": START,
        "ended_at": START + timedelta(seconds=12.6),
        "status": "done",
        "end_reason": "client disconnected",
        "turns": turns,
        "variables": {"user_name": "Ana", "plan": "pro"},
        "has_user_audio": True,
        "has_agent_audio": False,
        "transcript_until": START + timedelta(days=30),
        "audio_until": None,
    }
    fields.update(changes)
    return ConversationRecord(**fields)


def no_unknown_fields(model: pydantic.BaseModel, where: str = "") -> None:
    """The SDK models allow extra keys; ours must all be keys the SDK knows (no typos)."""
    assert not model.model_extra, f"{where or type(model).__name__}: {model.model_extra}"
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, dict):
            value = list(value.values())
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, pydantic.BaseModel):
                no_unknown_fields(item, f"{where}.{name}")


def test_page_parses_as_the_sdk_page_and_round_trips() -> None:
    rows = (
        ConversationSummary("conv_2", "agent_1", START, 61.6, 7, "done", "agent ended the call"),
        ConversationSummary("conv_1", "agent_2", START, 0.0, 1, "in-progress", None),
        ConversationSummary("conv_0", "agent_1", START, 3.2, 0, "failed", "error"),
    )
    body = page_json(Page(rows, "cursor-2", True), {"agent_1": "Support"})
    parsed = GetConversationsPageResponseModel.model_validate(json.loads(json.dumps(body)))

    no_unknown_fields(parsed)
    assert parsed.next_cursor == "cursor-2" and parsed.has_more is True
    first, second, third = parsed.conversations
    assert (first.agent_id, first.agent_name, first.conversation_id) == (
        "agent_1",
        "Support",
        "conv_2",
    )
    assert first.start_time_unix_secs == int(START.timestamp())
    assert first.call_duration_secs == 62 and first.message_count == 7
    assert first.termination_reason == "agent ended the call"
    assert second.agent_name is None  # an agent no longer configured
    assert [c.status for c in parsed.conversations] == ["done", "in-progress", "failed"]
    assert [c.call_successful for c in parsed.conversations] == ["success", "unknown", "failure"]
    assert {c.status for c in parsed.conversations} <= STATUSES
    assert third.termination_reason == "error"


def test_last_page_has_no_cursor() -> None:
    parsed = GetConversationsPageResponseModel.model_validate(page_json(Page((), None, False), {}))
    assert parsed.conversations == [] and parsed.next_cursor is None and not parsed.has_more


def test_conversation_parses_as_the_sdk_conversation() -> None:
    body = conversation_json(record(), "Support")
    parsed = GetConversationResponseModel.model_validate(json.loads(json.dumps(body)))

    no_unknown_fields(parsed)
    assert (parsed.agent_id, parsed.agent_name, parsed.conversation_id) == (
        "agent_1",
        "Support",
        "conv_1",
    )
    assert parsed.status == "done"
    assert parsed.metadata.start_time_unix_secs == int(START.timestamp())
    assert parsed.metadata.call_duration_secs == 13
    assert parsed.metadata.termination_reason == "client disconnected"
    assert (parsed.has_audio, parsed.has_user_audio, parsed.has_response_audio) == (
        True,
        True,
        False,
    )
    assert parsed.has_auxiliary_audio is False
    assert parsed.user_message_count == 1 and parsed.agent_message_count == 2
    assert parsed.analysis is not None and parsed.analysis.call_successful == "success"
    client_data = parsed.conversation_initiation_client_data
    assert client_data is not None
    assert client_data.dynamic_variables == {"user_name": "Ana", "plan": "pro"}


def test_transcript_keeps_roles_times_and_interruptions() -> None:
    parsed = GetConversationResponseModel.model_validate(conversation_json(record(), None))
    greeting, question, answer = parsed.transcript

    assert [t.role for t in parsed.transcript] == ["agent", "user", "agent"]
    assert [t.time_in_call_secs for t in parsed.transcript] == [0, 2, 5]
    assert question.message == "What's the weather in Paris?" and not question.interrupted
    assert question.original_message is None
    assert answer.interrupted is True
    assert answer.message == "It is sunny and"
    assert answer.original_message == "It is sunny and twenty degrees in Paris today."
    assert greeting.tool_calls == [] and greeting.tool_results == []


def test_tool_calls_and_results_use_the_sdk_shapes() -> None:
    parsed = GetConversationResponseModel.model_validate(conversation_json(record(), None))
    answer = parsed.transcript[2]

    assert answer.tool_calls is not None and answer.tool_results is not None
    assert [c.request_id for c in answer.tool_calls] == ["call_1", "call_2", "call_3"]
    weather = answer.tool_calls[0]
    assert weather.tool_name == "weather" and weather.tool_has_been_called
    assert json.loads(weather.params_as_json) == {"city": "Paris", "units": "c"}
    # A call that never returned (call_3) has no result.
    assert [r.request_id for r in answer.tool_results] == ["call_1", "call_2"]
    ok, failed = answer.tool_results
    assert isinstance(ok, ConversationHistoryTranscriptOtherToolsResultCommonModel)
    assert isinstance(failed, ConversationHistoryTranscriptOtherToolsResultCommonModel)
    assert (ok.tool_name, ok.result_value, ok.is_error) == ("weather", '{"temp":20}', False)
    assert (failed.tool_name, failed.result_value, failed.is_error) == (
        "forecast",
        "timed out",
        True,
    )


def test_latencies_become_turn_metrics_in_seconds() -> None:
    parsed = GetConversationResponseModel.model_validate(conversation_json(record(), None))
    answer = parsed.transcript[2]

    assert answer.conversation_turn_metrics is not None
    metrics = answer.conversation_turn_metrics.metrics or {}
    seconds = {name: metric.elapsed_time for name, metric in metrics.items()}
    assert seconds == pytest.approx(
        {
            "convai_turn_asr_latency": 0.11,
            "convai_llm_service_ttfb": 0.35,
            "convai_tts_service_ttfb": 0.09,
            "convai_ttf_audio_since_silence": 0.64,
            "vad": 0.012,
        }
    )
    bare = conversation_json(record(turns=(TurnRecord(0, "user", "hello", 1.0),)), None)
    assert bare["transcript"][0]["conversation_turn_metrics"] is None


def test_in_progress_conversation() -> None:
    live = record(status="in-progress", ended_at=None, end_reason=None, has_user_audio=False)
    parsed = GetConversationResponseModel.model_validate(conversation_json(live, None))
    assert parsed.status == "in-progress" and parsed.metadata.call_duration_secs == 0
    assert parsed.has_audio is False
    assert parsed.analysis is not None and parsed.analysis.call_successful == "unknown"


def test_naive_datetimes_are_utc() -> None:
    naive = record(started_at=START.replace(tzinfo=None), ended_at=None, status="in-progress")
    body = conversation_json(naive, None)
    assert body["metadata"]["start_time_unix_secs"] == int(START.timestamp())


def test_export_holds_the_conversation_retention_and_audio_tracks() -> None:
    body = json.loads(json.dumps(export_json(record(has_agent_audio=True), audio_present=True)))

    conversation = GetConversationResponseModel.model_validate(body["conversation"])
    no_unknown_fields(conversation)
    assert conversation.conversation_id == "conv_1" and len(conversation.transcript) == 3
    assert conversation.transcript[2].original_message is not None
    assert body["export_version"] == 1
    assert datetime.fromisoformat(body["started_at"]) == START
    assert datetime.fromisoformat(body["ended_at"]) == START + timedelta(seconds=12.6)
    assert datetime.fromisoformat(body["retention"]["transcript_until"]) == START + timedelta(
        days=30
    )
    assert body["retention"]["audio_until"] is None
    assert body["audio"] == {"stored": True, "tracks": ["user", "agent"]}


def test_export_after_the_audio_was_purged() -> None:
    body = export_json(record(), audio_present=False)
    assert body["audio"] == {"stored": False, "tracks": []}


def test_transcription_webhook_carries_the_conversation() -> None:
    now = START + timedelta(seconds=20)
    event = json.loads(json.dumps(webhook_payload("post_call_transcription", record(), now)))

    assert event["type"] == "post_call_transcription"
    assert event["event_timestamp"] == int(now.timestamp())
    data = GetConversationResponseModel.model_validate(event["data"])
    no_unknown_fields(data)
    assert data.conversation_id == "conv_1" and data.transcript[2].interrupted
    client_data = data.conversation_initiation_client_data
    assert client_data is not None and client_data.dynamic_variables == {
        "user_name": "Ana",
        "plan": "pro",
    }


def test_initiation_failure_webhook() -> None:
    failure = InitiationFailure("agent_1", "conv_9", "no-answer", "sip", {"code": 480})
    event = webhook_payload("call_initiation_failure", failure, START)

    assert event == {
        "type": "call_initiation_failure",
        "event_timestamp": int(START.timestamp()),
        "data": {
            "agent_id": "agent_1",
            "conversation_id": "conv_9",
            "failure_reason": "no-answer",
            "metadata": {"type": "sip", "body": {"code": 480}},
        },
    }


def test_webhook_kind_must_match_its_subject() -> None:
    with pytest.raises(TypeError):
        webhook_payload("call_initiation_failure", record(), START)
    with pytest.raises(TypeError):
        webhook_payload("post_call_transcription", InitiationFailure("a", "c"), START)
