"""OpenAI's speech API, and any server that speaks it (``openai-compatible``).

``POST {base_url}/audio/speech`` with ``model``, ``input``, ``voice``, ``response_format``
and, when set, ``speed`` and ``instructions``; the body is streamed back. For PCM we ask for
``response_format=pcm`` (s16le mono, 24 kHz, no header); for :meth:`synthesize_encoded` the
provider's own mp3/opus/aac/flac/wav/pcm bytes pass through untouched.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from tts_agents.config import TTSConfig
from tts_agents.engines.base import Capabilities, SynthesisOptions
from tts_agents.engines.http import ProviderHTTP
from tts_agents.engines.pcm import PcmFramer
from tts_agents.errors import TTSConfigError, UnsupportedFormatError, VoiceNotFoundError
from tts_agents.redact import register_secret
from tts_agents.types import AudioChunk, Voice, VoiceInfo

DEFAULT_BASE_URL = "https://api.openai.com/v1"
PCM_RATE = 24_000
SPEED_RANGE = (0.25, 4.0)
NATIVE_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
OPENAI_VOICES = tuple(voice.value for voice in Voice)

_CUSTOM_VOICE = re.compile(r"^[\w.:+\-]{1,128}$")


class OpenAIEngine:
    """Speech from OpenAI's ``/audio/speech`` (key from ``OPENAI_API_KEY`` or ``api_key``).

    ``client`` replaces the pooled httpx client (tests bind one to a local server).
    """

    name = "openai"
    key_hint = "OPENAI_API_KEY"

    def __init__(
        self, config: TTSConfig | None = None, *, client: httpx.AsyncClient | None = None
    ) -> None:
        config = config or TTSConfig()
        key = config.api_key.get_secret_value() if config.api_key else None
        self._check_key(key)
        register_secret(key)
        self._default_model = config.default_model
        self.http = ProviderHTTP(
            self.name,
            self._base_url(config),
            config,
            headers={"Authorization": f"Bearer {key}"} if key else {},
            key_hint=self.key_hint,
            client=client,
        )
        self.capabilities = Capabilities(
            sample_rate=PCM_RATE,
            streaming_output=True,
            word_timestamps=False,
            speed_range=SPEED_RANGE,
            pitch=False,
            volume=False,
            local=False,
            native_formats=NATIVE_FORMATS,
        )

    def _check_key(self, key: str | None) -> None:
        if not key:
            raise TTSConfigError(
                "the openai engine needs an API key: set OPENAI_API_KEY or TTSConfig(api_key=...)"
            )

    def _base_url(self, config: TTSConfig) -> str:
        return config.base_url or DEFAULT_BASE_URL

    async def voices(self) -> list[VoiceInfo]:
        """OpenAI's built-in voices (the API has no endpoint listing them)."""
        return [VoiceInfo(id=v, name=v.capitalize(), engine=self.name) for v in OPENAI_VOICES]

    async def models(self) -> list[str]:
        """Model ids from ``GET /models``."""
        data = await self.http.json("GET", "/models")
        items = data.get("data", []) if isinstance(data, dict) else []
        return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """An OpenAI voice name (case-insensitive); the language needs no voice change."""
        name = voice.strip().lower()
        if name in OPENAI_VOICES:
            return name
        raise VoiceNotFoundError(
            "voice",
            f"unknown voice {voice!r} for {self.name}; available: {', '.join(OPENAI_VOICES)}",
        )

    async def synthesize(self, text: str, options: SynthesisOptions) -> AsyncIterator[AudioChunk]:
        """Yield 24 kHz PCM chunks as the provider streams them."""
        framer = PcmFramer()
        async with self.http.stream(
            "POST", "/audio/speech", json=self._body(text, options, "pcm")
        ) as body:
            async for data in body:
                pcm = framer.push(data)
                if pcm:
                    yield AudioChunk(pcm, PCM_RATE)

    async def synthesize_encoded(
        self, text: str, options: SynthesisOptions, fmt: str
    ) -> AsyncIterator[bytes]:
        """Stream the provider's own bytes in ``fmt`` (one of ``native_formats``)."""
        if fmt not in NATIVE_FORMATS:
            raise UnsupportedFormatError(
                "format", f"{self.name} cannot send {fmt!r}; it sends {', '.join(NATIVE_FORMATS)}"
            )
        async with self.http.stream(
            "POST", "/audio/speech", json=self._body(text, options, fmt)
        ) as body:
            async for data in body:
                yield data

    def _body(self, text: str, options: SynthesisOptions, fmt: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": options.model or self._default_model,
            "input": text,
            "voice": options.voice,
            "response_format": fmt,
        }
        if abs(options.speed - 1.0) > 1e-6:
            body["speed"] = round(min(max(options.speed, SPEED_RANGE[0]), SPEED_RANGE[1]), 4)
        if options.instructions:
            body["instructions"] = options.instructions
        return body

    async def aclose(self) -> None:
        """Close the pooled connections; calling it twice is harmless."""
        await self.http.aclose()


class OpenAICompatibleEngine(OpenAIEngine):
    """Any server speaking OpenAI's speech API at ``base_url`` (ours included).

    The key is optional (self-hosted servers often need none) and any voice name is passed
    through, since such servers bring their own voices.
    """

    name = "openai-compatible"
    key_hint = "the server's API key"

    def _check_key(self, key: str | None) -> None:
        """No key is fine for a self-hosted server."""

    def _base_url(self, config: TTSConfig) -> str:
        if not config.base_url:
            raise TTSConfigError(
                "the openai-compatible engine needs a base URL: set OPENAI_BASE_URL or "
                "TTSConfig(base_url='https://host/v1')"
            )
        return config.base_url

    def resolve_voice(self, voice: str, language: str | None = None) -> str:
        """Any plausible voice id: the server decides whether it knows it."""
        name = voice.strip()
        if name.lower() in OPENAI_VOICES:
            return name.lower()
        if _CUSTOM_VOICE.match(name):
            return name
        raise VoiceNotFoundError("voice", f"{voice!r} is not a valid voice name")


__all__ = ["OpenAICompatibleEngine", "OpenAIEngine"]
