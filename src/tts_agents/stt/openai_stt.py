"""Speech-to-text through any OpenAI-compatible ``/audio/transcriptions`` endpoint.

The utterance is collected while the user speaks and sent as one WAV file when they stop
(``multipart/form-data`` with ``file``, ``model`` and ``response_format=json``, key as a
Bearer token). These APIs have no partial results, so :meth:`partial` is always "".
The base URL must be HTTPS unless it is loopback, and failures become the same
:mod:`tts_agents.errors` a cloud speech engine raises: 429 is a rate limit, 5xx means
unavailable, timeouts time out, anything else is a plain :class:`TTSAPIError`.
"""

from __future__ import annotations

import json

import httpx

from tts_agents.audio.encode import wav_header
from tts_agents.engines.http_errors import error_for_status, mapped_errors
from tts_agents.errors import TTSAPIError, TTSConfigError, TTSValidationError
from tts_agents.redact import register_secret
from tts_agents.stt.base import Transcript
from tts_agents.urls import base_url_problem, normalize_base_url

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "whisper-1"
DEFAULT_TIMEOUT = 30.0
SAMPLE_RATE = 16_000
MAX_SECONDS = 300  # providers cap uploads at ~25 MB; five minutes of 16 kHz PCM is 9.6 MB
_PROVIDER = "speech-to-text"


class OpenAITranscriptionFactory:
    """Recognizers that share one HTTP client and one endpoint."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        """``client`` replaces the factory's own (it is then not closed by :meth:`aclose`)."""
        url = base_url or DEFAULT_BASE_URL
        problem = base_url_problem(url)
        if problem:
            raise TTSConfigError(f"stt base_url {problem}")
        register_secret(api_key)
        self.url = normalize_base_url(url) + "/audio/transcriptions"
        self.model = model or DEFAULT_MODEL
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), follow_redirects=False
        )

    def create(self) -> OpenAITranscriptionRecognizer:
        """A recognizer for one session."""
        return OpenAITranscriptionRecognizer(self)

    async def transcribe(self, pcm16: bytes) -> Transcript:
        """POST one utterance as a WAV file; the provider's text as a :class:`Transcript`."""
        wav = wav_header(SAMPLE_RATE, len(pcm16)) + pcm16
        files = {"file": ("utterance.wav", wav, "audio/wav")}
        data = {"model": self.model, "response_format": "json"}
        with mapped_errors(_PROVIDER, "transcription"):
            response = await self._client.post(
                self.url, headers=self._headers, files=files, data=data
            )
        if not response.is_success:
            raise error_for_status(
                _PROVIDER, response.status_code, response.content, key_hint="the stt api key"
            )
        try:
            text = json.loads(response.content)["text"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TTSAPIError(f"{_PROVIDER}: the answer had no transcription text") from exc
        if not isinstance(text, str):
            raise TTSAPIError(f"{_PROVIDER}: the transcription text was not a string")
        return Transcript(text.strip(), None)

    async def aclose(self) -> None:
        """Close the HTTP client (when the factory made it)."""
        if self._owns_client:
            await self._client.aclose()


class OpenAITranscriptionRecognizer:
    """Collects one utterance and transcribes it when it ends."""

    def __init__(self, factory: OpenAITranscriptionFactory) -> None:
        self._factory = factory
        self._audio = bytearray()
        self._in_utterance = False
        self._closed = False

    async def start(self) -> None:
        """Begin an utterance (an unfinished one is discarded)."""
        self._check_open()
        self._audio.clear()
        self._in_utterance = True

    async def feed(self, pcm16: bytes) -> None:
        """Add audio to the utterance (kept in memory until :meth:`finish`)."""
        self._check_open()
        if not self._in_utterance:
            await self.start()
        if len(self._audio) + len(pcm16) > MAX_SECONDS * SAMPLE_RATE * 2:
            raise TTSValidationError("audio", f"an utterance may last at most {MAX_SECONDS} s")
        self._audio += pcm16

    async def partial(self) -> str:
        """Always "": transcription endpoints only answer for a whole file."""
        return ""

    async def pause(self) -> None:
        """Nothing to do early: the result is ready when the utterance ends."""

    async def finish(self) -> Transcript:
        """Send the utterance and return the provider's transcript."""
        self._check_open()
        if not self._in_utterance:
            raise TTSValidationError("utterance", "finish() called without start()")
        audio = bytes(self._audio[: len(self._audio) - len(self._audio) % 2])
        self._audio.clear()
        self._in_utterance = False
        if not audio:
            return Transcript("", None)
        return await self._factory.transcribe(audio)

    async def cancel(self) -> None:
        """Drop the current utterance."""
        self._audio.clear()
        self._in_utterance = False

    async def aclose(self) -> None:
        """Forget any audio; the HTTP client belongs to the factory."""
        await self.cancel()
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise TTSValidationError("recognizer", "is closed")


__all__ = ["OpenAITranscriptionFactory", "OpenAITranscriptionRecognizer"]
