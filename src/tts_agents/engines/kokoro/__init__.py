"""Kokoro-82M, the natural offline voice (extra: kokoro; `tts-agents models pull kokoro`)."""

from tts_agents.engines.kokoro.engine import KokoroEngine

__all__ = ["KokoroEngine"]
