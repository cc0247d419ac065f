"""Request and response models of the library API (names kept from the original API)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tts_agents.errors import TTSValidationError
from tts_agents.text.validation import validate_speed
from tts_agents.types import AudioFormat, TTSModel, Voice, WordMark


class TTSRequest(BaseModel):
    """One piece of text to speak, with how to speak it.

    Unset fields fall back to the agent's :class:`~tts_agents.TTSConfig` defaults. The text's
    content is checked when the agent runs it, against the agent's own limits.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    text: str
    voice: str | None = None
    model: str | None = None
    format: AudioFormat | None = None
    speed: float | None = None
    language: str | None = None
    sample_rate: int | None = Field(default=None, ge=8000, le=192000)
    pitch: float = Field(default=1.0, ge=0.0, le=2.0)
    volume: float = Field(default=1.0, ge=0.0, le=2.0)
    ssml: bool | None = None
    output_path: Path | None = None
    id: str | None = None

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            field = ".".join(str(part) for part in first["loc"]) or "request"
            raise TTSValidationError(field, first["msg"]) from None

    @field_validator("voice", "model", mode="before")
    @classmethod
    def _enum_to_value(cls, value: object) -> object:
        return value.value if isinstance(value, Voice | TTSModel) else value

    @field_validator("speed")
    @classmethod
    def _speed_in_range(cls, value: float | None) -> float | None:
        return None if value is None else validate_speed(value)


class WordTiming(BaseModel):
    """When a word of the input is spoken, and where it is in the input."""

    word: str
    start: float
    end: float
    text_start: int
    text_end: int


class Alignment(BaseModel):
    """Word- and character-level timings (character lists as in ElevenLabs' alignment)."""

    words: list[WordTiming] = Field(default_factory=list)
    characters: list[str] = Field(default_factory=list)
    character_start_times: list[float] = Field(default_factory=list)
    character_end_times: list[float] = Field(default_factory=list)


class TTSResponse(BaseModel):
    """The outcome of a synthesis: the audio, where it went, and what was done."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    success: bool
    audio_data: bytes | None = None
    file_path: Path | None = None
    duration: float | None = None
    file_size: int | None = None
    sample_rate: int | None = None
    format: AudioFormat | None = None
    words: list[WordMark] = Field(default_factory=list)
    alignment: Alignment | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
