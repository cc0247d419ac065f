"""An agent's privacy settings, and what they let a conversation keep.

Private by default: nothing is stored unless ``store_transcripts`` or ``record_audio`` says
so; with ``consent: required`` (the default) only once the client's initiation data carries
``user_consent: true``; never under ``zero_retention``. Text is redacted (card numbers,
e-mail addresses, phone numbers, or your own patterns) before it is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_DAYS = Field(default=30, ge=-1, le=36_500)
_PRESETS = {
    "card_number": re.compile(r"\b(?:\d[ -]?){12,18}\d\b"),
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "phone": re.compile(r"(?<!\w)\+?\d[\d ().-]{6,}\d(?!\w)"),
}
_MASK = "[redacted]"
CONSENT_VARIABLE = "user_consent"


class Retention(BaseModel):
    """Days to keep each kind of data: 0 keeps nothing, -1 keeps it until deleted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    transcripts: int = _DAYS
    audio: int = _DAYS


class PrivacySettings(BaseModel):
    """The ``privacy:`` section of an agent file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    store_transcripts: bool = False
    record_audio: bool = False
    consent: Literal["required", "notice", "none"] = "required"
    retention_days: Retention = Retention()
    zero_retention: bool = False
    redact: tuple[str, ...] = ()
    keep_variables: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _no_plaintext_recordings(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("recordings_dir") is not None:
            raise ValueError(
                "recordings_dir is gone: recorded audio is kept encrypted in the records "
                "store (TTS_AGENTS_DATA_DIR); remove recordings_dir"
            )
        if isinstance(data, dict):
            data = {key: value for key, value in data.items() if key != "recordings_dir"}
        return data

    @field_validator("retention_days", mode="before")
    @classmethod
    def _one_number_for_both(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"transcripts": value, "audio": value}
        return value

    @field_validator("redact")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            if pattern not in _PRESETS:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(
                        f"{pattern!r} is neither one of {', '.join(_PRESETS)} nor a regular "
                        f"expression ({exc})"
                    ) from None
        return value

    @property
    def stores_anything(self) -> bool:
        """Whether a conversation of this agent may ever be written down."""
        if self.zero_retention:
            return False
        keeps_text = self.store_transcripts and self.retention_days.transcripts != 0
        keeps_audio = self.record_audio and self.retention_days.audio != 0
        return keeps_text or keeps_audio


@dataclass(frozen=True, slots=True)
class KeepPlan:
    """What one conversation keeps, until when (None: until deleted)."""

    transcript: bool
    audio: bool
    variables: dict[str, str]
    transcript_until: datetime | None
    audio_until: datetime | None


def keep_plan(
    settings: PrivacySettings, variables: dict[str, str], now: datetime
) -> KeepPlan | None:
    """What a conversation that began at ``now`` keeps, or None when it keeps nothing."""
    if not settings.stores_anything:
        return None
    if settings.consent == "required" and variables.get(CONSENT_VARIABLE, "").lower() != "true":
        return None  # in memory only
    days = settings.retention_days
    transcript = settings.store_transcripts and days.transcripts != 0
    audio = settings.record_audio and days.audio != 0
    redactor = Redactor(settings.redact)
    kept = {
        name: redactor.redact(value)
        for name, value in variables.items()
        if name in settings.keep_variables and transcript
    }
    return KeepPlan(transcript, audio, kept, _until(now, days.transcripts), _until(now, days.audio))


def _until(now: datetime, days: int) -> datetime | None:
    return None if days < 0 else now + timedelta(days=days)


class Redactor:
    """Masks what ``patterns`` (preset names or regular expressions) match."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        """Compile ``patterns``; presets: card_number, email, phone."""
        self._patterns = [_PRESETS.get(pattern) or re.compile(pattern) for pattern in patterns]

    def redact(self, text: str) -> str:
        """``text`` with every match replaced by ``[redacted]``."""
        for pattern in self._patterns:
            text = pattern.sub(_MASK, text)
        return text


__all__ = [
    "CONSENT_VARIABLE",
    "KeepPlan",
    "PrivacySettings",
    "Redactor",
    "Retention",
    "keep_plan",
]
