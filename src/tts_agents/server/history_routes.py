"""Conversation history in ElevenLabs' shapes, so its SDK's ``conversations`` client works.

``GET /v1/convai/conversations`` (cursor pages, ``agent_id``, ``call_start_after_unix`` /
``call_start_before_unix``), ``GET .../{id}`` (transcript and metadata), ``GET .../{id}/audio``
(the call as MP3), ``DELETE .../{id}`` (rows, audio and the data key at once) and
``GET .../{id}/export`` (everything held about it, for a data-subject request). Every route
needs a key or a browser session, and every use is written to the audit log under the
caller's key id or session id, never the key.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from tts_agents.audio.encode import create_encoder
from tts_agents.audio.formats import get_format
from tts_agents.records.model import AudioChunk
from tts_agents.records.recorder import AUDIO_RATE
from tts_agents.records.shapes import conversation_json, export_json, page_json
from tts_agents.server import openapi
from tts_agents.server.auth import require_key
from tts_agents.server.errors import ApiProblem
from tts_agents.server.records_hub import RecordsHub

router = APIRouter(prefix="/v1/convai/conversations", tags=["conversation history"])
_ERRORS = openapi.errors(401, 404, 422, 429)


@router.get("", responses=_ERRORS)
async def list_conversations(
    request: Request,
    _: str = Depends(require_key),
    cursor: str | None = Query(default=None, max_length=200),
    agent_id: str | None = Query(default=None, max_length=200),
    call_start_after_unix: int | None = Query(default=None, ge=0),
    call_start_before_unix: int | None = Query(default=None, ge=0),
    page_size: int = Query(default=30, ge=1, le=100),
) -> dict[str, Any]:
    """A page of conversations, newest first."""
    hub = _hub(request)
    await hub.audit(_actor(request), "list")
    if hub.repository is None:
        return {"conversations": [], "next_cursor": None, "has_more": False}
    page = await hub.repository.list(
        agent_id=agent_id,
        after=_when(call_start_after_unix),
        before=_when(call_start_before_unix),
        cursor=cursor,
        page_size=page_size,
    )
    return page_json(page, hub.agent_names)


@router.get("/{conversation_id}", responses=_ERRORS)
async def get_conversation(
    request: Request, conversation_id: str, _: str = Depends(require_key)
) -> dict[str, Any]:
    """One conversation: its transcript and metadata."""
    record = await _record(request, conversation_id, "read")
    return conversation_json(record, _hub(request).agent_names.get(record.agent_id))


@router.delete("/{conversation_id}", responses=_ERRORS)
async def delete_conversation(
    request: Request, conversation_id: str, _: str = Depends(require_key)
) -> JSONResponse:
    """Delete everything held about a conversation, now."""
    hub = _hub(request)
    deleted = hub.repository is not None and await hub.repository.delete(conversation_id)
    await hub.audit(_actor(request), "delete", conversation_id)
    if not deleted:
        raise _not_found("no such conversation")
    return JSONResponse({})


@router.api_route(
    "/{conversation_id}",
    methods=["OPTIONS", "POST", "PUT", "PATCH"],
    include_in_schema=False,
)
async def other_methods(conversation_id: str, _: str = Depends(require_key)) -> Response:
    """405 naming both methods: with two routes on one path, Starlette's would name one."""
    raise ApiProblem(
        405, "Method Not Allowed", code="method_not_allowed", headers={"Allow": "GET, DELETE"}
    )


@router.get(
    "/{conversation_id}/audio",
    response_class=Response,
    responses={**openapi.success_body("audio/mpeg", description="The call as MP3"), **_ERRORS},
)
async def get_conversation_audio(
    request: Request, conversation_id: str, _: str = Depends(require_key)
) -> Response:
    """Both sides of the call, mixed, as MP3 (404 when no audio was recorded)."""
    hub = _hub(request)
    await hub.audit(_actor(request), "audio", conversation_id)
    chunks = None if hub.repository is None else await hub.repository.audio(conversation_id)
    if not chunks:
        raise _not_found("no audio for this conversation")
    return Response(_mp3(chunks), media_type="audio/mpeg")


@router.get("/{conversation_id}/export", responses=_ERRORS)
async def export_conversation(
    request: Request, conversation_id: str, _: str = Depends(require_key)
) -> dict[str, Any]:
    """Everything held about a conversation, as JSON (a data-subject access request)."""
    record = await _record(request, conversation_id, "export")
    return export_json(record, record.has_user_audio or record.has_agent_audio)


async def _record(request: Request, conversation_id: str, action: str) -> Any:
    hub = _hub(request)
    await hub.audit(_actor(request), action, conversation_id)
    record = None if hub.repository is None else await hub.repository.get(conversation_id)
    if record is None:
        raise _not_found("no such conversation")
    return record


def _actor(request: Request) -> str:
    """Who is asking, for the audit log: a key's id or a browser session, never the key."""
    return getattr(request.state, "caller", None) or "loopback (no auth)"


def _hub(request: Request) -> RecordsHub:
    hub: RecordsHub = request.app.state.records
    return hub


def _when(unix: int | None) -> datetime | None:
    return None if unix is None else datetime.fromtimestamp(unix, UTC)


def _not_found(message: str) -> ApiProblem:
    return ApiProblem(404, message, code="conversation_not_found")


def _mp3(chunks: list[AudioChunk]) -> bytes:
    """The tracks placed at their times in the call and mixed into one."""
    ends = [round(c.offset_secs * AUDIO_RATE) + len(c.pcm) // 2 for c in chunks]
    mix = np.zeros(max(ends), dtype=np.int32)
    for chunk in chunks:
        start = round(chunk.offset_secs * AUDIO_RATE)
        samples = np.frombuffer(chunk.pcm, dtype="<i2")
        mix[start : start + len(samples)] += samples
    pcm = np.clip(mix, -32768, 32767).astype("<i2").tobytes()
    sink = io.BytesIO()
    encoder = create_encoder(get_format("mp3"), AUDIO_RATE, sink)
    encoder.encode(pcm)
    encoder.finish()
    return sink.getvalue()


__all__ = ["router"]
