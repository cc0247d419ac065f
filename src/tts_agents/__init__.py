"""TTS Agents: offline-first text to speech, every audio format, OpenAI-style API.

>>> import asyncio
>>> from tts_agents import TTSAgent, Voice
>>> async def main():
...     async with TTSAgent() as agent:
...         await agent.generate_speech("Hello!", voice=Voice.ALLOY, output_path="hello.mp3")
"""

from tts_agents.batch import BatchProcessor, BatchResult
from tts_agents.config import TTSConfig
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
from tts_agents.models import TTSRequest, TTSResponse
from tts_agents.speech import TTSAgent
from tts_agents.streaming import StreamingTTS
from tts_agents.types import AudioChunk, AudioFormat, TTSModel, Voice, VoiceInfo, WordMark

__version__ = "0.2.0"

__all__ = [
    "AudioChunk",
    "AudioFormat",
    "BatchProcessor",
    "BatchResult",
    "EngineNotFoundError",
    "MissingExtraError",
    "StreamingTTS",
    "TTSAPIError",
    "TTSAgent",
    "TTSAgentError",
    "TTSConfig",
    "TTSConfigError",
    "TTSFileError",
    "TTSModel",
    "TTSRateLimitError",
    "TTSRequest",
    "TTSResponse",
    "TTSTimeoutError",
    "TTSUnavailableError",
    "TTSValidationError",
    "UnsupportedFormatError",
    "Voice",
    "VoiceInfo",
    "VoiceNotFoundError",
    "WordMark",
    "__version__",
]
