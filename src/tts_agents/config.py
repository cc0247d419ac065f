"""``TTSConfig``: library settings, from keyword arguments or environment variables.

Every field can be set as ``TTS_AGENTS_<FIELD>`` in the environment; the original API's
``OPENAI_API_KEY`` and ``OPENAI_BASE_URL`` are honoured too, and so are ``ELEVENLABS_API_KEY``
and ``ELEVENLABS_BASE_URL``. Keys are ``SecretStr`` so they never appear in ``repr``, ``str``
or logs. Provider base URLs must be HTTPS unless they point at this machine.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from tts_agents.errors import TTSConfigError
from tts_agents.redact import register_secret
from tts_agents.text.validation import DEFAULT_MAX_TEXT_LENGTH, MAX_SPEED, MIN_SPEED
from tts_agents.types import AudioFormat, TTSModel, Voice
from tts_agents.urls import base_url_problem

DEFAULT_ENGINE = "auto"


class TTSConfig(BaseSettings):
    """Settings for :class:`~tts_agents.TTSAgent`.

    ``engine`` picks the speech engine; when nothing is configured it is ``auto``: the best
    installed offline voice (Kokoro, then Piper, then espeak-ng, which is always there), so
    no key and no network are needed. Several engines make a fallback chain, tried in order:
    ``engine="elevenlabs,openai,espeak"`` or ``engines=[...]`` (``engines`` wins when both
    are set). ``models_dir``, ``device``, ``model_variant`` and ``onnx_threads`` configure
    the neural engines.
    """

    model_config = SettingsConfigDict(
        env_prefix="TTS_AGENTS_",
        populate_by_name=True,
        extra="forbid",
        validate_assignment=True,
    )

    engine: str | None = Field(default=None, description="Engine name; None means auto.")
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
    normalize: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Read numbers, dates, money and symbols as people say them: auto is on "
        "for local engines and off for cloud engines, which normalize for themselves.",
    )
    sample_rate: int | None = Field(default=None, ge=8000, le=192000)
    max_text_length: int = Field(default=DEFAULT_MAX_TEXT_LENGTH, ge=1)
    enable_security_checks: bool = True
    enable_rate_limiting: bool = True
    engines: list[str] | None = Field(
        default=None, description="Fallback chain of engine names, tried in order."
    )
    elevenlabs_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "elevenlabs_api_key", "TTS_AGENTS_ELEVENLABS_API_KEY", "ELEVENLABS_API_KEY"
        ),
    )
    elevenlabs_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "elevenlabs_base_url", "TTS_AGENTS_ELEVENLABS_BASE_URL", "ELEVENLABS_BASE_URL"
        ),
    )
    allow_insecure_http: bool = Field(
        default=False, description="Allow plain http:// base URLs on non-loopback hosts."
    )
    max_concurrent_requests: int = Field(default=4, ge=1, le=1000)
    requests_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    retry_base_delay: float = Field(default=0.5, ge=0, le=60)
    circuit_failure_threshold: int = Field(default=5, ge=1, le=1000)
    circuit_reset_timeout: float = Field(default=30.0, gt=0, le=3600)
    models_dir: Path | None = Field(
        default=None, description="Where neural models are installed (default: user cache)."
    )
    models_mirror: str | None = Field(
        default=None, description="A mirror serving the upstream model URLs' paths."
    )
    allow_voice_paths: bool = Field(
        default=True,
        description="Voices may name model files (a Piper .onnx); servers turn this off.",
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where neural engines run; auto uses CUDA when present."
    )
    model_variant: Literal["int8", "fp16", "fp32"] = Field(
        default="int8", description="Kokoro weights: int8 (installed offline), fp16, fp32."
    )
    onnx_threads: int | None = Field(
        default=None, ge=1, le=64, description="Cores one neural run uses (default: all, <=4)."
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise TTSConfigError(_describe(exc)) from None

    def __setattr__(self, name: str, value: Any) -> None:
        previous = self.__dict__.get(name)
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            # A model-level check fails after the value was stored: put the old one back.
            if name in self.__dict__:
                self.__dict__[name] = previous
            raise TTSConfigError(_describe(exc)) from None

    @field_validator("default_voice", "default_model", mode="before")
    @classmethod
    def _enum_to_value(cls, value: object) -> object:
        return value.value if isinstance(value, Voice | TTSModel) else value

    @classmethod
    def _finite_speed(cls, value: float) -> float:
        if math.isnan(value):
            raise ValueError("default_speed must be a number")
        return value

    @field_validator("models_dir", mode="before")
    @classmethod
    def _expand_models_dir(cls, value: object) -> object:
        if isinstance(value, str | Path):
            text = str(value).strip()
            return Path(text).expanduser() if text else None
        return value

    @field_validator("engines", mode="before")
    @classmethod
    def _split_engines(cls, value: object) -> object:
        return value.split(",") if isinstance(value, str) else value

    @field_validator("engines")
    @classmethod
    def _clean_engines(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        names = [name.strip().lower() for name in value]
        if not names or not all(names):
            raise ValueError("engine names must not be empty")
        return names

    @model_validator(mode="after")
    def _register_keys(self) -> TTSConfig:
        # Once known, a key is redacted verbatim from every log record.
        for key in (self.api_key, self.elevenlabs_api_key):
            register_secret(key.get_secret_value() if key else None)
        return self

    @model_validator(mode="after")
    def _secure_base_urls(self) -> TTSConfig:
        for field in ("base_url", "elevenlabs_base_url"):
            url = getattr(self, field)
            problem = url and base_url_problem(url, allow_insecure_http=self.allow_insecure_http)
            if problem:
                raise ValueError(f"{field}: {problem}")
        return self

    @property
    def engine_chain(self) -> tuple[str, ...]:
        """The engines to try, in order: ``engines``, else ``engine`` split on commas."""
        names = self.engines or (self.engine or DEFAULT_ENGINE).split(",")
        chain = tuple(dict.fromkeys(name.strip().lower() for name in names if name.strip()))
        return chain or (DEFAULT_ENGINE,)

    @property
    def engine_name(self) -> str:
        """The engine to use (the first of the chain), else the offline default."""
        return self.engine_chain[0]


def _describe(exc: ValidationError) -> str:
    """One line naming each bad setting, without echoing its value (it may be a key)."""
    parts = []
    for error in exc.errors(include_input=False, include_url=False):
        message = error["msg"].removeprefix("Value error, ")
        name = ".".join(str(part) for part in error["loc"])
        parts.append(f"{name}: {message}" if name else message)
    return "invalid configuration: " + "; ".join(parts)
