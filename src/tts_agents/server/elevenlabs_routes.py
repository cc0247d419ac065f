"""ElevenLabs-compatible text to speech: ``/v1/text-to-speech/{voice_id}`` and its variants.

``convert`` and ``/stream`` stream the encoded audio; ``/with-timestamps`` answers JSON with
``audio_base64`` and the character alignment; ``/stream/with-timestamps`` sends one such
JSON object per line, each with the characters whose timing is final.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from tts_agents.server.auth import require_key
from tts_agents.server.openapi import ENGINE_ERRORS, errors, speakable_text, success_body
from tts_agents.server.output_formats import MEDIA_TYPES, OUTPUT_FORMATS, parse_output_format
from tts_agents.server.responses import guarded_stream
from tts_agents.server.speech_job import SpeechJob
from tts_agents.server.streaming import collect, start_stream
from tts_agents.server.synthesis_pool import encoded_audio
from tts_agents.server.usage import account_speech
from tts_agents.subtitling import alignment
from tts_agents.synthesis import SpeechStream

router = APIRouter(dependencies=[Depends(require_key)])
# Checked by parse_output_format (a 400 in ElevenLabs' shape), so only documented here.
OutputFormatQuery = Query(
    default=None,
    alias="output_format",
    description="`codec_rate[_kbps]`; mp3_44100_128 when left out",
    json_schema_extra={"enum": list(OUTPUT_FORMATS)},
)
# Every text-to-speech route: bad input, unknown voice, engine trouble.
_ERRORS = errors(400, 404, *ENGINE_ERRORS)


class VoiceSettings(BaseModel):
    """Voice settings; only ``speed`` changes our output, the rest are accepted."""

    model_config = ConfigDict(extra="ignore")

    # strict: a boolean is not a number here (pydantic would read false as 0.0)
    stability: float | None = Field(default=None, strict=True)
    similarity_boost: float | None = Field(default=None, strict=True)
    style: float | None = Field(default=None, strict=True)
    use_speaker_boost: bool | None = Field(default=None, strict=True)
    speed: float | None = Field(default=None, ge=0.25, le=4.0, strict=True)


class TextToSpeechRequest(BaseModel):
    """The body of every text-to-speech route; unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    text: str = speakable_text("The text to speak (plain, or SSML starting with `<speak`)")
    model_id: str | None = None
    language_code: str | None = None
    voice_settings: VoiceSettings | None = None
    apply_text_normalization: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Read numbers, dates and symbols as words: `auto` does so for local "
        "engines; cloud engines normalize for themselves.",
    )


_AUDIO = success_body(*MEDIA_TYPES, description="The audio in `output_format`")


@router.post(
    "/v1/text-to-speech/{voice_id}",
    response_model=None,
    response_class=StreamingResponse,
    responses={**_AUDIO, **_ERRORS},
)
@router.post(
    "/v1/text-to-speech/{voice_id}/stream",
    response_model=None,
    response_class=StreamingResponse,
    responses={**_AUDIO, **_ERRORS},
)
async def convert(
    voice_id: str,
    body: TextToSpeechRequest,
    request: Request,
    output_format: str | None = OutputFormatQuery,
) -> StreamingResponse:
    """Speak ``text`` with ``voice_id``; the audio streams as it is made."""
    stream, audio = _prepare(request, voice_id, body, output_format, words=False)
    observe = account_speech(request, stream)
    chunks = await start_stream(request.app.state.gate, audio, observe, request.state.caller)
    return guarded_stream(request, chunks, stream.format.mime)


@router.post("/v1/text-to-speech/{voice_id}/with-timestamps", responses=_ERRORS)
async def convert_with_timestamps(
    voice_id: str,
    body: TextToSpeechRequest,
    request: Request,
    output_format: str | None = OutputFormatQuery,
) -> dict[str, Any]:
    """The whole audio as base64, with per-character start and end times."""
    stream, chunks = _prepare(request, voice_id, body, output_format, words=True)
    observe = account_speech(request, stream)
    audio = await collect(request.app.state.gate, chunks, observe, request.state.caller)
    timing = _alignment(stream, len(body.text))
    return {"audio_base64": base64.b64encode(audio).decode(), **_timing_fields(timing)}


_LINES = success_body(
    "application/x-ndjson",
    description="One JSON object a line: `audio_base64` with the `alignment` known so far",
)


@router.post(
    "/v1/text-to-speech/{voice_id}/stream/with-timestamps",
    response_model=None,
    response_class=StreamingResponse,
    responses={**_LINES, **_ERRORS},
)
async def stream_with_timestamps(
    voice_id: str,
    body: TextToSpeechRequest,
    request: Request,
    output_format: str | None = OutputFormatQuery,
) -> StreamingResponse:
    """Newline-delimited JSON: audio chunks with the alignment known so far."""
    stream, audio = _prepare(request, voice_id, body, output_format, words=True)
    observe = account_speech(request, stream)
    lines = await start_stream(
        request.app.state.gate,
        _timed_lines(audio, stream, len(body.text)),
        observe,
        request.state.caller,
    )
    return guarded_stream(request, lines, "application/x-ndjson")


def _prepare(
    request: Request,
    voice_id: str,
    body: TextToSpeechRequest,
    output_format: str | None,
    words: bool,
) -> tuple[SpeechStream, AsyncIterator[bytes]]:
    """The validated stream (it counts samples and words) and its encoded audio."""
    output = parse_output_format(output_format)
    job = SpeechJob(
        body.text,
        voice=voice_id,
        format=output.spec,
        speed=body.voice_settings.speed if body.voice_settings else None,
        language=body.language_code,
        normalize=body.apply_text_normalization,
        sample_rate=output.sample_rate,
        max_length=request.app.state.settings.max_input_chars,
        max_break_seconds=request.app.state.settings.max_break_seconds,
        collect_words=words,
    )
    stream = job.prepare(request.app.state.agent)
    return stream, encoded_audio(request.app.state.pool, job, stream)


Timing = tuple[list[str], list[float], list[float]]


def _alignment(stream: SpeechStream, length: int, start: int = 0, end: int | None = None) -> Timing:
    if stream.text is None:  # SSML: no plain text to align against
        return [], [], []
    timing = alignment(stream.text, stream.words, stream.sample_rate, stream.samples)
    stop = length if end is None else end
    return (
        timing.characters[start:stop],
        timing.character_start_times[start:stop],
        timing.character_end_times[start:stop],
    )


def _timing_fields(timing: Timing) -> dict[str, Any]:
    characters, starts, ends = timing
    block = {
        "characters": characters,
        "character_start_times_seconds": [round(t, 4) for t in starts],
        "character_end_times_seconds": [round(t, 4) for t in ends],
    }
    return {"alignment": block, "normalized_alignment": block}


async def _timed_lines(
    audio: AsyncIterator[bytes], stream: SpeechStream, length: int
) -> AsyncIterator[bytes]:
    done = 0
    async with aclosing(audio) as chunks:
        async for chunk in chunks:
            # Characters before the latest word's start have final times; that word's end
            # is only known when the next word starts or the audio ends.
            final = stream.words[-1].text_start if stream.words else 0
            timing = _alignment(stream, length, done, max(final, done))
            done = max(final, done)
            yield _line(chunk, timing)
    yield _line(b"", _alignment(stream, length, done))


def _line(audio: bytes, timing: Timing) -> bytes:
    payload = {"audio_base64": base64.b64encode(audio).decode(), **_timing_fields(timing)}
    return json.dumps(payload, separators=(",", ":")).encode() + b"\n"
