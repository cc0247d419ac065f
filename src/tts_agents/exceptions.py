"""The original API's exceptions module; everything lives in :mod:`tts_agents.errors`."""

from tts_agents.errors import (
    EngineNotFoundError,
    MissingExtraError,
    TTSAgentError,
    TTSAPIError,
    TTSConfigError,
    TTSFileError,
    TTSRateLimitError,
    TTSTimeoutError,
    TTSUnavailableError,
    TTSValidationError,
    UnsupportedFormatError,
    VoiceNotFoundError,
)

__all__ = [
    "EngineNotFoundError",
    "MissingExtraError",
    "TTSAPIError",
    "TTSAgentError",
    "TTSConfigError",
    "TTSFileError",
    "TTSRateLimitError",
    "TTSTimeoutError",
    "TTSUnavailableError",
    "TTSValidationError",
    "UnsupportedFormatError",
    "VoiceNotFoundError",
]
