"""The offline default engine, espeak-ng in-process."""

from tts_agents.engines.espeak.engine import EspeakEngine

__all__ = ["EspeakEngine"]
