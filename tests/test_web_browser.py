"""The speech playground and the API docs in headless Chromium, under the server's CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.browser.harness import WIDTHS, chromium, sign_in, watched_page
from tests.conftest import Transcriber, decode
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "browser-playground-key"
SENTENCE = "Please tell me the weather forecast for tomorrow in London."
HOSTILE = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> done'


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Any]]:
    app = create_app(ServerSettings(api_keys=(KEY,)))
    with running_server(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _speak(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.click("#speak")
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.startsWith('Done')",
        timeout=30_000,
    )


def test_playground_streams_highlights_words_and_downloads(
    served: tuple[str, Any], browser: Browser, tmp_path: Path, transcribe: Transcriber
) -> None:
    url, app = served
    with watched_page(browser, accept_downloads=True) as watched:
        page = watched.page
        sign_in(watched, url, app, "/playground")
        page.wait_for_selector("#speak:not([disabled])")
        page.select_option("#voice", "alloy")
        _speak(page, SENTENCE)
        # Words light up in order while the audio plays, then all are spoken.
        page.wait_for_selector(".word-current", timeout=10_000)
        watched.screenshot("playground", width=1280)  # mid-sentence, a word lit up
        page.wait_for_function(
            "() => document.querySelectorAll('.word-spoken').length === "
            "document.querySelectorAll('.word').length",
            timeout=20_000,
        )
        words = page.eval_on_selector_all(".word", "nodes => nodes.map(n => n.textContent)")
        assert words == SENTENCE.split()
        assert re.match(r"[\d.]+ s of speech", page.inner_text("#timing"))

        page.select_option("#format", "flac")
        with page.expect_download() as download:
            page.click("#download-audio")
        audio = tmp_path / "speech.flac"
        download.value.save_as(audio)
        assert download.value.suggested_filename == "speech.flac"
        decoded = decode(audio)
        assert decoded.codec == "flac" and decoded.duration > 1.5
        heard = transcribe(decoded)
        assert "weather" in heard and "forecast" in heard

        with page.expect_download() as download:
            page.click("#download-srt")
        srt = tmp_path / "speech.srt"
        download.value.save_as(srt)
        cues = srt.read_text().strip().split("\n\n")
        assert cues[0].startswith("1\n00:00:00,")
        assert " ".join(cue.split("\n", 2)[2] for cue in cues) == SENTENCE
        with page.expect_download() as download:
            page.click("#download-vtt")
        assert download.value.suggested_filename == "speech.vtt"

        watched.screenshot("playground", width=375)
        watched.assert_clean()


def test_playground_shows_hostile_text_as_text(served: tuple[str, Any], browser: Browser) -> None:
    url, app = served
    with watched_page(browser) as watched:
        page = watched.page
        sign_in(watched, url, app, "/playground")
        page.wait_for_selector("#speak:not([disabled])")
        _speak(page, HOSTILE)
        assert page.inner_text("#words") == HOSTILE
        assert page.locator("#words img, #words script").count() == 0
        assert page.evaluate("window.__xss") is None
        watched.assert_clean()


def test_playground_without_a_session_explains_how_to_sign_in(
    served: tuple[str, Any], browser: Browser
) -> None:
    url, app = served
    with watched_page(browser) as watched:
        page = watched.page
        page.goto(url + "/playground#login=not-a-real-token")
        notice = page.wait_for_selector("#signin-notice:not([hidden])")
        assert "already used" in notice.inner_text() and "tts-agents serve" in notice.inner_text()
        assert page.url == url + "/playground"  # the token never stays in the address bar
        assert page.is_disabled("#speak")
        watched.assert_clean()


def test_docs_page_renders_swagger_ui_under_the_csp(
    served: tuple[str, Any], browser: Browser
) -> None:
    url, app = served
    with watched_page(browser) as watched:
        page = watched.page
        sign_in(watched, url, app, "/")
        page.goto(url + "/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.eval_on_selector_all(
            ".opblock-summary-path", "nodes => nodes.map(n => n.textContent)"
        )
        assert "/v1/audio/speech" in paths and "/v1/web/agents" in paths
        for width in WIDTHS:
            watched.screenshot("docs", width=width)
        page.set_viewport_size({"width": 1280, "height": 900})
        # Try it out: the call goes with the session and its CSRF header.
        page.click("#operations-default-list_models_v1_models_get .opblock-summary")
        page.click("text=Try it out")
        page.click("text=Execute")
        status = page.wait_for_selector(".live-responses-table tbody .response-col_status")
        assert status.inner_text().strip() == "200"
        watched.assert_clean()


def test_docs_without_a_session_shows_the_sign_in_page(
    served: tuple[str, Any], browser: Browser
) -> None:
    url, _ = served
    with watched_page(browser) as watched:
        watched.page.goto(url + "/docs")
        assert watched.page.url == url + "/signin"
        assert "Sign in to read the API docs" in watched.page.inner_text("h1")
        watched.assert_clean()
