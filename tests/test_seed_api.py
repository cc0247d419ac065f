"""The original TTS Agents README examples run unchanged, offline, with no key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import tts_agents
from tests.conftest import decode

EXAMPLES = Path(__file__).parent / "seed_examples"


def run_example(name: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TTS_AGENTS_"))}
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(EXAMPLES / name)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_quick_start(tmp_path: Path) -> None:
    out = run_example("quick_start.py", tmp_path)
    assert out.strip() == "Audio saved to: output.mp3"
    audio = decode(tmp_path / "output.mp3")
    assert audio.duration > 2.0


def test_basic_usage_and_configuration(tmp_path: Path) -> None:
    out = run_example("basic_usage.py", tmp_path).splitlines()
    assert out[0].startswith("True speech.mp3 ")
    assert out[1] == "configured.mp3 en-us+m1"  # default_voice=ECHO took effect
    assert decode(tmp_path / "configured.mp3").duration > 0.5


def test_batch_processing(tmp_path: Path) -> None:
    out = run_example("batch_processing.py", tmp_path)
    assert out.strip() == "Processed 3/3 requests"
    files = sorted(p.name for p in (tmp_path / "output").iterdir())
    assert files == [
        "00001-first-text.mp3",
        "00002-second-text.mp3",
        "00003-third-text.mp3",
        "manifest.jsonl",
    ]


def test_streaming(tmp_path: Path) -> None:
    path, total = run_example("streaming_example.py", tmp_path).split()
    assert path == "streaming_output.mp3" and int(total) > 1000
    assert decode(tmp_path / path).duration > 0.5


def test_error_handling(tmp_path: Path) -> None:
    out = run_example("error_handling.py", tmp_path).splitlines()
    assert out[0].startswith("ok True ")
    assert out[1] == "General Error: text: is empty or only whitespace"


def test_public_api_is_exactly_all() -> None:
    public = {
        name
        for name, value in vars(tts_agents).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public == set(tts_agents.__all__) - {"__version__"}
