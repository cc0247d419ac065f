"""A new user's first question, in real Chromium with a fake microphone, heard by Whisper.

With pocketsphinx this page once showed "what was a lot" for "What time does the library
open?". Here the help desk runs as a fresh install with the neural extras would: Whisper
base and Silero VAD listen, and the question is spoken by a Kokoro voice.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import chromium, sign_in, speech_wav, watched_page
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.run import load_agents
from tts_agents.server.testing import running_server

KEY = "browser-whisper-key"
QUESTION = "What time does the library open?"


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, models_dir: Path
) -> Iterator[tuple[str, Any, Path]]:
    with pytest.MonkeyPatch.context() as patch:  # the server and the voice find the models
        patch.setenv("TTS_AGENTS_MODELS_DIR", str(models_dir))
        wav = tmp_path_factory.mktemp("microphone") / "library.wav"
        speech_wav(wav, QUESTION, lead=1.5, tail=8.0)
        app = create_app(ServerSettings(api_keys=(KEY,), agents=load_agents([])))
        with running_server(app, startup_timeout=120) as url:
            yield url, app, wav


def test_the_new_users_question_is_heard(setup: tuple[str, Any, Path]) -> None:
    url, app, wav = setup
    with chromium(microphone=wav) as browser, watched_page(browser) as watched:
        page = watched.page
        sign_in(watched, url, app)
        page.focus("body")
        page.keyboard.press("Space")
        page.wait_for_function(
            """() => window.__probe.lines.some((line) => line.kind.includes("msg-user"))""",
            timeout=30_000,
        )
        lines = watched.probe()["lines"]
        heard = next(line["text"] for line in lines if "msg-user" in line["kind"]).lower()
        assert {"time", "library", "open"} <= set(heard.strip("?.!").split()), heard
        page.wait_for_function(
            """() => {
              const lines = window.__probe.lines;
              const user = lines.findIndex((line) => line.kind.includes("msg-user"));
              return lines.slice(user + 1).some((line) => line.kind.includes("msg-agent"));
            }""",
            timeout=30_000,
        )
        page.keyboard.press("Escape")
        watched.assert_clean()
