"""``tts-agents voices``: honest genders, the variants, no test voice, and OpenAI's names
listed for every language with the voice they map to there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tts_agents import TTSConfig
from tts_agents.engines import route
from tts_agents.engines.auto import AutoEngine
from tts_agents.engines.espeak import EspeakEngine
from tts_agents.engines.espeak.voices import describe_variants
from tts_agents.engines.voice_names import OPENAI_VOICES, voices_speaking
from tts_agents.errors import VoiceNotFoundError


@pytest.fixture(scope="module")
def espeak() -> EspeakEngine:
    return EspeakEngine()


async def test_language_voices_have_no_gender_and_openai_names_keep_theirs(
    espeak: EspeakEngine,
) -> None:
    """espeak-ng reports "male" for every language voice: it cannot know, so we say nothing."""
    by_id = {voice.id: voice for voice in await espeak.voices()}
    for language_voice in ("en-us", "de", "fr", "cmn"):
        assert by_id[language_voice].gender is None
    assert (by_id["nova"].gender, by_id["echo"].gender) == ("female", "male")
    assert sum(voice.gender == "male" for voice in by_id.values()) < 20


async def test_the_test_voice_is_hidden(espeak: EspeakEngine) -> None:
    voices = await espeak.voices()
    assert not [v for v in voices if "test" in v.name.lower() or v.id == "xex"]
    with pytest.raises(VoiceNotFoundError):
        espeak.resolve_voice("xextan-test")


def test_variants_are_listed_as_usable_ids(espeak: EspeakEngine) -> None:
    variants = {voice.id: voice for voice in describe_variants("de")}
    assert variants["de+anika"].gender == "female" and variants["de+m3"].gender == "male"
    assert variants["de+m3"].name == "male3"
    assert len(variants) > 50
    for voice_id in variants:
        assert espeak.resolve_voice(voice_id) == voice_id  # every one is a voice to speak
    assert "en-us+anika" in {voice.id for voice in describe_variants()}


async def test_openai_names_speak_every_language(espeak: EspeakEngine) -> None:
    german = await voices_speaking(espeak, "de")
    generic = [voice for voice in german if voice.id in OPENAI_VOICES]
    assert [voice.id for voice in generic] == list(OPENAI_VOICES)
    by_id = {voice.id: voice for voice in german}
    assert by_id["nova"].description == "OpenAI voice, spoken by espeak de+anika"
    assert by_id["nova"].languages == ("de",) and by_id["nova"].gender == "female"
    assert "de" in by_id and "en-us" not in by_id
    assert await voices_speaking(espeak, "xx") == []  # no language, nothing speaks it


async def test_auto_lists_the_engine_that_will_speak_each_language(neural: Path) -> None:
    auto = AutoEngine(TTSConfig(models_dir=neural))
    for language, engine, voice in [("fr", "kokoro", "ff_siwis"), ("de", "espeak", "de+anika")]:
        nova = next(v for v in await voices_speaking(auto, language) if v.id == "nova")
        assert (nova.engine, nova.description) == (
            engine,
            f"OpenAI voice, spoken by {engine} {voice}",
        )
        assert route(auto, "nova", language)[1] == voice  # what is listed is what speaks


async def test_a_generic_name_has_the_gender_of_the_voice_that_speaks_it(tmp_path: Path) -> None:
    """Without Kokoro, espeak speaks ``sage`` with a male variant (m6)."""
    auto = AutoEngine(TTSConfig(models_dir=tmp_path))
    sage = next(voice for voice in await auto.voices() if voice.id == "sage")
    assert (sage.engine, sage.gender) == ("espeak", "male")


def test_cli_language_filter_lists_openai_names() -> None:
    result = run_cli("voices", "--language", "de", "--json")
    assert result.returncode == 0, result.stderr
    voices = {voice["id"]: voice for voice in json.loads(result.stdout)}
    assert set(OPENAI_VOICES) <= set(voices)
    assert voices["alloy"]["description"] == "OpenAI voice, spoken by espeak de+f5"
    assert voices["de"]["gender"] is None


def test_cli_lists_variants_and_shows_unknown_gender_as_a_dash() -> None:
    result = run_cli("voices", "--variants", "--language", "fr", "--json")
    assert result.returncode == 0, result.stderr
    assert {"fr+anika", "fr+m3", "fr+f2"} <= {voice["id"] for voice in json.loads(result.stdout)}
    table = run_cli("voices", "--engine", "espeak", "--language", "de").stdout.decode()
    row = next(line for line in table.splitlines() if line.startswith("│ de "))
    assert [cell.strip() for cell in row.split("│")][4] == "-"
