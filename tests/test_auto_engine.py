"""The default engine, ``auto``: the best installed voice per request, and the voice tables."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tts_agents import TTSAgent, TTSConfig
from tts_agents.engines import route
from tts_agents.engines.auto import AutoEngine
from tts_agents.engines.kokoro.voices import VOICE_IDS
from tts_agents.engines.voice_names import ELEVENLABS_VOICES, OPENAI_VOICES
from tts_agents.errors import ModelError

RACHEL = "21m00Tcm4TlvDq8ikWAM"


@pytest.mark.parametrize(
    ("voice", "language", "engine", "resolved"),
    [
        ("alloy", None, "kokoro", "af_heart"),
        ("echo", None, "kokoro", "am_echo"),
        ("fable", None, "kokoro", "bm_fable"),
        ("onyx", None, "kokoro", "am_onyx"),
        ("nova", None, "kokoro", "af_nova"),
        ("af_alloy", None, "kokoro", "af_alloy"),
        (RACHEL, None, "kokoro", "af_heart"),
        ("JBFqnCBsd6RMkjVDRZzb", None, "kokoro", "bm_george"),  # George, British
        ("af_heart+af_nova", None, "kokoro", "af_heart(0.5)+af_nova(0.5)"),
        ("echo", "es", "kokoro", "em_alex"),  # a native Spanish voice of the same gender
        ("nova", "de", "espeak", "de+anika"),  # Kokoro has no German
        ("en-us+f3", None, "espeak", "en-us+f3"),
        ("de", None, "espeak", "de"),
        ("joe", None, "piper", "joe"),
    ],
)
def test_routing(
    neural: Path, voice: str, language: str | None, engine: str, resolved: str
) -> None:
    auto = AutoEngine(TTSConfig(models_dir=neural))
    chosen, voice_id = route(auto, voice, language)
    assert (chosen.name, voice_id) == (engine, resolved)


def test_without_models_everything_is_espeak(tmp_path: Path) -> None:
    auto = AutoEngine(TTSConfig(models_dir=tmp_path))
    assert not auto.neural
    assert auto.route("alloy")[0].name == "espeak"
    assert auto.route(RACHEL)[0].name == "espeak"
    with pytest.raises(ModelError, match=r"tts-agents\[kokoro\]"):
        auto.route("af_heart")
    with pytest.raises(ModelError, match="piper-joe"):
        auto.route("joe")


async def test_the_stream_runs_on_the_chosen_engine(neural: Path) -> None:
    async with TTSAgent(TTSConfig(models_dir=neural)) as agent:
        kokoro = agent.prepare("Hello.", voice="alloy", format="wav")
        espeak = agent.prepare("Hallo.", voice="alloy", language="de", format="wav")
        assert kokoro.engine.name == "kokoro" and kokoro.sample_rate == 24000
        assert espeak.engine.name == "espeak" and espeak.sample_rate == 22050


def test_openai_and_elevenlabs_names_map_to_distinct_voices() -> None:
    assert len({voice.kokoro for voice in OPENAI_VOICES.values()}) == len(OPENAI_VOICES) == 13
    current = [voice for voice in ELEVENLABS_VOICES.values() if voice.current]
    assert len({voice.kokoro for voice in current}) == len(current) == 20
    assert {voice.kokoro for voice in ELEVENLABS_VOICES.values()} <= set(VOICE_IDS)
    for voice in ELEVENLABS_VOICES.values():
        kokoro = voice.kokoro
        if voice.gender != "neutral":
            assert kokoro[1] == voice.gender[0], voice  # same gender
        if voice.accent == "british":
            assert kokoro[0] == "b", voice  # same accent
    assert ELEVENLABS_VOICES[RACHEL].name == "Rachel"


async def test_voice_list_puts_provider_names_first(neural: Path) -> None:
    voices = await AutoEngine(TTSConfig(models_dir=neural)).voices()
    by_id = {voice.id: voice for voice in voices}
    assert voices[0].id == "alloy" and by_id["alloy"].description.endswith("kokoro af_heart")
    assert by_id[RACHEL].name == "Rachel" and by_id[RACHEL].engine == "kokoro"
    assert {"af_heart", "bm_george", "joe", "en-us", "de"} <= set(by_id)
    assert len(voices) == len(by_id)  # no name listed twice


def _cli_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI with stderr on a pseudo-terminal; return what it printed there."""
    leader, follower = pty.openpty()
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tts_agents", *args],
        stderr=follower,
        stdout=subprocess.DEVNULL,
        env=env,
        timeout=120,
        check=False,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        output += data
    os.close(leader)
    assert result.returncode == 0, output
    return output.decode(errors="replace")


def test_a_terminal_gets_one_hint_when_espeak_stands_in(tmp_path: Path, models_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTS_AGENTS_")}
    args = ["generate", "Hello.", "-o", str(tmp_path / "a.wav")]
    printed = _cli_on_a_terminal(args, {**env, "TTS_AGENTS_MODELS_DIR": str(tmp_path / "none")})
    hints = [line for line in printed.splitlines() if "natural voice" in line]
    assert len(hints) == 1 and "models pull kokoro" in hints[0]
    printed = _cli_on_a_terminal(args, {**env, "TTS_AGENTS_MODELS_DIR": str(models_dir)})
    assert "natural voice" not in printed
