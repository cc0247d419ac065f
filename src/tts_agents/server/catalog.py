"""What the server offers: ``GET /v1/models`` (both protocols) and the ElevenLabs voices.

Both SDKs call ``GET /v1/models``: OpenAI's expects ``{"object": "list", "data": [...]}``,
ElevenLabs' a bare array. ElevenLabs clients are told apart by their ``xi-api-key`` header.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from tts_agents.engines import ENGINES
from tts_agents.errors import VoiceNotFoundError
from tts_agents.server.auth import require_key
from tts_agents.server.errors import wants_elevenlabs
from tts_agents.server.openapi import ENGINE_ERRORS, errors
from tts_agents.speech import TTSAgent
from tts_agents.types import TTSModel, VoiceInfo

ELEVENLABS_MODELS = ("eleven_multilingual_v2", "eleven_flash_v2_5", "eleven_turbo_v2_5")
#: What ``POST /v1/audio/speech`` takes as ``model``: OpenAI's speech models, then our engines.
SPEECH_MODELS = (*(model.value for model in TTSModel), *ENGINES)
CREATED = 1700000000  # a fixed timestamp: the models are aliases, not trained artefacts

router = APIRouter(dependencies=[Depends(require_key)])


@router.get("/v1/models", response_model=None)
async def list_models(request: Request) -> Any:
    """Model names, accepted for compatibility; the engine decides what they mean."""
    if wants_elevenlabs(request):
        return [_elevenlabs_model(name) for name in ELEVENLABS_MODELS]
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": CREATED, "owned_by": "tts-agents"}
            for name in SPEECH_MODELS
        ],
    }


@router.get("/v1/voices", responses=errors(*ENGINE_ERRORS))
async def list_voices(request: Request) -> dict[str, Any]:
    """The engine's voices in ElevenLabs' shape."""
    agent: TTSAgent = request.app.state.agent
    return {"voices": [_elevenlabs_voice(voice) for voice in await agent.list_voices()]}


@router.get("/v1/voices/{voice_id}", responses=errors(404, *ENGINE_ERRORS))
async def get_voice(voice_id: str, request: Request) -> dict[str, Any]:
    """One voice in ElevenLabs' shape; 404 when the engine has no such voice."""
    agent: TTSAgent = request.app.state.agent
    for voice in await agent.list_voices():
        if voice.id == voice_id:
            return _elevenlabs_voice(voice)
    raise VoiceNotFoundError("voice_id", f"unknown voice {voice_id!r}")


@router.get("/v2/voices", responses=errors(*ENGINE_ERRORS))
async def search_voices(
    request: Request,
    search: str | None = None,
    page_size: int = Query(default=10, ge=1, le=100),
    next_page_token: str | None = None,
) -> dict[str, Any]:
    """Voices whose id or name contains ``search``, a page at a time."""
    agent: TTSAgent = request.app.state.agent
    wanted = (search or "").lower()
    voices = [
        v for v in await agent.list_voices() if wanted in v.id.lower() or wanted in v.name.lower()
    ]
    try:
        start = max(0, int(next_page_token or 0))
    except ValueError:  # not a token this server handed out ('²' passes isdigit())
        start = 0
    page = voices[start : start + page_size]
    more = start + page_size < len(voices)
    return {
        "voices": [_elevenlabs_voice(voice) for voice in page],
        "has_more": more,
        "total_count": len(voices),
        "next_page_token": str(start + page_size) if more else None,
    }


def _elevenlabs_model(name: str) -> dict[str, Any]:
    return {
        "model_id": name,
        "name": name,
        "can_do_text_to_speech": True,
        "languages": [{"language_id": "en", "name": "English"}],
    }


def _elevenlabs_voice(voice: VoiceInfo) -> dict[str, Any]:
    labels = {"language": ",".join(voice.languages)}
    if voice.gender:
        labels["gender"] = voice.gender
    return {
        "voice_id": voice.id,
        "name": voice.name,
        "category": "premade",
        "labels": labels,
        "description": voice.description,
        "preview_url": None,
        "available_for_tiers": [],
        "settings": None,
        "high_quality_base_model_ids": [],
    }
