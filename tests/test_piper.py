"""Piper on real voices: joe from the catalogue, any voice from a path, timings and errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import Decoded, Transcriber, words_heard
from tts_agents import TTSAgent, TTSConfig
from tts_agents.errors import TTSValidationError, VoiceNotFoundError

SENTENCE = "Please tell me the weather forecast for tomorrow in London."
KEY_WORDS = {"please", "tell", "weather", "forecast", "tomorrow", "london"}


@pytest.fixture
def agent(neural: Path) -> TTSAgent:
    return TTSAgent(TTSConfig(models_dir=neural, engine="piper"))


async def test_joe_speaks_with_word_timings(agent: TTSAgent, transcribe: Transcriber) -> None:
    response = await agent.generate_speech(SENTENCE, voice="joe", format="pcm")
    assert response.metadata["engine"] == "piper" and response.metadata["voice"] == "joe"
    assert response.sample_rate == 22050
    text = transcribe(Decoded(np.frombuffer(response.audio_data or b"", "<i2"), 22050, "pcm"))
    # Half the key words: Piper samples its noise, and the shared pocketsphinx decoder adapts
    # to what it heard before (a clean-clone run heard 'please ... in London' as 'we ... and
    # want him').
    assert len(words_heard(text, KEY_WORDS)) >= 3, text
    words = [SENTENCE[m.text_start : m.text_end] for m in response.words]
    assert words == SENTENCE.split()
    starts = [m.sample for m in response.words]
    assert starts == sorted(starts) and starts[-1] / 22050 < (response.duration or 0) - 0.2


async def test_generic_names_speak_with_the_installed_voice(agent: TTSAgent) -> None:
    response = await agent.generate_speech("Hello there.", voice="alloy", format="wav")
    assert response.metadata["voice"] == "joe"


@pytest.fixture
def own_voice(models_dir: Path, tmp_path: Path) -> Path:
    """A Piper voice a user brought: a model and its config under their own names."""
    model = tmp_path / "voices" / "en_US-mine-medium.onnx"
    model.parent.mkdir()
    shutil.copy(models_dir / "piper-joe" / "en_US-joe-medium.onnx", model)
    shutil.copy(models_dir / "piper-joe" / "en_US-joe-medium.onnx.json", f"{model}.json")
    return model


async def test_any_voice_from_a_path(own_voice: Path, tmp_path: Path) -> None:
    async with TTSAgent(TTSConfig(models_dir=tmp_path / "none")) as agent:  # nothing installed
        response = await agent.generate_speech(SENTENCE, voice=str(own_voice), format="wav")
    assert response.metadata["engine"] == "piper"
    assert response.duration and response.duration > 2


async def test_a_voice_without_a_usable_config_is_refused(own_voice: Path) -> None:
    agent = TTSAgent(TTSConfig(engine="piper"))
    Path(f"{own_voice}.json").unlink()
    with pytest.raises(TTSValidationError, match="needs its config 'en_US-mine-medium.onnx.json'"):
        agent.prepare("Hi.", voice=str(own_voice))
    Path(f"{own_voice}.json").write_text(json.dumps({"audio": {}}))
    with pytest.raises(TTSValidationError, match="not a usable Piper config"):
        agent.prepare("Hi.", voice=str(own_voice))


async def test_unknown_voices_and_languages_are_named(agent: TTSAgent) -> None:
    with pytest.raises(VoiceNotFoundError, match="unknown Piper voice 'nobody'"):
        agent.prepare("Hi.", voice="nobody")
    with pytest.raises(VoiceNotFoundError, match="unknown Piper voice"):
        agent.prepare("Hi.", voice="/no/such/voice.onnx")
    with pytest.raises(TTSValidationError, match="speaks en-us, not 'fr'"):
        agent.prepare("Salut.", voice="joe", language="fr")
