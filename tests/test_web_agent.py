"""The voice agent page in headless Chromium, with a fake microphone playing real speech.

The server is real (uvicorn, the help-desk agent, pocketsphinx, espeak); Chromium's fake
capture device plays a WAV of the question synthesized by our engine.
"""

from __future__ import annotations

import json
import re
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import ARTIFACTS, WIDTHS, chromium, sign_in, speech_wav, watched_page
from tts_agents.agent.config import default_agent_path
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.run import load_agents
from tts_agents.server.testing import running_server, self_signed_certificate

KEY = "browser-agent-key"
QUESTION = "What audio formats do you support?"
LEAD_SILENCE = 1.5
HOSTILE_GREETING = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
HOSTILE_MESSAGE = "<img src=x onerror=\"window.__xss = 3\"> what formats <b>do</b> you support"
PUBLIC_AGENT = f"""\
id: open-desk
name: Open desk
first_message: '{HOSTILE_GREETING}'
knowledge_base: [{default_agent_path().parent / "knowledge" / "tts_agents.md"}]
examples: ["What audio formats can you make?"]
public: true
"""
FORMATS = re.compile(r"mp3|opus|flac|wav")


def answered(pattern: str = FORMATS.pattern) -> str:
    """A predicate: an agent line matching ``pattern`` came after the user's first line.

    A greeting may arrive after a message typed at once, so "the next agent line" is not
    necessarily the answer.
    """
    return f"""() => {{
      const lines = window.__probe.lines;
      const user = lines.findIndex((line) => line.kind.includes("msg-user"));
      return user >= 0 && lines.slice(user + 1).some(
        (line) => line.kind.includes("msg-agent") && /{pattern}/.test(line.text));
    }}"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    agent_file = tmp_path_factory.mktemp("agents") / "open.yaml"
    agent_file.write_text(PUBLIC_AGENT)
    settings = ServerSettings(
        api_keys=(KEY,),
        agents=load_agents([str(agent_file)]),
        allowed_hosts=("agents.test",),  # the insecure-context test's host name
    )
    app = create_app(settings)
    with running_server(app, startup_timeout=120) as url:
        yield url, app


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    path = tmp_path_factory.mktemp("microphone") / "question.wav"
    return path, speech_wav(path, QUESTION, lead=LEAD_SILENCE, tail=8.0)


@pytest.fixture(scope="module")
def silence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quiet microphone (Chromium's default fake device beeps, which sounds like speech)."""
    path = tmp_path_factory.mktemp("microphone") / "silence.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(2 * 16000 * 20))
    return path


def _reply_after_user(probe: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    lines = probe["lines"]
    index = next(i for i, line in enumerate(lines) if "msg-user" in line["kind"])
    answer = next(
        line
        for line in lines[index + 1 :]
        if "msg-agent" in line["kind"] and FORMATS.search(line["text"])
    )
    return lines[index], answer


def test_a_spoken_question_is_transcribed_and_answered_aloud(
    served: tuple[str, Any], question: tuple[Path, float]
) -> None:
    url, app = served
    wav, speech_ends = question
    with chromium(microphone=wav) as browser, watched_page(browser) as watched:
        page = watched.page
        sign_in(watched, url, app)
        page.select_option("#agent-select", "help-desk")
        page.focus("body")
        page.keyboard.press("Space")  # keyboard control: Space starts the call
        page.wait_for_function(answered(), timeout=30_000)
        user, answer = _reply_after_user(watched.probe())
        assert "audio" in user["text"].lower() and "format" in user["text"].lower()
        assert watched.probe()["tentative"], "no tentative transcript was shown"
        assert page.is_hidden("#tentative")  # replaced by the final line
        # Its audio plays: the player reports sound, and the orb shows it.
        page.wait_for_function(
            f"() => window.__probe.states.some(([t, s]) => s === 'speaking' && t > {user['t']})",
            timeout=15_000,
        )
        # The server's own measurement of the turn shows, discreetly, under the answer.
        page.wait_for_function(
            "() => document.querySelector('#latency').textContent.startsWith('Reply in')",
            timeout=20_000,
        )
        assert page.inner_text(".msg-agent .msg-meta") == page.inner_text("#latency")
        probe = watched.probe()
        question_end = probe["micAt"] + 1000 * (LEAD_SILENCE + speech_ends)
        _record_latency(answer["t"] - question_end, user["text"], answer["text"])
        assert page.get_attribute("#mute-button", "aria-pressed") == "false"
        page.click("#mute-button")
        assert page.get_attribute("#mute-button", "aria-pressed") == "true"
        for width in WIDTHS:
            watched.screenshot("agent", width=width)
        page.emulate_media(color_scheme="dark")
        watched.screenshot("agent-dark", width=375)
        page.keyboard.press("Escape")
        page.wait_for_selector("#orb[data-state='idle']")
        assert "Conversation ended." in page.inner_text("#transcript")
        watched.assert_clean()


def _record_latency(milliseconds: float, heard: str, answer: str) -> None:
    """The answer's delay after the question ended, kept as an artifact (not asserted)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    record = {"answer_after_question_end_ms": round(milliseconds), "heard": heard, "answer": answer}
    (ARTIFACTS / "browser-agent-latency.json").write_text(json.dumps(record, indent=2))
    print(f"answer shown {milliseconds:.0f} ms after the question ended")


def test_denied_microphone_explains_and_the_text_fallback_answers(
    served: tuple[str, Any],
) -> None:
    url, app = served
    with chromium(fake_ui=False) as browser, watched_page(browser) as watched:
        page = watched.page
        sign_in(watched, url, app)
        page.select_option("#agent-select", "help-desk")
        page.click("#call-button")
        # First the page says why it wants the microphone, then the browser (here) refuses.
        assert page.wait_for_selector("#mic-panel:not([hidden])").is_visible()
        assert page.inner_text("#mic-title") == "Talk with your voice?"
        page.click("#mic-continue")
        page.wait_for_function(
            "() => document.querySelector('#mic-title').textContent.includes('blocked')"
        )
        assert "site settings" in page.inner_text("#mic-text")
        assert page.get_attribute("#mic-panel", "role") == "alert"
        watched.screenshot("agent-mic-denied", width=375)
        page.click("#mic-text-only")
        assert page.evaluate("document.activeElement.id") == "chat-input"
        page.fill("#chat-input", "what audio formats do you support")
        page.press("#chat-input", "Enter")
        page.wait_for_function(answered(), timeout=30_000)
        watched.assert_clean()


def test_public_agent_without_login_shows_hostile_text_as_text(
    served: tuple[str, Any], silence: Path
) -> None:
    url, _ = served
    with chromium(microphone=silence) as browser, watched_page(browser) as watched:
        page = watched.page
        page.goto(url + "/")
        page.wait_for_selector("#signin-notice:not([hidden])")
        options = page.eval_on_selector_all("#agent-select option", "o => o.map(x => x.value)")
        assert options == ["open-desk"]  # only the public agent, without signing in
        page.click("#call-button")
        # The greeting (from the agent's file), heard to its end so typing does not cut it.
        page.wait_for_function(
            """() => {
              const states = window.__probe.states;
              const [at, state] = states[states.length - 1] || [0, ""];
              return states.some(([, seen]) => seen === "speaking") && state === "listening"
                && performance.now() - at > 500;
            }""",
            timeout=20_000,
        )
        page.fill("#chat-input", HOSTILE_MESSAGE)
        page.press("#chat-input", "Enter")
        page.wait_for_function(answered("."), timeout=30_000)
        texts = page.eval_on_selector_all(".msg-text", "nodes => nodes.map(n => n.textContent)")
        assert HOSTILE_GREETING in texts and HOSTILE_MESSAGE in texts
        assert page.locator("#transcript img, #transcript script, #transcript b").count() == 0
        assert page.evaluate("window.__xss") is None
        watched.assert_clean()


def test_insecure_page_explains_https_and_offers_text(served: tuple[str, Any]) -> None:
    url, app = served
    port = url.rsplit(":", 1)[1]
    # A name that is not localhost makes plain HTTP an insecure context.
    rules = "--host-resolver-rules=MAP agents.test 127.0.0.1"
    with chromium(extra_args=(rules,)) as browser, watched_page(browser) as watched:
        page = watched.page
        sign_in(watched, f"http://agents.test:{port}", app)
        assert page.evaluate("window.isSecureContext") is False
        page.select_option("#agent-select", "help-desk")
        page.click("#call-button")
        page.wait_for_selector("#mic-panel:not([hidden])")
        assert "secure" in page.inner_text("#mic-title")
        assert "https://" in page.inner_text("#mic-text")
        assert page.is_hidden("#mic-continue")  # nothing to retry
        page.fill("#chat-input", "what audio formats do you support")
        page.press("#chat-input", "Enter")
        page.wait_for_function(answered(), timeout=30_000)
        watched.assert_clean()


def test_behind_tls_the_page_talks_over_wss(
    tmp_path: Path, silence: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    settings = ServerSettings(api_keys=(KEY,), tls=True, agents=load_agents([]))
    app = create_app(settings)
    server = running_server(app, startup_timeout=120, ssl_certfile=str(cert), ssl_keyfile=str(key))
    with server as url, chromium(microphone=silence) as browser:
        with watched_page(browser, ignore_https_errors=True) as watched:
            page = watched.page
            sockets: list[str] = []
            page.on("websocket", lambda socket: sockets.append(socket.url))
            sign_in(watched, url, app)
            page.fill("#chat-input", "what audio formats do you support")
            page.press("#chat-input", "Enter")
            page.wait_for_function(answered(), timeout=30_000)
            assert sockets and all(found.startswith("wss://127.0.0.1:") for found in sockets)
            cookies = page.context.cookies()
            assert [cookie["secure"] for cookie in cookies] == [True]
            watched.assert_clean()


def test_no_microphone_device_is_explained(served: tuple[str, Any]) -> None:
    url, app = served
    with chromium(fake_device=False) as browser, watched_page(browser) as watched:
        page = watched.page
        sign_in(watched, url, app)
        page.click("#call-button")
        page.wait_for_function(
            "() => document.querySelector('#mic-title').textContent === 'No microphone found'"
        )
        assert page.get_attribute("#orb", "data-state") == "idle"
        watched.assert_clean()


def test_an_unplugged_microphone_leaves_the_call_on_text(
    served: tuple[str, Any], silence: Path
) -> None:
    url, app = served
    with chromium(microphone=silence) as browser, watched_page(browser) as watched:
        page = watched.page
        sign_in(watched, url, app)
        page.select_option("#agent-select", "help-desk")
        page.click("#call-button")
        page.wait_for_selector("#mute-button:not([disabled])", timeout=20_000)
        # What the browser does when the device goes away: the track ends.
        page.evaluate(
            "() => window.__probe.streams[0].getAudioTracks()[0].dispatchEvent(new Event('ended'))"
        )
        page.wait_for_function(
            "() => document.querySelector('#mic-title').textContent.includes('disconnected')"
        )
        assert page.is_disabled("#mute-button")
        assert page.inner_text("#call-button") == "End call"
        page.fill("#chat-input", "what audio formats do you support")
        page.press("#chat-input", "Enter")
        page.wait_for_function(answered(), timeout=30_000)
        watched.assert_clean()


def test_focus_reduced_motion_and_theme_choice(served: tuple[str, Any]) -> None:
    url, app = served
    with chromium() as browser, watched_page(browser, reduced_motion="reduce") as watched:
        page = watched.page
        sign_in(watched, url, app)
        page.focus("#volume")
        page.keyboard.press("Shift+Tab")  # back onto the Mute or Start button
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        page.evaluate("document.querySelector('#orb').dataset.state = 'thinking'")
        ring = page.evaluate(
            "getComputedStyle(document.querySelector('#orb .orb-ring')).animationDuration"
        )
        assert float(ring.rstrip("ms")) < 1  # 0.01ms: effectively no motion
        page.click("#theme-toggle")  # headless starts light; the choice is remembered
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        page.reload()
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 18, 22)"
        watched.assert_clean()
