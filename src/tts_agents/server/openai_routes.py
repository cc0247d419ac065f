"""OpenAI-compatible speech API: ``POST /v1/audio/speech`` and ``GET /v1/audio/voices``.

``stream_format="audio"`` streams the encoded bytes as they are made; ``"sse"`` sends
``speech.audio.delta`` events with base64 chunks, then one ``speech.audio.done`` with usage.
``model`` is one of OpenAI's speech models or one of our engine names; anything else (such as
``whisper-1``, a transcription model) is a 400 that lists the accepted names.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from tts_agents.audio.formats import get_format
from tts_agents.engines import ENGINES
from tts_agents.errors import TTSValidationError
from tts_agents.server.auth import require_key
from tts_agents.server.catalog import SPEECH_MODELS
from tts_agents.server.openapi import ENGINE_ERRORS, errors, speakable_text, success_body
from tts_agents.server.responses import guarded_stream
from tts_agents.server.settings import ServerSettings
from tts_agents.server.speech_job import SpeechJob
from tts_agents.server.streaming import start_stream
from tts_agents.server.synthesis_pool import encoded_audio
from tts_agents.server.usage import account_speech
from tts_agents.speech import TTSAgent
from tts_agents.synthesis import SpeechStream

OPENAI_RATE = 24000  # OpenAI's pcm and wav are 24 kHz mono; the other formats follow suit
ResponseFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]

router = APIRouter(dependencies=[Depends(require_key)])


class VoiceRef(BaseModel):
    """A voice given as an object (``{"id": "..."}``), as newer SDKs may send it."""

    id: str


class SpeechRequest(BaseModel):
    """The body of ``POST /v1/audio/speech``; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1, json_schema_extra={"enum": list(SPEECH_MODELS)})
    input: str = speakable_text("The text to speak (plain, or SSML starting with `<speak`)")
    voice: str | VoiceRef
    instructions: str | None = None
    response_format: ResponseFormat = "mp3"
    speed: float = Field(default=1.0, ge=0.25, le=4.0)
    stream_format: Literal["audio", "sse"] = "audio"
    normalize: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="(extension) Read numbers, dates and symbols as words: `auto` does so "
        "for local engines; cloud engines normalize for themselves.",
    )

    @property
    def voice_name(self) -> str:
        """The voice as a plain name."""
        return self.voice.id if isinstance(self.voice, VoiceRef) else self.voice


class SpeechAudioDelta(BaseModel):
    """An SSE event: the next piece of the audio, base64."""

    type: Literal["speech.audio.delta"]
    audio: str


class SpeechAudioDone(BaseModel):
    """The last SSE event: the token counts (estimated)."""

    type: Literal["speech.audio.done"]
    usage: dict[str, int]


_SPEECH = success_body(
    *(get_format(name).mime for name in get_args(ResponseFormat)),
    description="The audio in `response_format`; with `stream_format: sse`, events",
    events=(SpeechAudioDelta, SpeechAudioDone),
)


@router.post(
    "/v1/audio/speech",
    response_model=None,
    response_class=StreamingResponse,
    # An unknown voice is a 400, or a 404 for a caller keyed with xi-api-key (see errors).
    responses={**_SPEECH, **errors(400, 404, *ENGINE_ERRORS)},
)
async def create_speech(body: SpeechRequest, request: Request) -> StreamingResponse:
    """Speak ``input``; stream the audio (or SSE events) as it is made."""
    job = _job(body, request.app.state.settings, request.app.state.agent.config.default_model)
    stream = job.prepare(request.app.state.agent)
    audio = encoded_audio(request.app.state.pool, job, stream)
    gate, observe = request.app.state.gate, account_speech(request, stream)
    if body.stream_format == "sse":
        events = await start_stream(
            gate, _sse_events(audio, stream, body.input), observe, request.state.caller
        )
        return guarded_stream(request, events, "text/event-stream")
    chunks = await start_stream(gate, audio, observe, request.state.caller)
    return guarded_stream(request, chunks, stream.format.mime)


@router.get("/v1/audio/voices", responses=errors(*ENGINE_ERRORS))
async def list_voices(request: Request) -> dict[str, Any]:
    """The engine's voices (the OpenAI names always work)."""
    agent: TTSAgent = request.app.state.agent
    voices = await agent.list_voices()
    return {
        "object": "list",
        "data": [
            {"id": v.id, "object": "voice", "name": v.name, "languages": list(v.languages)}
            for v in voices
        ],
    }


def _job(body: SpeechRequest, settings: ServerSettings, configured: str) -> SpeechJob:
    """The job for ``body``; ``configured`` (the server's default model) is accepted too."""
    if body.model not in SPEECH_MODELS and body.model != configured:
        accepted = ", ".join(dict.fromkeys((*SPEECH_MODELS, configured)))
        raise TTSValidationError("model", f"unknown speech model {body.model!r}; use {accepted}")
    rate = None if body.response_format == "opus" else OPENAI_RATE
    spec = get_format(body.response_format)
    return SpeechJob(
        body.input,
        voice=body.voice_name,
        format=spec,
        speed=body.speed,
        sample_rate=spec.output_rate(rate, OPENAI_RATE),
        max_length=settings.max_input_chars,
        max_break_seconds=settings.max_break_seconds,
        # Cloud engines use OpenAI's model names and instructions; local engines ignore them,
        # and our engine names mean nothing to a provider, so it gets its default model.
        model=None if body.model in ENGINES else body.model,
        instructions=body.instructions,
        normalize=body.normalize,
    )


async def _sse_events(
    audio: AsyncIterator[bytes], stream: SpeechStream, text: str
) -> AsyncIterator[bytes]:
    async with aclosing(audio) as chunks:
        async for chunk in chunks:
            delta = {"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode()}
            yield _event(delta)
    input_tokens = max(1, math.ceil(len(text) / 4))  # an estimate: we have no tokenizer
    output_tokens = max(1, math.ceil(stream.duration * 50))
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }
    yield _event({"type": "speech.audio.done", "usage": usage})


def _event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()
