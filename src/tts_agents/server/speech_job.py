"""A speech request as plain data, so a worker process can rebuild the same stream."""

from __future__ import annotations

from dataclasses import dataclass, fields

from tts_agents.audio.formats import FormatSpec
from tts_agents.speech import TTSAgent
from tts_agents.synthesis import SpeechStream


@dataclass(frozen=True)
class SpeechJob:
    """The arguments of :meth:`TTSAgent.prepare` for one HTTP request (picklable)."""

    text: str
    voice: str
    format: FormatSpec
    sample_rate: int | None = None
    speed: float | None = None
    language: str | None = None
    max_length: int | None = None
    collect_words: bool = False
    model: str | None = None
    instructions: str | None = None
    max_break_seconds: float | None = None
    normalize: str | None = None

    def prepare(self, agent: TTSAgent) -> SpeechStream:
        """Validate the request and return its stream (raises the validation errors)."""
        return agent.prepare(**{field.name: getattr(self, field.name) for field in fields(self)})
