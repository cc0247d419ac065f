"""Moved to :mod:`tts_agents.stt` (recognizers serve the transcription API and CLI too)."""

from tts_agents.stt import (
    ENGINES,
    Recognizer,
    RecognizerFactory,
    Transcript,
    build_recognizer_factory,
)

__all__ = ["ENGINES", "Recognizer", "RecognizerFactory", "Transcript", "build_recognizer_factory"]
