"""ElevenLabs text to speech, with word timestamps from its character alignment.

:meth:`ElevenLabsEngine.synthesize` calls ``POST /v1/text-to-speech/{voice_id}/stream/
with-timestamps?output_format=pcm_24000``: newline-delimited JSON, each line carrying a
base64 piece of s16le audio and the start time of each character. :class:`CharAligner`
walks those characters along the caller's text and emits a :class:`WordMark` when a word's
first character is spoken. :meth:`ElevenLabsEngine.synthesize_encoded` streams mp3, pcm or
wav exactly as ElevenLabs sends them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from tts_agents.config import TTSConfig
from tts_agents.engines.base import Capabilities, SynthesisOptions
from tts_agents.engines.http import ProviderHTTP
from tts_agents.engines.pcm import PcmFramer
from tts_agents.errors import (
    TTSAPIError,
    TTSConfigError,
    UnsupportedFormatError,
    VoiceNotFoundError,
)
from tts_agents.redact import get_logger, register_secret
from tts_agents.types import AudioChunk, TTSModel, VoiceInfo, WordMark

logger = get_logger(__name__)

DEFAULT_BASE_URL = "https://api.elevenlabs.io"
DEFAULT_MODEL = "eleven_multilingual_v2"
PCM_RATE = 24_000
SPEED_RANGE = (0.7, 1.2)
#: Our format name -> (endpoint suffix, ElevenLabs output_format).
NATIVE_OUTPUTS = {
    "mp3": ("/stream", "mp3_44100_128"),
    "pcm": ("/stream", f"pcm_{PCM_RATE}"),
    "wav": ("", f"wav_{PCM_RATE}"),  # wav only comes from the non-streaming endpoint
}
#: Models that accept ``language_code`` (others refuse it).
LANGUAGE_MODELS = frozenset({"eleven_turbo_v2_5", "eleven_flash_v2_5"})

#: OpenAI voice names mapped onto ElevenLabs premade voices of a similar character.
OPENAI_TO_ELEVENLABS = {
    "alloy": "21m00Tcm4TlvDq8ikWAM",  # Rachel
    "ash": "pNInz6obpgDQGcFmaJgB",  # Adam
    "ballad": "onwK4e9ZLuTAKqWW03F9",  # Daniel
    "coral": "EXAVITQu4vr4xnSDxMaL",  # Sarah
    "echo": "ErXwobaYiN019PkySvjV",  # Antoni
    "fable": "JBFqnCBsd6RMkjVDRZzb",  # George
    "onyx": "nPczCjzI2devNBz1zQrb",  # Brian
    "nova": "XB0fDUnXU5powFXDhCwa",  # Charlotte
    "sage": "Xb7hH8MSUJpSbSDYk0k2",  # Alice
    "shimmer": "pFZP5JQG7iQjIQuC4Bku",  # Lily
    "verse": "N2lVS1w4EtoT3dr4eOWO",  # Callum
    "marin": "XrExE9yKIg1WjnnlVkGX",  # Matilda
    "cedar": "pqHfZKP75CvOlQylNhV4",  # Bill
}
_VOICE_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_OPENAI_MODELS = frozenset(model.value for model in TTSModel)


class ElevenLabsEngine:
    """Speech from ElevenLabs (key from ``ELEVENLABS_API_KEY`` or ``elevenlabs_api_key``)."""

    name = "elevenlabs"

    def __init__(
        self, config: TTSConfig | None = None, *, client: httpx.AsyncClient | None = None
    ) -> None:
        config = config or TTSConfig()
        if config.elevenlabs_api_key is None or not config.elevenlabs_api_key.get_secret_value():
            raise TTSConfigError(
                "the elevenlabs engine needs an API key: set ELEVENLABS_API_KEY or "
                "TTSConfig(elevenlabs_api_key=...)"
            )
        key = config.elevenlabs_api_key.get_secret_value()
        register_secret(key)
        self.http = ProviderHTTP(
            self.name,
            config.elevenlabs_base_url or DEFAULT_BASE_URL,
            config,
            headers={"xi-api-key": key},
            key_hint="ELEVENLABS_API_KEY",
            client=client,
        )
        self._names: dict[str, str] = {}
        self.capabilities = Capabilities(
            sample_rate=PCM_RATE,
            streaming_output=True,
            word_timestamps=True,
            speed_range=SPEED_RANGE,
            pitch=False,
            volume=False,
            local=False,
            native_formats=tuple(NATIVE_OUTPUTS),
        )

    async def voices(self) -> list[VoiceInfo]:
        """The account's voices from ``GET /v1/voices``; their names then resolve too."""
        data = await self.http.json("GET", "/v1/voices")
        items = data.get("voices", []) if isinstance(data, dict) else []
        voices = [_voice_info(item, self.name) for item in items if _is_voice(item)]
        self._names.update({voice.name.lower(): voice.id for voice in voices})
        return voices

    async def models(self) -> list[str]:
        """Text-to-speech model ids from ``GET /v1/models``."""
        data = await self.http.json("GET", "/v1/models")
        items = data if isinstance(data, list) else []
        return [
            str(item["model_id"])
            for item in items
            if isinstance(item, dict)
            and "model_id" in item
            and item.get("can_do_text_to_speech", True)
        ]

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """An OpenAI voice name, a voice name seen in :meth:`voices`, or a voice id."""
        name = voice.strip()
        known = OPENAI_TO_ELEVENLABS.get(name.lower()) or self._names.get(name.lower())
        if known:
            return known
        if _VOICE_ID.match(name):
            return name
        raise VoiceNotFoundError("voice", f"{voice!r} is not an ElevenLabs voice name or id")

    async def synthesize(self, text: str, options: SynthesisOptions) -> AsyncIterator[AudioChunk]:
        """Yield 24 kHz PCM chunks with the words that start in them."""
        framer = PcmFramer()
        aligner = CharAligner(text, PCM_RATE)
        path = f"/v1/text-to-speech/{quote(options.voice, safe='')}/stream/with-timestamps"
        params = {"output_format": f"pcm_{PCM_RATE}"}
        async with self.http.stream(
            "POST", path, expect="json", json=self._body(text, options), params=params
        ) as body:
            async for item in _json_lines(body):
                pcm = framer.push(self._audio(item))
                marks = aligner.feed(_alignment(item))
                if pcm or marks:
                    yield AudioChunk(pcm, PCM_RATE, marks)

    async def synthesize_encoded(
        self, text: str, options: SynthesisOptions, fmt: str
    ) -> AsyncIterator[bytes]:
        """Stream ElevenLabs' own bytes in ``fmt`` (one of ``native_formats``)."""
        if fmt not in NATIVE_OUTPUTS:
            raise UnsupportedFormatError(
                "format", f"{self.name} cannot send {fmt!r}; it sends {', '.join(NATIVE_OUTPUTS)}"
            )
        suffix, output_format = NATIVE_OUTPUTS[fmt]
        path = f"/v1/text-to-speech/{quote(options.voice, safe='')}{suffix}"
        async with self.http.stream(
            "POST", path, json=self._body(text, options), params={"output_format": output_format}
        ) as body:
            async for data in body:
                yield data

    def _body(self, text: str, options: SynthesisOptions) -> dict[str, Any]:
        model = options.model if options.model and options.model not in _OPENAI_MODELS else None
        body: dict[str, Any] = {"text": text, "model_id": model or DEFAULT_MODEL}
        if abs(options.speed - 1.0) > 1e-6:
            speed = min(max(options.speed, SPEED_RANGE[0]), SPEED_RANGE[1])
            body["voice_settings"] = {"speed": round(speed, 4)}
        if options.language and body["model_id"] in LANGUAGE_MODELS:
            body["language_code"] = options.language.split("-")[0].lower()
        return body

    def _audio(self, item: dict[str, Any]) -> bytes:
        encoded = item.get("audio_base64")
        if not isinstance(encoded, str) or not encoded:
            return b""
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise TTSAPIError(f"{self.name}: the response held invalid audio data") from exc

    async def aclose(self) -> None:
        """Close the pooled connections; calling it twice is harmless."""
        await self.http.aclose()


class CharAligner:
    """Word marks from a provider's per-character timings, pointing into the caller's text.

    Characters are matched in order against the text, skipping the few a provider adds or
    normalizes away, so a mark's ``text_start``/``text_end`` always cut the caller's own text.
    """

    _WORD = re.compile(r"\w+(?:['\u2019\-]\w+)*")
    _LOOKAHEAD = 8

    def __init__(self, text: str, sample_rate: int) -> None:
        self._text = text
        self._rate = sample_rate
        self._word_ends = {m.start(): m.end() for m in self._WORD.finditer(text)}
        self._pos = 0

    def feed(
        self, timings: Iterator[tuple[str, float]] | Sequence[tuple[str, float]]
    ) -> tuple[WordMark, ...]:
        """Marks for the words whose first character is among ``timings`` (char, seconds)."""
        marks = []
        for char, seconds in timings:
            index = self._find(char)
            if index is None:
                continue
            self._pos = index + 1
            end = self._word_ends.pop(index, None)
            if end is not None:
                marks.append(WordMark(index, end, max(0, round(seconds * self._rate))))
        return tuple(marks)

    def _find(self, char: str) -> int | None:
        if char.isspace():
            # Whitespace only matches where the text has it, so a stray space cannot skip a word.
            at = self._pos
            return at if at < len(self._text) and self._text[at].isspace() else None
        window = self._text[self._pos : self._pos + self._LOOKAHEAD]
        offset = window.find(char)
        if offset < 0:
            offset = window.lower().find(char.lower())
        return None if offset < 0 else self._pos + offset


async def _json_lines(body: AsyncIterator[bytes]) -> AsyncIterator[dict[str, Any]]:
    """Objects from newline-delimited JSON; lines that are not JSON objects are skipped."""
    pending = b""
    async for data in body:
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            item = _parse_line(line)
            if item is not None:
                yield item
    item = _parse_line(pending)
    if item is not None:
        yield item


def _parse_line(line: bytes) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        item = json.loads(line)
    except ValueError:
        logger.debug("elevenlabs: skipped a line that is not JSON (%d bytes)", len(line))
        return None
    return item if isinstance(item, dict) else None


def _alignment(item: dict[str, Any]) -> list[tuple[str, float]]:
    """(character, start seconds) pairs from a line's alignment (the original text's)."""
    alignment = item.get("alignment") or item.get("normalized_alignment")
    if not isinstance(alignment, dict):
        return []
    chars = alignment.get("characters") or []
    starts = alignment.get("character_start_times_seconds") or []
    return [
        (char, float(start))
        for char, start in zip(chars, starts, strict=False)
        if isinstance(char, str) and char and isinstance(start, int | float)
    ]


def _is_voice(item: object) -> bool:
    return isinstance(item, dict) and isinstance(item.get("voice_id"), str)


def _voice_info(item: dict[str, Any], engine: str) -> VoiceInfo:
    raw = item.get("labels")
    labels: dict[str, Any] = raw if isinstance(raw, dict) else {}
    language = labels.get("language")
    return VoiceInfo(
        id=item["voice_id"],
        name=str(item.get("name") or item["voice_id"]),
        engine=engine,
        languages=(str(language),) if language else (),
        gender=str(labels["gender"]) if labels.get("gender") else None,
        description=str(item["description"]) if item.get("description") else None,
    )


__all__ = ["CharAligner", "ElevenLabsEngine"]
