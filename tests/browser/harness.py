"""Drive Debian's Chromium (headless) with Playwright against a real server.

Every page is watched: console errors, uncaught exceptions and CSP violations are
collected, and :meth:`WatchedPage.assert_clean` fails the test on any of them.
"""

from __future__ import annotations

import asyncio
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
PROBE = Path(__file__).with_name("probe.js")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
BASE_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--autoplay-policy=user-gesture-required",
)
WIDTHS = (1280, 375)


@contextmanager
def chromium(
    *,
    microphone: Path | None = None,
    fake_ui: bool = True,
    fake_device: bool = True,
    extra_args: tuple[str, ...] = (),
) -> Iterator[Browser]:
    """Headless Chromium; ``microphone`` is a WAV the fake capture device plays once."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `bash scripts/install_browser.sh` first")
    args = list(BASE_ARGS)
    if fake_ui:
        args.append("--use-fake-ui-for-media-stream")  # answers the permission prompt: allow
    if fake_device:
        args.append("--use-fake-device-for-media-stream")
    if microphone is not None:
        args.append(f"--use-file-for-fake-audio-capture={microphone}%noloop")
    args.extend(extra_args)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield browser
        finally:
            browser.close()


class WatchedPage:
    """A page whose console errors, uncaught errors and CSP violations are collected."""

    def __init__(self, context: BrowserContext) -> None:
        context.add_init_script(path=str(PROBE))
        self.page: Page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console.error: {message.text}")

    def probe(self) -> dict[str, Any]:
        """What the injected probe recorded on the current document."""
        return self.page.evaluate("window.__probe")

    def assert_clean(self) -> None:
        """No console error, no uncaught error, no CSP violation so far."""
        violations = self.page.evaluate("window.__probe ? window.__probe.csp : []")
        assert violations == [], f"CSP violations: {violations}"
        assert self.errors == [], f"console errors: {self.errors}"

    def screenshot(self, name: str, *, width: int, height: int = 900) -> Path:
        """A full-page screenshot at ``width`` px, saved as a test artifact."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size({"width": width, "height": height})
        self.page.wait_for_timeout(250)  # layout and canvases settle at the new width
        path = SCREENSHOTS / f"{name}-{width}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@contextmanager
def watched_page(browser: Browser, **context_options: Any) -> Iterator[WatchedPage]:
    """A fresh browser context (no cookies) with one watched page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    try:
        yield WatchedPage(context)
    finally:
        context.close()


def sign_in(watched: WatchedPage, base_url: str, app: Any, path: str = "/") -> None:
    """Open ``path`` with a one-time login token, as the URL ``serve`` prints does."""
    token = app.state.browser_auth.issue_login_token()
    watched.page.goto(f"{base_url}{path}#login={token}")
    # Predicates are functions: Playwright evaluates bare expressions with eval, which the
    # page's CSP (rightly) refuses.
    watched.page.wait_for_function("() => !location.hash.includes('login=')")
    watched.page.wait_for_selector("#sign-out:not([hidden])")


def speech_wav(path: Path, text: str, *, lead: float, tail: float, rate: int = 16000) -> float:
    """``text`` spoken by our engine, between silences, as a mono PCM16 WAV.

    Returns when the speech ends, in seconds from its start: its last sample above 2% of
    the peak (the engine's own trailing silence is not speech).
    """
    from tts_agents import TTSAgent

    async def speak() -> bytes:
        async with TTSAgent() as agent:
            response = await agent.generate_speech(
                text, voice="alloy", format="pcm", sample_rate=rate
            )
            return response.audio_data

    speech = np.frombuffer(asyncio.run(speak()), dtype="<i2")
    silence = np.zeros(int(lead * rate), dtype="<i2"), np.zeros(int(tail * rate), dtype="<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.concatenate([silence[0], speech, silence[1]]).tobytes())
    loud = np.nonzero(np.abs(speech.astype(np.int32)) > 0.02 * np.abs(speech).max())[0]
    return float(loud[-1] + 1) / rate
