"""Fake OpenAI and ElevenLabs speech APIs, per /work/shared/PROTOCOLS.md, with a fault queue.

Each fake checks the key header and the request body the way the provider documents them,
answers with real audio (a tone, s16le mono) or recognisable encoded bytes, and before any
of that pops the next :class:`Reply` from ``faults`` if one is queued: that is how a test
scripts "429, 429, then success" or "reset, then success".
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from tests.fakes.http_server import FakeServer, Reply, Request
from tts_agents.config import TTSConfig

PCM_RATE = 24_000
SECONDS_PER_CHAR = 0.03
OPENAI_KEY = "sk-test-openai-0123456789abcdef"
ELEVENLABS_KEY = "sk_test_elevenlabs_0123456789abcdef"
OPENAI_VOICES = {
    "alloy", "ash", "ballad", "coral", "echo", "fable", "onyx",
    "nova", "sage", "shimmer", "verse", "marin", "cedar",
}  # fmt: skip
OPENAI_FORMATS = {
    "mp3": "audio/mpeg",
    "opus": "audio/opus",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
}
#: Recognisable stand-ins for provider-encoded audio: pass-through must keep them byte for byte.
ENCODED = {fmt: bytes(range(256)) * 40 + fmt.encode() for fmt in OPENAI_FORMATS}


def tone(seconds: float, rate: int = PCM_RATE) -> bytes:
    """A 440 Hz tone as s16le mono."""
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes()


def pieces(data: bytes, size: int = 4096) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


class ScriptedFake:
    """Common parts: a fault queue and the server the fake runs on."""

    def __init__(self) -> None:
        self.faults: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.server: FakeServer | None = None

    @property
    def requests(self) -> list[Request]:
        assert self.server is not None
        return self.server.requests

    def queue(self, *replies: Reply) -> None:
        self.faults.extend(replies)

    def _next_fault(self) -> Reply | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None


def openai_error(status: int, message: str, type_: str, code: str | None = None) -> Reply:
    return Reply.json(
        status, {"error": {"message": message, "type": type_, "param": None, "code": code}}
    )


class OpenAIFake(ScriptedFake):
    """``/v1/audio/speech`` and ``/v1/models`` as OpenAI serves them."""

    def __init__(self, key: str | None = OPENAI_KEY) -> None:
        super().__init__()
        self.key = key

    def __call__(self, request: Request) -> Reply:
        if self.key is not None and request.headers.get("authorization") != f"Bearer {self.key}":
            presented = request.headers.get("authorization", "").removeprefix("Bearer ")
            # Like the real API, name the key that was presented (here in full, to make
            # sure the client redacts it).
            return openai_error(
                401, f"Incorrect API key provided: {presented}.", "invalid_request_error",
                "invalid_api_key",
            )  # fmt: skip
        fault = self._next_fault()
        if fault is not None:
            return fault
        if request.method == "GET" and request.path == "/v1/models":
            models = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "system"}
                      for m in ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")]  # fmt: skip
            return Reply.json(200, {"object": "list", "data": models})
        if request.method == "POST" and request.path == "/v1/audio/speech":
            return self._speech(request.json())
        return openai_error(404, f"Unknown request URL: {request.path}", "invalid_request_error")

    def _speech(self, body: dict[str, Any]) -> Reply:
        problem = _openai_problem(body)
        if problem:
            return openai_error(400, problem, "invalid_request_error")
        fmt = body.get("response_format", "mp3")
        if fmt == "pcm":
            data = tone(len(body["input"]) * SECONDS_PER_CHAR / body.get("speed", 1.0))
        else:
            data = ENCODED[fmt]
        return Reply(200, {"content-type": OPENAI_FORMATS[fmt]}, pieces(data))


def _openai_problem(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "body must be a JSON object"
    for name in ("model", "input", "voice"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"'{name}' is a required property"
    if body["voice"] not in OPENAI_VOICES:
        return f"Invalid value for 'voice': {body['voice']}"
    if body.get("response_format", "mp3") not in OPENAI_FORMATS:
        return "Invalid value for 'response_format'"
    speed = body.get("speed", 1.0)
    if not isinstance(speed, int | float) or not 0.25 <= speed <= 4.0:
        return "'speed' must be between 0.25 and 4.0"
    extra = set(body) - {"model", "input", "voice", "response_format", "speed", "instructions",
                         "stream_format"}  # fmt: skip
    return f"Unrecognized request argument supplied: {sorted(extra)[0]}" if extra else None


def elevenlabs_error(status: int, code: str, message: str) -> Reply:
    return Reply.json(status, {"detail": {"status": code, "message": message}})


ELEVENLABS_VOICES = [
    {"voice_id": "21m00Tcm4TlvDq8ikWAM", "name": "Rachel", "category": "premade",
     "labels": {"accent": "american", "gender": "female"}, "description": None},
    {"voice_id": "pNInz6obpgDQGcFmaJgB", "name": "Adam", "category": "premade",
     "labels": {"accent": "american", "gender": "male"}, "description": "deep"},
]  # fmt: skip
_TTS_PATH = re.compile(r"^/v1/text-to-speech/([^/]+)(/stream)?(/with-timestamps)?$")
_OUTPUT = re.compile(r"^(mp3_(22050_32|24000_48|44100_(32|64|96|128|192))|"
                     r"(pcm|wav)_(8000|16000|22050|24000|32000|44100|48000)|ulaw_8000|alaw_8000|"
                     r"opus_48000_(32|64|96|128|192))$")  # fmt: skip


class ElevenLabsFake(ScriptedFake):
    """Text to speech (all four endpoints), voices and models as ElevenLabs serves them."""

    def __init__(self, key: str = ELEVENLABS_KEY) -> None:
        super().__init__()
        self.key = key
        self.voice_ids = {voice["voice_id"] for voice in ELEVENLABS_VOICES}

    def __call__(self, request: Request) -> Reply:
        if request.headers.get("xi-api-key") != self.key:
            return elevenlabs_error(401, "invalid_api_key", "Invalid API key")
        fault = self._next_fault()
        if fault is not None:
            return fault
        if request.method == "GET" and request.path == "/v1/voices":
            return Reply.json(200, {"voices": ELEVENLABS_VOICES})
        if request.method == "GET" and request.path == "/v1/models":
            return Reply.json(200, [
                {"model_id": "eleven_multilingual_v2", "can_do_text_to_speech": True},
                {"model_id": "eleven_english_sts_v2", "can_do_text_to_speech": False},
            ])  # fmt: skip
        match = _TTS_PATH.match(request.path)
        if request.method == "POST" and match:
            return self._speech(request, match.group(1), bool(match.group(2)), bool(match.group(3)))
        return elevenlabs_error(404, "not_found", "Not found")

    def _speech(self, request: Request, voice: str, stream: bool, timestamps: bool) -> Reply:
        if voice not in self.voice_ids:
            return elevenlabs_error(
                404, "voice_not_found", f"A voice with voice_id {voice} was not found."
            )
        output = request.query.get("output_format", "mp3_44100_128")
        body = request.json()
        problem = _elevenlabs_problem(body, output, stream)
        if problem:
            return Reply.json(
                422, {"detail": [{"loc": ["body"], "msg": problem, "type": "value_error"}]}
            )
        if timestamps:
            return self._timestamps(body["text"], output, stream)
        if output.startswith("pcm_"):
            return Reply(200, {"content-type": "audio/pcm"}, pieces(tone(0.3, int(output[4:]))))
        fmt = "wav" if output.startswith("wav_") else "mp3"
        return Reply(200, {"content-type": OPENAI_FORMATS[fmt]}, pieces(ENCODED[fmt]))

    def _timestamps(self, text: str, output: str, stream: bool) -> Reply:
        rate = int(output.split("_")[1])
        lines = [json.dumps(item).encode() + b"\n" for item in _aligned_pieces(text, rate)]
        if not stream:
            merged = _merge(text, rate)
            return Reply.json(200, merged)
        return Reply(200, {"content-type": "application/json"}, lines)


def _aligned_pieces(text: str, rate: int, size: int = 12) -> Iterator[dict[str, Any]]:
    """The stream/with-timestamps lines: audio per piece, times from the start of the audio."""
    for start in range(0, len(text), size):
        piece = text[start : start + size]
        times = [(start + i) * SECONDS_PER_CHAR for i in range(len(piece))]
        alignment = {
            "characters": list(piece),
            "character_start_times_seconds": times,
            "character_end_times_seconds": [t + SECONDS_PER_CHAR for t in times],
        }
        audio = tone(len(piece) * SECONDS_PER_CHAR, rate)
        yield {
            "audio_base64": base64.b64encode(audio).decode(),
            "alignment": alignment,
            "normalized_alignment": alignment,
        }


def _merge(text: str, rate: int) -> dict[str, Any]:
    items = list(_aligned_pieces(text, rate))
    audio = b"".join(base64.b64decode(item["audio_base64"]) for item in items)
    alignment = {
        key: [value for item in items for value in item["alignment"][key]]
        for key in items[0]["alignment"]
    }
    return {"audio_base64": base64.b64encode(audio).decode(), "alignment": alignment}


def _elevenlabs_problem(body: Any, output: str, stream: bool) -> str | None:
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
        return "field required: text"
    if not isinstance(body.get("model_id", ""), str):
        return "model_id must be a string"
    settings = body.get("voice_settings") or {}
    speed = settings.get("speed", 1.0)
    if not isinstance(speed, int | float) or not 0.7 <= speed <= 1.2:
        return "voice_settings.speed must be between 0.7 and 1.2"
    if not _OUTPUT.match(output) or (stream and output.startswith("wav_")):
        return f"invalid output_format {output}"
    return None


@contextmanager
def serve(fake: ScriptedFake) -> Iterator[FakeServer]:
    """Run ``fake`` on a real local server for the ``with`` block."""
    with FakeServer(fake) as server:
        fake.server = server
        yield server


def fast_config(**settings: Any) -> TTSConfig:
    """A config for tests: real retry logic, but no 1 s spacing and millisecond backoff."""
    defaults: dict[str, Any] = {
        "rate_limit_delay": 0.0,
        "retry_base_delay": 0.01,
        "timeout": 2.0,
        "max_retries": 3,
    }
    return TTSConfig(**{**defaults, **settings})


def openai_config(server: FakeServer, **settings: Any) -> TTSConfig:
    return fast_config(**{"api_key": OPENAI_KEY, "base_url": f"{server.url}/v1", **settings})


def elevenlabs_config(server: FakeServer, **settings: Any) -> TTSConfig:
    defaults = {"elevenlabs_api_key": ELEVENLABS_KEY, "elevenlabs_base_url": server.url}
    return fast_config(**{**defaults, **settings})
