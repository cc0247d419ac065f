"""Conversation records in ElevenLabs' JSON shapes: the history list, one conversation, webhooks.

Pure functions from :mod:`tts_agents.records.model` to plain ``dict``s whose field names and
types are those of the official ``elevenlabs`` SDK's models
(``GetConversationsPageResponseModel``, ``GetConversationResponseModel`` and the
``ConversationHistoryTranscript*`` models), so a client written for ElevenLabs' ConvAI
history API, or for its post-call webhooks, reads ours unchanged. As ElevenLabs does, times
are whole unix seconds and whole seconds into the call; a naive ``datetime`` is taken as UTC.

Our turn latencies (milliseconds) become ElevenLabs' ``conversation_turn_metrics``
(seconds): ``stt`` is ``convai_turn_asr_latency``, ``llm_first_token``
``convai_llm_service_ttfb``, ``tts_first_audio`` ``convai_tts_service_ttfb`` and ``total``
(end of the caller's speech to the first audio) ``convai_ttf_audio_since_silence``; any other
metric keeps its own name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from tts_agents.records.model import (
    ConversationRecord,
    ConversationSummary,
    Page,
    Status,
    ToolCall,
    TurnRecord,
)

WebhookKind = Literal["post_call_transcription", "call_initiation_failure"]
CallSuccess = Literal["success", "failure", "unknown"]

# ElevenLabs' statuses are "initiated", "in-progress", "processing", "done" and "failed";
# ours are a subset (a record starts in progress, and nothing is processed after the call).
_STATUS: dict[Status, str] = {"in-progress": "in-progress", "done": "done", "failed": "failed"}
# No evaluation criteria run here, so a call that ended normally counts as a success.
_SUCCESS: dict[Status, CallSuccess] = {
    "in-progress": "unknown",
    "done": "success",
    "failed": "failure",
}
_METRICS = {
    "stt": "convai_turn_asr_latency",
    "llm_first_token": "convai_llm_service_ttfb",  # nosec B105 - a metric name, not a secret
    "tts_first_audio": "convai_tts_service_ttfb",
    "total": "convai_ttf_audio_since_silence",
}
#: Bumped when the layout of :func:`export_json` changes.
EXPORT_VERSION = 1


@dataclass(frozen=True, slots=True)
class InitiationFailure:
    """A conversation that never began, for the ``call_initiation_failure`` webhook.

    ``reason`` is one of ElevenLabs' ``busy``, ``no-answer`` or ``unknown``; ``channel`` and
    ``details`` become the event's ``metadata`` (``{"type": channel, "body": details}``).
    """

    agent_id: str
    conversation_id: str
    reason: Literal["busy", "no-answer", "unknown"] = "unknown"
    channel: str = "websocket"
    details: dict[str, Any] = field(default_factory=dict)


def page_json(page: Page, agent_names: Mapping[str, str]) -> dict[str, Any]:
    """``GET /v1/convai/conversations``: one page of summaries, newest first."""
    return {
        "conversations": [
            summary_json(row, agent_names.get(row.agent_id)) for row in page.conversations
        ],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }


def summary_json(summary: ConversationSummary, agent_name: str | None) -> dict[str, Any]:
    """One row of the history list (``ConversationSummaryResponseModel``)."""
    return {
        "agent_id": summary.agent_id,
        "agent_name": agent_name,
        "conversation_id": summary.conversation_id,
        "start_time_unix_secs": unix_secs(summary.started_at),
        "call_duration_secs": round(summary.duration_secs),
        "message_count": summary.message_count,
        "status": _STATUS[summary.status],
        "termination_reason": summary.end_reason,
        "call_successful": _SUCCESS[summary.status],
    }


def conversation_json(record: ConversationRecord, agent_name: str | None) -> dict[str, Any]:
    """``GET /v1/convai/conversations/{id}``, also the ``data`` of a transcription webhook."""
    return {
        "agent_id": record.agent_id,
        "agent_name": agent_name,
        "conversation_id": record.conversation_id,
        "status": _STATUS[record.status],
        "transcript": [turn_json(turn) for turn in record.turns],
        "metadata": {
            "start_time_unix_secs": unix_secs(record.started_at),
            "call_duration_secs": round(record.duration_secs),
            "termination_reason": record.end_reason,
        },
        "analysis": {"call_successful": _SUCCESS[record.status], "transcript_summary": ""},
        "user_message_count": _count(record.turns, "user"),
        "agent_message_count": _count(record.turns, "agent"),
        "conversation_initiation_client_data": {"dynamic_variables": dict(record.variables)},
        "has_audio": record.has_user_audio or record.has_agent_audio,
        "has_user_audio": record.has_user_audio,
        "has_response_audio": record.has_agent_audio,
        "has_auxiliary_audio": False,
    }


def turn_json(turn: TurnRecord) -> dict[str, Any]:
    """One transcript entry (``ConversationHistoryTranscriptResponseModel``)."""
    metrics = {
        _METRICS.get(name, name): {"elapsed_time": millis / 1000}
        for name, millis in turn.latency_ms.items()
    }
    return {
        "role": turn.role,
        "message": turn.text,
        "time_in_call_secs": int(turn.time_in_call_secs),
        "interrupted": turn.interrupted,
        "original_message": turn.original_text,
        "tool_calls": [tool_call_json(call) for call in turn.tool_calls],
        "tool_results": [
            tool_result_json(call) for call in turn.tool_calls if call.result is not None
        ],
        "conversation_turn_metrics": {"metrics": metrics} if metrics else None,
    }


def tool_call_json(call: ToolCall) -> dict[str, Any]:
    """What the agent asked for (``ConversationHistoryTranscriptToolCallCommonModel``)."""
    return {
        "request_id": call.tool_call_id,
        "tool_name": call.name,
        "params_as_json": json.dumps(call.params, ensure_ascii=False, separators=(",", ":")),
        "tool_has_been_called": True,
    }


def tool_result_json(call: ToolCall) -> dict[str, Any]:
    """What came back (``ConversationHistoryTranscriptOtherToolsResultCommonModel``)."""
    return {
        "request_id": call.tool_call_id,
        "tool_name": call.name,
        "result_value": call.result or "",
        "is_error": call.is_error,
        "tool_has_been_called": True,
    }


def export_json(record: ConversationRecord, audio_present: bool) -> dict[str, Any]:
    """Everything held about one conversation, for a data-subject access request.

    The conversation in its history shape, when the transcript and the audio will be
    deleted (ISO 8601, None: kept until deleted), and which audio tracks are stored
    (``audio_present`` says whether audio is still held at all).
    """
    held = {"user": record.has_user_audio, "agent": record.has_agent_audio}
    tracks = [track for track, kept in held.items() if kept] if audio_present else []
    return {
        "export_version": EXPORT_VERSION,
        "conversation": conversation_json(record, None),
        "started_at": _iso(record.started_at),
        "ended_at": _iso(record.ended_at),
        "retention": {
            "transcript_until": _iso(record.transcript_until),
            "audio_until": _iso(record.audio_until),
        },
        "audio": {"stored": audio_present, "tracks": tracks},
    }


def webhook_payload(
    kind: WebhookKind,
    subject: ConversationRecord | InitiationFailure,
    now: datetime,
    *,
    agent_name: str | None = None,
) -> dict[str, Any]:
    """A post-call webhook event: ``{"type", "event_timestamp", "data"}``.

    ``post_call_transcription`` carries a finished :class:`ConversationRecord` as
    :func:`conversation_json`; ``call_initiation_failure`` an :class:`InitiationFailure`
    as ``{agent_id, conversation_id, failure_reason, metadata}``.
    """
    data: dict[str, Any]
    if kind == "post_call_transcription" and isinstance(subject, ConversationRecord):
        data = conversation_json(subject, agent_name)
    elif kind == "call_initiation_failure" and isinstance(subject, InitiationFailure):
        data = {
            "agent_id": subject.agent_id,
            "conversation_id": subject.conversation_id,
            "failure_reason": subject.reason,
            "metadata": {"type": subject.channel, "body": dict(subject.details)},
        }
    else:
        raise TypeError(f"a {kind} event cannot carry a {type(subject).__name__}")
    return {"type": kind, "event_timestamp": unix_secs(now), "data": data}


def unix_secs(when: datetime) -> int:
    """Whole unix seconds; a naive ``datetime`` is taken as UTC."""
    return int(_aware(when).timestamp())


def _iso(when: datetime | None) -> str | None:
    return None if when is None else _aware(when).isoformat()


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def _count(turns: tuple[TurnRecord, ...], role: str) -> int:
    # ElevenLabs counts turns with text only; tool-only turns are left out.
    return sum(1 for turn in turns if turn.role == role and turn.text.strip())


__all__ = [
    "EXPORT_VERSION",
    "CallSuccess",
    "InitiationFailure",
    "WebhookKind",
    "conversation_json",
    "export_json",
    "page_json",
    "summary_json",
    "tool_call_json",
    "tool_result_json",
    "turn_json",
    "unix_secs",
    "webhook_payload",
]
