"""Every error TTS Agents raises, in one tree.

::

    TTSAgentError                 base; safe to show to a user
    ├── TTSConfigError            bad configuration (CLI exit 2)
    │   └── MissingExtraError     an optional feature's pip extra is not installed
    ├── TTSValidationError        bad input: names the field and the limit (HTTP 400, exit 2)
    │   ├── VoiceNotFoundError    unknown voice (HTTP 404 for ElevenLabs-style routes)
    │   ├── UnsupportedFormatError
    │   └── EngineNotFoundError
    ├── TTSAPIError               the engine or provider failed (HTTP 502, exit 1)
    │   ├── TTSRateLimitError     provider said 429 (retryable)
    │   ├── TTSTimeoutError       (retryable)
    │   └── TTSUnavailableError   provider down or overloaded (retryable)
    ├── TTSFileError              reading or writing a file failed (exit 1)
    └── ModelError                a model is not installed or cannot be fetched (HTTP 503, exit 1)
        └── ModelIntegrityError   a model file does not match its pinned SHA-256

Each class knows whether it is retryable and which HTTP status, WebSocket close code and
CLI exit code it maps to, so every edge translates errors the same way. Messages never carry
keys, headers or internal paths. ``map_errors`` turns backend errors (PyAV, OS) into ours.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class TTSAgentError(Exception):
    """Base class of every TTS Agents error."""

    retryable: bool = False
    http_status: int = 500
    ws_close_code: int = 1011
    exit_code: int = 1
    code: str = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TTSConfigError(TTSAgentError):
    """The configuration is invalid or incomplete."""

    exit_code = 2
    code = "invalid_config"


class MissingExtraError(TTSConfigError):
    """An optional feature needs a pip extra that is not installed."""

    def __init__(self, feature: str, extra: str) -> None:
        super().__init__(f"{feature} needs an optional extra: pip install 'tts-agents[{extra}]'")
        self.extra = extra


class TTSValidationError(TTSAgentError):
    """The input was rejected; ``field`` names what was wrong."""

    http_status = 400
    ws_close_code = 1008
    exit_code = 2
    code = "invalid_request"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self._message = message

    def __reduce__(self) -> tuple[type[TTSValidationError], tuple[str, str]]:
        # Rebuilt from its own arguments, so it crosses process boundaries (worker pools).
        return (type(self), (self.field, self._message))


class VoiceNotFoundError(TTSValidationError):
    """The voice is not known to the engine."""

    code = "voice_not_found"


class UnsupportedFormatError(TTSValidationError):
    """The audio format is not one TTS Agents can produce."""

    code = "unsupported_format"


class EngineNotFoundError(TTSValidationError):
    """No engine is registered under that name."""

    code = "engine_not_found"


class TTSAPIError(TTSAgentError):
    """The engine or the speech provider failed (name kept from the original API)."""

    http_status = 502
    code = "engine_error"

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class TTSRateLimitError(TTSAPIError):
    """The provider or our own limiter refused the request for now."""

    retryable = True
    http_status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, status_code=429)
        self.retry_after = retry_after


class TTSTimeoutError(TTSAPIError):
    """The engine or provider did not answer in time."""

    retryable = True
    http_status = 504
    code = "timeout"


class TTSUnavailableError(TTSAPIError):
    """The engine or provider is down or overloaded."""

    retryable = True
    http_status = 503
    code = "unavailable"


class TTSFileError(TTSAgentError):
    """Reading input or writing output failed."""

    code = "file_error"


class ModelError(TTSAgentError):
    """A model is not installed, or none of its sources can provide it.

    The message says what to install or run, in one line.
    """

    http_status = 503
    ws_close_code = 1011
    code = "model_unavailable"


class ModelIntegrityError(ModelError):
    """A model file differs from its pinned SHA-256: it is refused, never loaded."""

    code = "model_corrupt"


@contextmanager
def map_errors(action: str) -> Iterator[None]:
    """Translate backend errors raised inside the block into TTS Agents errors.

    ``action`` says what was being done ("encode mp3", "write out.wav") and becomes the
    start of the message. Our own errors pass through untouched.
    """
    import av  # local: keeps `import tts_agents.errors` light

    try:
        yield
    except TTSAgentError:
        raise
    except av.FFmpegError as exc:
        raise TTSAPIError(f"{action} failed: {exc.strerror or type(exc).__name__}") from exc
    except OSError as exc:
        raise TTSFileError(f"{action} failed: {exc.strerror or type(exc).__name__}") from exc
    except MemoryError as exc:
        raise TTSAPIError(f"{action} failed: out of memory") from exc
