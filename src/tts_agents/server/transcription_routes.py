"""Speech to text routes: OpenAI's transcriptions and translations, ElevenLabs' speech-to-text.

OpenAI's are ``/v1/audio/transcriptions`` and ``/v1/audio/translations``, ElevenLabs' is
``/v1/speech-to-text``. Uploads are multipart forms with a ``file`` in any format PyAV
decodes. Bodies may be larger than elsewhere (``max_upload_bytes``, 413 beyond) and audio
may last at most ``max_audio_seconds``; audio that cannot be decoded or holds nothing gets
400. The work runs in the :class:`~tts_agents.server.transcription_pool.TranscriptionPool`.

``stream=true`` answers Server-Sent Events as OpenAI's streaming transcription does:
``transcript.text.delta`` per decoded segment, then ``transcript.text.done``. The response
starts once the first segment is decoded, so a bad file still gets a plain 400.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.formparsers import MultiPartParser

from tts_agents.engines import model_store
from tts_agents.errors import TTSValidationError
from tts_agents.server.auth import require_key
from tts_agents.server.openapi import ENGINE_ERRORS, errors, success_body, upload_body
from tts_agents.server.responses import guarded_stream
from tts_agents.server.transcription_pool import TranscriptionPool
from tts_agents.stt.render import (
    MEDIA_TYPES,
    ResponseFormat,
    elevenlabs_json,
    from_iso3,
    render,
)
from tts_agents.stt.transcription import (
    MAX_PROMPT_CHARS,
    Segment,
    TranscribeOptions,
    Transcription,
)
from tts_agents.stt.whisper_model import ALIASES, MODELS, model_name, whisper_installed

# Uploaded audio stays in memory up to the upload limit instead of spilling to a temporary
# file: audio touches the disk only where a user consented to keep it.
MultiPartParser.spool_max_size = 32 * 1024 * 1024

router = APIRouter(dependencies=[Depends(require_key)])
UPLOAD_PATHS = ("/v1/audio/transcriptions", "/v1/audio/translations", "/v1/speech-to-text")
_SCRIBE = ("scribe_v1", "scribe_v1_experimental", "scribe_v2")
# Checked by TranscribeOptions (a 400 that lists them), so only documented here.
_WHISPER = [*MODELS, *ALIASES, "auto"]
_LISTS = ("timestamp_granularities[]", "keyterms")
_MAX_FIELDS = 64
_FormT = TypeVar("_FormT", bound="_Form")


class _Form(BaseModel):
    """Fields every upload form may carry; each route reads its own and ignores the rest."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class TranscriptionForm(_Form):
    """The fields of ``POST /v1/audio/transcriptions`` (and, but for two, translations)."""

    model: str = Field(min_length=1, json_schema_extra={"enum": _WHISPER})
    language: str | None = None
    prompt: str | None = Field(default=None, json_schema_extra={"maxLength": MAX_PROMPT_CHARS})
    temperature: float = Field(default=0.0, ge=0.0, le=1.0)
    response_format: ResponseFormat = "json"
    granularities: list[Literal["word", "segment"]] = Field(
        default=[], alias="timestamp_granularities[]"
    )
    stream: bool = False


class SpeechToTextForm(_Form):
    """The fields of ElevenLabs' ``POST /v1/speech-to-text`` this server uses."""

    model_id: str = Field(min_length=1, json_schema_extra={"enum": [*_SCRIBE, *_WHISPER]})
    language_code: str | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    timestamps_granularity: Literal["none", "word", "character"] = "word"
    keyterms: list[str] = []


class TranscriptTextDelta(BaseModel):
    """An SSE event: the text of the next decoded segment."""

    type: Literal["transcript.text.delta"]
    delta: str


class TranscriptTextDone(BaseModel):
    """The last SSE event: the whole text and the token counts (estimated)."""

    type: Literal["transcript.text.done"]
    text: str
    usage: dict[str, Any]


# The transcript as each response_format asks; JSON is FastAPI's default.
_TEXT = tuple(dict.fromkeys(MEDIA_TYPES[name].split(";")[0] for name in ("text", "srt", "vtt")))
_TRANSCRIPT = success_body(*_TEXT, description="The transcript in `response_format`")
_STREAMED = success_body(
    *_TEXT,
    description="The transcript in `response_format`; with `stream=true`, events",
    events=(TranscriptTextDelta, TranscriptTextDone),
)
# Uploads: a bad form or undecodable audio, engine trouble.
_ERRORS = errors(400, *ENGINE_ERRORS)


@router.post(
    "/v1/audio/transcriptions",
    response_model=None,
    responses={**_STREAMED, **_ERRORS},
    openapi_extra=upload_body(TranscriptionForm),
)
async def create_transcription(request: Request) -> Response:
    """Transcribe an upload in its own language."""
    form, audio = await _upload(request, TranscriptionForm)
    if form.granularities and form.response_format != "verbose_json":
        raise TTSValidationError("timestamp_granularities", "needs response_format verbose_json")
    options = _options(
        request,
        model=form.model,
        language=form.language or None,
        prompt=form.prompt,
        temperature=form.temperature,
        word_timestamps="word" in form.granularities,
    )
    if form.stream:
        return await _stream(request, audio, options)
    result = await _pool(request).transcribe(audio, options)
    return _respond(result, form.response_format, form.granularities or ["segment"])


@router.post(
    "/v1/audio/translations",
    response_model=None,
    responses={**_TRANSCRIPT, **_ERRORS},
    openapi_extra=upload_body(TranscriptionForm),
)
async def create_translation(request: Request) -> Response:
    """Translate the speech of an upload into English text."""
    form, audio = await _upload(request, TranscriptionForm)
    options = _options(
        request,
        model=form.model,
        prompt=form.prompt,
        temperature=form.temperature,
        task="translate",
    )
    result = await _pool(request).transcribe(audio, options)
    if form.response_format == "json":
        return JSONResponse({"text": result.text})
    return _respond(result, form.response_format, ["segment"])


@router.post(
    "/v1/speech-to-text",
    response_model=None,
    responses={**_ERRORS, **errors(422)},
    openapi_extra=upload_body(SpeechToTextForm),
)
async def speech_to_text(request: Request) -> JSONResponse:
    """ElevenLabs' speech to text: the transcript and its words, each timed."""
    form, audio = await _upload(request, SpeechToTextForm, urls_instead=True)
    words = form.timestamps_granularity != "none"
    options = _options(
        request,
        model=None if form.model_id in _SCRIBE else form.model_id,
        language=from_iso3(form.language_code) if form.language_code else None,
        prompt=", ".join(form.keyterms)[:1000] or None,
        temperature=min(form.temperature or 0.0, 1.0),
        word_timestamps=words,
    )
    result = await _pool(request).transcribe(audio, options)
    return JSONResponse(elevenlabs_json(result, with_words=words))


async def _upload(
    request: Request, shape: type[_FormT], *, urls_instead: bool = False
) -> tuple[_FormT, bytes]:
    """The form's fields and its ``file``, read only now: after the key was checked.

    (FastAPI would parse form parameters before the route's dependencies run, so anyone
    could make the server read a whole upload before being refused.)
    """
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise TTSValidationError("file", "send the audio as multipart/form-data")
    async with request.form(max_files=1, max_fields=_MAX_FIELDS) as data:
        fields: dict[str, Any] = {}
        for key in data:
            values = [v for v in data.getlist(key) if isinstance(v, str)]
            if values:
                fields[key] = values if key in _LISTS else values[-1]
        try:
            form = shape.model_validate(fields)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from None
        if urls_instead and (fields.get("cloud_storage_url") or fields.get("source_url")):
            raise TTSValidationError("file", "upload the audio; this server fetches no URLs")
        upload = data.get("file")
        if not isinstance(upload, StarletteUpload):
            raise TTSValidationError("file", "is required")
        audio = await upload.read()
    return form, audio  # empty or undecodable audio is refused where it is decoded


def _options(request: Request, **options: Any) -> TranscribeOptions:
    """Valid options, for a model this server has.

    A model that is not installed is the caller's to change, as an unknown voice is: a 400
    here, where the worker would fail with the library's 503 (the operator's to fix).
    """
    checked = TranscribeOptions(**options)
    name = model_name(checked.model)
    if not whisper_installed(model_store(_pool(request).config), name):
        raise TTSValidationError("model", f"{name!r} is not installed on this server")
    return checked


def _pool(request: Request) -> TranscriptionPool:
    return request.app.state.transcriber


def _respond(result: Transcription, response_format: str, granularities: list[str]) -> Response:
    body = render(result, response_format, granularities)
    if isinstance(body, str):
        return PlainTextResponse(body, media_type=MEDIA_TYPES[response_format])
    return JSONResponse(body)


async def _stream(
    request: Request, audio: bytes, options: TranscribeOptions
) -> StreamingResponse:
    segments: asyncio.Queue[Segment] = asyncio.Queue()
    work = asyncio.create_task(_pool(request).transcribe(audio, options, segments.put_nowait))
    first = asyncio.create_task(segments.get())
    await asyncio.wait({work, first}, return_when=asyncio.FIRST_COMPLETED)
    if work.done() and work.exception() is not None:
        first.cancel()
        work.result()  # raises: the error is answered as a plain 4xx/5xx
    return guarded_stream(request, _events(work, first, segments), "text/event-stream")


async def _events(
    work: asyncio.Task[Transcription],
    first: asyncio.Task[Segment],
    segments: asyncio.Queue[Segment],
) -> AsyncIterator[bytes]:
    """Deltas as segments arrive (all are queued by the time ``work`` ends), then done."""
    getter: asyncio.Future[Segment] = first
    sent = 0
    try:
        while True:
            done, _ = await asyncio.wait({getter, work}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            yield _delta(getter.result(), sent)
            sent += 1
            getter = asyncio.ensure_future(segments.get())
        while not segments.empty():
            yield _delta(segments.get_nowait(), sent)
            sent += 1
        result = work.result()
        output = sum(len(segment.tokens) for segment in result.segments)
        audio_tokens = math.ceil(result.duration * 10)  # an estimate: Whisper has no such count
        usage = {
            "type": "tokens",
            "input_tokens": audio_tokens,
            "output_tokens": output,
            "total_tokens": audio_tokens + output,
            "input_token_details": {"audio_tokens": audio_tokens, "text_tokens": 0},
        }
        yield _event({"type": "transcript.text.done", "text": result.text, "usage": usage})
    finally:
        getter.cancel()
        if not work.done():
            work.cancel()
            with suppress(asyncio.CancelledError):
                await work


def _delta(segment: Segment, index: int) -> bytes:
    text = segment.text if index == 0 else " " + segment.text
    return _event({"type": "transcript.text.delta", "delta": text})


def _event(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()
