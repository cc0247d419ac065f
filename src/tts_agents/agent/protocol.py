"""The ElevenLabs Conversational AI event protocol: client messages in, server events out.

Every message is one JSON object in a text frame. Client messages are parsed into small
frozen dataclasses (:func:`parse_client_message`); server events are built by the
functions below, in exactly the shapes the official SDKs read (``elevenlabs`` 2.78:
``conversation.py``), so a missing key never ends an SDK session. Audio both ways is raw
PCM16 mono at 16 kHz, base64 in JSON.

One extension event, ``turn_metrics``, carries per-turn latencies; the SDKs ignore types
they do not know.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

SAMPLE_RATE = 16000
AUDIO_FORMAT = "pcm_16000"
TURN_METRICS = "turn_metrics"

UNSUPPORTED_DATA = 1003  # WebSocket close codes
POLICY = 1008
TOO_LARGE = 1009


class ProtocolError(Exception):
    """A client message the session cannot take.

    With a ``close_code`` the session ends with it; without one (an unknown message type,
    kept forward-compatible) the client gets an ``error`` event and the session goes on.
    """

    def __init__(
        self, reason: str, *, code: str, close_code: int | None = UNSUPPORTED_DATA
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.close_code = close_code


@dataclass(frozen=True)
class InitiationData:
    """``conversation_initiation_client_data``: overrides and variables for this session."""

    override: dict[str, Any] = field(default_factory=dict)
    dynamic_variables: dict[str, Any] = field(default_factory=dict)
    user_id: str | None = None


@dataclass(frozen=True)
class UserAudio:
    """``{"user_audio_chunk": b64}``: microphone PCM16, 16 kHz mono."""

    pcm: bytes


@dataclass(frozen=True)
class Pong:
    """The answer to our ``ping`` with the same ``event_id``."""

    event_id: int


@dataclass(frozen=True)
class UserMessage:
    """Text the user typed; answered like speech."""

    text: str


@dataclass(frozen=True)
class UserActivity:
    """The user is still there (resets the idle timer)."""


@dataclass(frozen=True)
class ContextualUpdate:
    """Background information for the agent; never answered by itself."""

    text: str


@dataclass(frozen=True)
class ClientToolResult:
    """The result of a ``client_tool_call`` the client ran."""

    tool_call_id: str
    result: str
    is_error: bool


@dataclass(frozen=True)
class Feedback:
    """A like/dislike of an answer (JS SDK); accepted and not acted on."""

    score: str
    event_id: int | None


ClientMessage = (
    InitiationData
    | UserAudio
    | Pong
    | UserMessage
    | UserActivity
    | ContextualUpdate
    | ClientToolResult
    | Feedback
)


def parse_client_message(raw: str | bytes, *, max_bytes: int) -> ClientMessage:
    """One client frame as a message; :class:`ProtocolError` names what is wrong."""
    if isinstance(raw, bytes):
        raise ProtocolError("messages must be JSON text frames", code="invalid_message")
    if len(raw) > max_bytes:
        raise ProtocolError("message too large", code="message_too_large", close_code=TOO_LARGE)
    try:
        message = json.loads(raw)
    except ValueError:
        raise ProtocolError("messages must be JSON", code="invalid_message") from None
    if not isinstance(message, dict):
        raise ProtocolError("messages must be JSON objects", code="invalid_message")
    if "user_audio_chunk" in message:  # the SDK sends audio without a type
        return UserAudio(_pcm(message["user_audio_chunk"]))
    kind = message.get("type")
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise ProtocolError(
            f"unknown message type {str(kind)[:40]!r}", code="unknown_message", close_code=None
        )
    return parser(message)


def _pcm(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ProtocolError("user_audio_chunk must be a base64 string", code="invalid_audio")
    try:
        pcm = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("user_audio_chunk is not valid base64", code="invalid_audio") from None
    if len(pcm) % 2:
        raise ProtocolError("user_audio_chunk must hold whole 16-bit samples", code="invalid_audio")
    return pcm


def _text(message: dict[str, Any], key: str = "text") -> str:
    value = message.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"{message.get('type')}.{key} must be a string", code="invalid_message")
    return value


def _object(message: dict[str, Any], key: str) -> dict[str, Any]:
    value = message.get(key) or {}
    if not isinstance(value, dict):
        raise ProtocolError(f"{key} must be an object", code="invalid_message")
    return value


def _initiation(message: dict[str, Any]) -> InitiationData:
    user_id = message.get("user_id")
    return InitiationData(
        override=_object(message, "conversation_config_override"),
        dynamic_variables=_object(message, "dynamic_variables"),
        user_id=user_id if isinstance(user_id, str) else None,
    )


def _pong(message: dict[str, Any]) -> Pong:
    event_id = message.get("event_id")
    if not isinstance(event_id, int):
        raise ProtocolError("pong.event_id must be an integer", code="invalid_message")
    return Pong(event_id)


def _tool_result(message: dict[str, Any]) -> ClientToolResult:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str):
        raise ProtocolError(
            "client_tool_result.tool_call_id must be a string", code="invalid_message"
        )
    result = message.get("result")
    text = result if isinstance(result, str) else json.dumps(result)
    return ClientToolResult(call_id, text, bool(message.get("is_error", False)))


def _feedback(message: dict[str, Any]) -> Feedback:
    event_id = message.get("event_id")
    return Feedback(str(message.get("score")), event_id if isinstance(event_id, int) else None)


_PARSERS: dict[str, Any] = {
    "conversation_initiation_client_data": _initiation,
    "pong": _pong,
    "user_message": lambda message: UserMessage(_text(message)),
    "user_activity": lambda message: UserActivity(),
    "contextual_update": lambda message: ContextualUpdate(_text(message)),
    "client_tool_result": _tool_result,
    "feedback": _feedback,
}


@dataclass(frozen=True)
class AudioAlignment:
    """Characters spoken in one audio event, with times relative to the event's start."""

    chars: tuple[str, ...] = ()
    char_start_times_ms: tuple[int, ...] = ()
    char_durations_ms: tuple[int, ...] = ()


def initiation_metadata(conversation_id: str) -> dict[str, Any]:
    """The first event of every session, sent exactly once (the SDK asserts it)."""
    return {
        "type": "conversation_initiation_metadata",
        "conversation_initiation_metadata_event": {
            "conversation_id": conversation_id,
            "agent_output_audio_format": AUDIO_FORMAT,
            "user_input_audio_format": AUDIO_FORMAT,
        },
    }


def audio(pcm: bytes, event_id: int, alignment: AudioAlignment) -> dict[str, Any]:
    """A piece of the agent's speech; ``event_id`` is the agent turn it belongs to."""
    return {
        "type": "audio",
        "audio_event": {
            "audio_base_64": base64.b64encode(pcm).decode(),
            "event_id": event_id,
            "alignment": {
                "chars": list(alignment.chars),
                "char_start_times_ms": list(alignment.char_start_times_ms),
                "char_durations_ms": list(alignment.char_durations_ms),
            },
        },
    }


def user_transcript(text: str, event_id: int) -> dict[str, Any]:
    """The final transcript of a user turn."""
    return {
        "type": "user_transcript",
        "user_transcription_event": {"user_transcript": text, "event_id": event_id},
    }


def tentative_user_transcript(text: str, event_id: int) -> dict[str, Any]:
    """The recognizer's current hypothesis while the user speaks."""
    return {
        "type": "tentative_user_transcript",
        "tentative_user_transcription_event": {"user_transcript": text, "event_id": event_id},
    }


def agent_response(text: str, event_id: int) -> dict[str, Any]:
    """The whole text of an agent answer."""
    return {
        "type": "agent_response",
        "agent_response_event": {"agent_response": text, "event_id": event_id},
    }


def agent_response_correction(original: str, corrected: str, event_id: int) -> dict[str, Any]:
    """After an interruption: the answer cut to what was spoken before the cut."""
    return {
        "type": "agent_response_correction",
        "agent_response_correction_event": {
            "original_agent_response": original,
            "corrected_agent_response": corrected,
            "event_id": event_id,
        },
    }


def interruption(event_id: int) -> dict[str, Any]:
    """The user cut in: clients drop every audio event with an id up to ``event_id``."""
    return {"type": "interruption", "interruption_event": {"event_id": event_id}}


def ping(event_id: int, ping_ms: int | None) -> dict[str, Any]:
    """A keep-alive the client answers with ``pong``; ``ping_ms`` is the last round trip."""
    return {"type": "ping", "ping_event": {"event_id": event_id, "ping_ms": ping_ms}}


def client_tool_call(
    tool_call_id: str, tool_name: str, parameters: dict[str, Any]
) -> dict[str, Any]:
    """Ask the client to run one of its tools and answer with ``client_tool_result``."""
    return {
        "type": "client_tool_call",
        "client_tool_call": {
            "tool_name": tool_name,
            "tool_call_id": tool_call_id,
            "parameters": parameters,
            "expects_response": True,
        },
    }


def error(code: str, message: str) -> dict[str, Any]:
    """Something the client sent was refused (the SDKs ignore it; it helps debugging)."""
    return {
        "type": "error",
        "error_event": {"code": code, "message": message, "error_type": code},
    }


def turn_metrics(event_id: int, values: dict[str, int | None]) -> dict[str, Any]:
    """Extension: one turn's latencies in milliseconds (``None`` when not measured)."""
    return {"type": TURN_METRICS, "turn_metrics_event": {"event_id": event_id, **values}}
