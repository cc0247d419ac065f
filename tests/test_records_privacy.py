"""What an agent's privacy settings let a conversation keep (pure rules, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from tts_agents.records.privacy import PrivacySettings, Redactor, keep_plan

NOW = datetime(2026, 11, 30, tzinfo=UTC)
CONSENT = {"user_consent": "true", "plan": "gold", "email": "a@b.co"}


def settings(**values: object) -> PrivacySettings:
    return PrivacySettings.model_validate({"store_transcripts": True, **values})


def test_nothing_is_kept_by_default() -> None:
    assert not PrivacySettings().stores_anything
    assert keep_plan(PrivacySettings(), CONSENT, NOW) is None


@pytest.mark.parametrize(
    ("consent", "variables", "kept"),
    [
        ("required", {}, False),
        ("required", {"user_consent": "false"}, False),
        ("required", {"user_consent": "True"}, True),
        ("notice", {}, True),
        ("none", {}, True),
    ],
)
def test_consent(consent: str, variables: dict[str, str], kept: bool) -> None:
    plan = keep_plan(settings(consent=consent), variables, NOW)
    assert (plan is not None) is kept


def test_zero_retention_wins_over_everything() -> None:
    chosen = settings(record_audio=True, zero_retention=True, consent="none")
    assert not chosen.stores_anything and keep_plan(chosen, CONSENT, NOW) is None


def test_retention_per_kind_and_only_named_variables() -> None:
    chosen = settings(
        record_audio=True, retention_days={"transcripts": -1, "audio": 7}, keep_variables=["plan"]
    )
    plan = keep_plan(chosen, CONSENT, NOW)
    assert plan is not None and plan.transcript and plan.audio
    assert plan.transcript_until is None and plan.audio_until == NOW + timedelta(days=7)
    assert plan.variables == {"plan": "gold"}


def test_zero_days_keeps_that_kind_not_at_all() -> None:
    plan = keep_plan(settings(record_audio=True, retention_days={"audio": 0}), CONSENT, NOW)
    assert plan is not None and plan.transcript and not plan.audio
    assert not settings(retention_days=0).stores_anything


def test_redaction_presets_and_own_patterns() -> None:
    redactor = Redactor(("card_number", "email", "phone", r"ORDER-\d+"))
    text = "Card 4111 1111 1111 1111, mail ann.lee@example.com, call +1 555-123-4567, ORDER-991."
    assert redactor.redact(text) == (
        "Card [redacted], mail [redacted], call [redacted], [redacted]."
    )
    assert Redactor(()).redact("keep me") == "keep me"


def test_old_plaintext_recordings_are_refused_with_the_way_forward() -> None:
    with pytest.raises(ValidationError, match="kept encrypted"):
        PrivacySettings.model_validate({"record_audio": True, "recordings_dir": "rec"})
