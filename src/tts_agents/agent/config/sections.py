"""The sections of an agent file (voice, tools, llm, turn, privacy, stt, session).

Each section is a frozen pydantic model that refuses unknown keys. Checks that span
several keys raise :class:`ConfigProblem`, which names the key below the section that is
wrong, so the error message can point at ``tools[0].url`` rather than at ``tools[0]``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tts_agents.records.privacy import PrivacySettings
from tts_agents.urls import base_url_problem, is_loopback_host, normalize_base_url

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ConfigProblem(ValueError):
    """A check that failed below the key the validator sits on (``path`` goes deeper)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _between(low: float, high: float) -> AfterValidator:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, not {value}")
        return value

    return AfterValidator(check)


def _env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        # Never echo the value: someone may have pasted the key itself here.
        raise ValueError(
            "must be the NAME of an environment variable that holds the key "
            "(like OPENAI_API_KEY), never the key itself"
        )
    return value


def _remote_url(value: str) -> str:
    problem = base_url_problem(value, allow_insecure_http=True)
    if problem:
        raise ValueError(problem)
    host = _hostname(value)
    if urlsplit(value.strip()).scheme == "http" and not is_loopback_host(host):
        raise ValueError(
            f"must use https:// for {host!r}: plain http:// is only allowed for localhost, "
            "127.0.0.0/8 and ::1"
        )
    return normalize_base_url(value)


def _hostname(url: str) -> str:
    return (urlsplit(url.strip()).hostname or "").lower()


EnvName = Annotated[str, AfterValidator(_env_name)]
RemoteURL = Annotated[str, AfterValidator(_remote_url)]


class Section(BaseModel):
    """A part of an agent file: frozen, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class VoiceSettings(Section):
    """How the agent sounds: an engine name, a voice of that engine, and a speed.

    A plain voice name is short for a mapping with only that name: ``voice: nova`` is
    ``voice: {name: nova}``.
    """

    engine: str = "auto"
    name: str = Field(default="alloy", min_length=1)
    speed: Annotated[float, _between(0.25, 4.0)] = 1.0

    @model_validator(mode="before")
    @classmethod
    def _plain_name(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict | BaseModel):
            return data
        raise ValueError("must be a voice name (voice: nova) or a mapping (voice: {name: nova})")

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        from tts_agents.engines import ENGINES

        name = value.strip().lower()
        if name not in ENGINES:
            raise ValueError(f"unknown engine {value!r}; available: {', '.join(sorted(ENGINES))}")
        return name


class ToolSettings(Section):
    """A tool the LLM may call: a webhook on an allowed host, or a tool the client runs."""

    name: str
    type: Literal["webhook", "client"]
    description: str = Field(min_length=1, max_length=2000)
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    allowed_hosts: tuple[str, ...] = ()
    url: str | None = Field(default=None, validate_default=True)
    method: Literal["GET", "POST"] = "POST"
    timeout_s: Annotated[float, _between(0.1, 120)] = 10.0
    api_key_env: EnvName | None = None
    max_response_bytes: Annotated[int, _between(1024, 1_048_576)] = 65_536

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _TOOL_NAME.fullmatch(value):
            raise ValueError("must be 1 to 64 characters of letters, digits, - and _")
        return value

    @field_validator("parameters")
    @classmethod
    def _schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value.get("type") != "object":
            raise ValueError('must be a JSON schema with type: object (and its "properties")')
        return value

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(host.strip().lower().rstrip(".") for host in value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type")
        if kind == "client":
            if value is not None:
                raise ValueError("a client tool has no url (the client runs it)")
            return None
        if kind != "webhook":
            return value
        if value is None:
            raise ValueError("is required for a webhook tool")
        checked = _remote_url(value)
        host = _hostname(checked)
        if host not in info.data.get("allowed_hosts", ()):
            raise ValueError(f"host {host!r} is not in this tool's allowed_hosts")
        return checked


class LLMSettings(Section):
    """An OpenAI-compatible chat completions API (OpenAI, Ollama, vLLM, llama.cpp)."""

    base_url: RemoteURL
    model: str = Field(min_length=1, max_length=200)
    api_key_env: EnvName | None = None
    temperature: Annotated[float, _between(0.0, 2.0)] = 0.6
    timeout_s: Annotated[float, _between(1.0, 300.0)] = 20.0
    max_tokens: Annotated[int, _between(16, 8192)] = 300
    context_passages: Annotated[int, _between(0, 10)] = 3


class TurnSettings(Section):
    """Turn-taking: how long a silence ends the caller's turn, barge-in, backchannels.

    ``vad`` ``auto`` is Silero VAD when installed (extra ``whisper``), else WebRTC's.
    """

    end_of_turn_silence_ms: Annotated[int, _between(100, 3000)] = 300
    vad: Literal["auto", "silero", "webrtc"] = "auto"
    interruptions: bool = True
    backchannel: tuple[str, ...] = ("yeah", "okay", "uh huh", "mhm", "right")


class STTSettings(Section):
    """Speech to text: offline Whisper or pocketsphinx, or an OpenAI-compatible API.

    ``auto`` (the default) is Whisper when its model is installed, else pocketsphinx.
    """

    engine: Literal["auto", "whisper", "pocketsphinx", "openai"] = "auto"
    base_url: RemoteURL | None = None
    model: str | None = Field(default=None, min_length=1)
    api_key_env: EnvName | None = None

    @model_validator(mode="before")
    @classmethod
    def _openai_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("engine") == "openai":
            defaults = {
                "base_url": "https://api.openai.com/v1",
                "model": "whisper-1",
                "api_key_env": "OPENAI_API_KEY",
            }
            return {**defaults, **{k: v for k, v in data.items() if v is not None}}
        return data

    @model_validator(mode="after")
    def _only_for_openai(self) -> STTSettings:
        if self.engine != "openai":
            for key in ("base_url", "api_key_env"):
                if getattr(self, key) is not None:
                    raise ConfigProblem((key,), "is only used with engine: openai")
        if self.model is not None and self.engine in ("auto", "pocketsphinx"):
            raise ConfigProblem(("model",), "is only used with engine: whisper or openai")
        if self.model is not None and self.engine == "whisper":
            from tts_agents.errors import TTSValidationError
            from tts_agents.stt.whisper_model import MODELS, model_name

            try:
                model_name(self.model)
            except TTSValidationError:
                raise ConfigProblem(("model",), f"must be one of {', '.join(MODELS)}") from None
        return self


class SessionSettings(Section):
    """Limits of one conversation, in seconds."""

    max_duration_s: Annotated[float, _between(10, 86_400)] = 1800.0
    idle_timeout_s: Annotated[float, _between(5, 3600)] = 120.0
    max_user_turn_s: Annotated[float, _between(2, 120)] = 30.0


def source_dir_of(info: ValidationInfo) -> Path:
    """The agent file's folder, passed as validation context (else the working directory)."""
    context = info.context or {}
    return Path(context.get("source_dir") or Path.cwd())


__all__ = [
    "ConfigProblem",
    "LLMSettings",
    "PrivacySettings",
    "STTSettings",
    "Section",
    "SessionSettings",
    "ToolSettings",
    "TurnSettings",
    "VoiceSettings",
    "source_dir_of",
]
