"""Piper voices (extra: piper; the joe voice: `tts-agents models pull piper-joe`)."""

from tts_agents.engines.piper.engine import PiperEngine, is_piper_voice

__all__ = ["PiperEngine", "is_piper_voice"]
