"""``TTSConfig``: library settings, from keyword arguments or environment variables.

Every field can be set as ``TTS_AGENTS_<FIELD>`` in the environment; the original API's
``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` are honoured too. Keys are ``SecretStr`` so they
never appear in ``repr``, ``str`` or logs.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tts_agents.errors import TTSConfigError
from tts_agents.text.validation import DEFAULT_MAX_TEXT_LENGTH, MAX_SPEED, MIN_SPEED
from tts_agents.types import AudioFormat, TTSModel, Voice

DEFAULT_ENGINE = "espeak"


class TTSConfig(BaseSettings):
    """Settings for :class:`~tts_agents.TTSAgent`.

    ``engine`` picks the speech engine; when nothing is configured the offline ``espeak``
    engine is used, so no key and no network are needed.
    """

    model_config = SettingsConfigDict(
        env_prefix="TTS_AGENTS_",
        populate_by_name=True,
        extra="forbid",
        validate_assignment=True,
    )

    engine: str | None = Field(default=None, description="Engine name; None means espeak.")
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("api_key", "TTS_AGENTS_API_KEY", "OPENAI_API_KEY"),
    )
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("base_url", "TTS_AGENTS_BASE_URL", "OPENAI_BASE_URL"),
    )
    timeout: float = Field(default=30.0, gt=0, le=3600)
    max_retries: int = Field(default=3, ge=0, le=20)
    rate_limit_delay: float = Field(default=1.0, ge=0, le=60)
    default_voice: str = Voice.ALLOY.value
    default_model: str = TTSModel.TTS_1.value
    default_format: AudioFormat = AudioFormat.MP3
    default_speed: float = Field(default=1.0, ge=MIN_SPEED, le=MAX_SPEED)
    language: str | None = None
    sample_rate: int | None = Field(default=None, ge=8000, le=192000)
    max_text_length: int = Field(default=DEFAULT_MAX_TEXT_LENGTH, ge=1)
    enable_security_checks: bool = True
    enable_rate_limiting: bool = True

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise TTSConfigError(_describe(exc)) from None

    @field_validator("default_voice", "default_model", mode="before")
    @classmethod
    def _enum_to_value(cls, value: object) -> object:
        return value.value if isinstance(value, Voice | TTSModel) else value

    @field_validator("default_speed")
    @classmethod
    def _finite_speed(cls, value: float) -> float:
        if math.isnan(value):
            raise ValueError("default_speed must be a number")
        return value

    @property
    def engine_name(self) -> str:
        """The engine to use: ``engine`` if set, else the offline default."""
        return self.engine or DEFAULT_ENGINE


def _describe(exc: ValidationError) -> str:
    """One line naming each bad setting, without echoing its value (it may be a key)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or "config"
        parts.append(f"{name}: {error['msg']}")
    return "invalid configuration: " + "; ".join(parts)
