"""ElevenLabs' input-streaming WebSocket: ``/v1/text-to-speech/{voice_id}/stream-input``.

The client sends text as it has it: a first message ``{"text": " "}`` (with the key, when
the handshake carried none, and ``generation_config.chunk_length_schedule``), then text
chunks, ``flush: true`` to speak what is buffered now, and ``{"text": ""}`` to end. Text is
spoken once the buffer reaches the schedule's next length, cut at a word boundary. Each
piece answers ``{"audio", "isFinal": null, "alignment", "normalizedAlignment"}`` with times
relative to that piece; the end is ``{"audio": null, "isFinal": true}`` and a 1000 close.
Failures send ``{"message", "error", "code"}`` and close with that code.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from contextlib import aclosing
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from tts_agents.audio.encode import Encoder, create_encoder
from tts_agents.engines import route
from tts_agents.errors import TTSAgentError
from tts_agents.redact import get_logger
from tts_agents.server.auth import key_id, key_is_valid
from tts_agents.server.errors import ApiProblem
from tts_agents.server.output_formats import OutputFormat, parse_output_format
from tts_agents.server.settings import ServerSettings
from tts_agents.server.usage import account_speech
from tts_agents.speech import TTSAgent
from tts_agents.subtitling import alignment
from tts_agents.text.front_end import normalize_mode

router = APIRouter()
logger = get_logger(__name__)

DEFAULT_SCHEDULE = (120, 160, 250, 290)
DEFAULT_INACTIVITY = 20.0
MAX_INACTIVITY = 180.0
POLICY = 1008


class StreamInputError(Exception):
    """Ends the session: sent as ``{"message", "error", "code"}``, then closed with code."""

    def __init__(self, message: str, error: str, code: int = POLICY) -> None:
        super().__init__(message)
        self.message, self.error, self.code = message, error, code


@router.websocket("/v1/text-to-speech/{voice_id}/stream-input")
async def stream_input(websocket: WebSocket, voice_id: str) -> None:
    """Speak text as it streams in."""
    await websocket.accept()
    try:
        session = _Session(websocket, voice_id)
        await session.run()
    except WebSocketDisconnect:
        return
    except StreamInputError as exc:
        await _fail(websocket, exc.message, exc.error, exc.code)
    except ApiProblem as exc:
        await _fail(websocket, exc.message, exc.code, POLICY)
    except TTSAgentError as exc:
        await _fail(websocket, exc.message, exc.code, exc.ws_close_code)
    except Exception:  # a bug: logged (redacted) by the server, never shown to the client
        logger.exception("stream-input session failed")
        await _fail(websocket, "internal error", "internal_error", 1011)


async def _fail(websocket: WebSocket, message: str, error: str, code: int) -> None:
    if websocket.application_state == WebSocketState.DISCONNECTED:
        return
    try:
        await websocket.send_json({"message": message, "error": error, "code": code})
        await websocket.close(code)
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client is already gone


class _Session:
    def __init__(self, websocket: WebSocket, voice_id: str) -> None:
        app = websocket.app
        self.websocket = websocket
        self.settings: ServerSettings = app.state.settings
        self.agent: TTSAgent = app.state.agent
        self.gate = app.state.gate
        self.voice_id = voice_id
        self.timeout = _inactivity(websocket.query_params.get("inactivity_timeout"))
        self.schedule: tuple[int, ...] = DEFAULT_SCHEDULE
        self.speed: float | None = None
        self.caller: str | None = None  # the key's id once authorized (None without auth)
        self.buffer = ""
        self.pieces = 0

    async def run(self) -> None:
        client = self.websocket.client.host if self.websocket.client else "unknown"
        limiter = self.websocket.app.state.limiter
        limiter.check(f"ip:{client}", self.settings.requests_per_minute_per_ip)
        # The key may come in the first message: it must come soon, on a socket nobody knows.
        deadline = self.settings.ws_auth_timeout if self.settings.auth else self.timeout
        first = await self._receive(min(deadline, self.timeout))
        self._authorize(first)  # nothing about voices or formats is told before this
        self.output: OutputFormat = parse_output_format(
            self.websocket.query_params.get("output_format")
        )
        self.normalize = normalize_mode(self.websocket.query_params.get("apply_text_normalization"))
        route(self.agent.engine, self.voice_id, None)  # an unknown voice fails before any audio
        self.encoder: Encoder = create_encoder(self.output.spec, self.output.sample_rate)
        self._configure(first)
        opening = first.get("text")
        if isinstance(opening, str) and opening.strip():  # usually the required " "
            self.buffer = opening
        while True:
            message = await self._receive()
            text = message.get("text")
            if text == "":  # end of input
                await self._speak(self.buffer)
                await self._finish()
                return
            if not isinstance(text, str):
                raise StreamInputError("each message needs a text string", "invalid_input_message")
            self.buffer += text
            if message.get("flush"):
                await self._speak(self.buffer)
            else:
                await self._speak_ready()

    def _authorize(self, first: dict[str, Any]) -> None:
        if not self.settings.auth:
            return
        headers = self.websocket.headers
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        given = headers.get("xi-api-key") or bearer
        if not given:
            token = str(first.get("xi-api-key") or first.get("authorization") or "")
            given = token.removeprefix("Bearer ").strip()
        if not given or not key_is_valid(given, self.settings.api_keys):
            raise StreamInputError("missing or invalid API key", "invalid_api_key")
        # Held to the key's budgets and stream cap like the HTTP routes (see server.usage).
        self.caller = self.websocket.state.caller = key_id(given)
        limiter = self.websocket.app.state.limiter
        limiter.check(self.caller, self.settings.requests_per_minute_per_key)

    def _configure(self, first: dict[str, Any]) -> None:
        """Read the first message's settings; wrong types are refused, never echoed."""
        config = first.get("generation_config") or {}
        if not isinstance(config, dict):
            raise StreamInputError("generation_config must be an object", "invalid_input_message")
        schedule = config.get("chunk_length_schedule")
        if schedule is not None:
            if not isinstance(schedule, list) or not 1 <= len(schedule) <= 16:
                raise StreamInputError(
                    "chunk_length_schedule must be a list of 1 to 16 numbers",
                    "invalid_input_message",
                )
            if not all(_is_number(n) and 50 <= n <= 500 for n in schedule):
                raise StreamInputError(
                    "chunk_length_schedule items must be 50 to 500", "invalid_input_message"
                )
            self.schedule = tuple(int(n) for n in schedule)
        settings = first.get("voice_settings") or {}
        if not isinstance(settings, dict):
            raise StreamInputError("voice_settings must be an object", "invalid_input_message")
        speed = settings.get("speed")
        if speed is not None:
            if not _is_number(speed):
                raise StreamInputError(
                    "voice_settings.speed must be a number", "invalid_input_message"
                )
            self.speed = float(speed)

    async def _receive(self, timeout: float | None = None) -> dict[str, Any]:
        timeout = timeout or self.timeout
        try:
            frame = await asyncio.wait_for(self.websocket.receive(), timeout)
        except asyncio.TimeoutError:
            message = f"no input for {timeout:g} s"
            raise StreamInputError(message, "input_timeout_exceeded") from None
        if frame["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(frame.get("code", 1000))
        raw = frame.get("text")
        if raw is None:
            raise StreamInputError(
                "messages must be JSON text frames, not binary", "invalid_input_message", 1003
            )
        if len(raw) > self.settings.max_ws_message_bytes:
            raise StreamInputError("message too large", "message_too_large", 1009)
        try:
            message = json.loads(raw)
        except ValueError:
            raise StreamInputError("messages must be JSON", "invalid_input_message") from None
        if not isinstance(message, dict):
            raise StreamInputError("messages must be JSON objects", "invalid_input_message")
        return message

    async def _speak_ready(self) -> None:
        threshold = self.schedule[min(self.pieces, len(self.schedule) - 1)]
        if len(self.buffer) < threshold:
            return
        cut = self.buffer.rfind(" ") + 1 or len(self.buffer)  # end at a word boundary
        await self._speak(self.buffer[:cut])

    async def _speak(self, text: str) -> None:
        self.buffer = self.buffer[len(text) :]
        if not text.strip():
            return
        stream = self.agent.prepare(
            text,
            voice=self.voice_id,
            format=self.output.spec,
            speed=self.speed,
            sample_rate=self.output.sample_rate,
            max_length=self.settings.max_input_chars,
            max_break_seconds=self.settings.max_break_seconds,
            normalize=self.normalize,
        )
        done = account_speech(self.websocket, stream)
        audio = []
        async with self.gate.slot(self.caller), aclosing(stream.pcm()) as chunks:
            started = time.perf_counter()
            async for chunk in chunks:
                audio.append(self.encoder.encode(chunk.pcm))
        done(time.perf_counter() - started)
        self.pieces += 1
        timing = alignment(text, stream.words, stream.sample_rate, stream.samples)
        starts = [round(t * 1000) for t in timing.character_start_times]
        ends = [round(t * 1000) for t in timing.character_end_times]
        block = {
            "chars": timing.characters,
            "charStartTimesMs": starts,
            "charDurationsMs": [end - start for start, end in zip(starts, ends, strict=True)],
        }
        await self._send_audio(b"".join(audio), block)

    async def _send_audio(self, audio: bytes, block: dict[str, Any] | None) -> None:
        await self.websocket.send_json(
            {
                "audio": base64.b64encode(audio).decode() if audio else None,
                "isFinal": None,
                "normalizedAlignment": block,
                "alignment": block,
            }
        )

    async def _finish(self) -> None:
        tail = self.encoder.finish()
        if tail:
            await self._send_audio(tail, None)
        await self.websocket.send_json({"audio": None, "isFinal": True})
        await self.websocket.close(1000)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _inactivity(value: str | None) -> float:
    try:
        seconds = float(value) if value else DEFAULT_INACTIVITY
    except ValueError:
        raise StreamInputError(
            "inactivity_timeout must be a number", "invalid_input_message"
        ) from None
    return min(max(seconds, 1.0), MAX_INACTIVITY)
