"""The history page and the agent page's consent notice, in headless Chromium.

The server is real, with an agent that keeps transcripts and audio (encrypted, in a
temporary data directory); the conversations the history page shows are written through
the real :class:`Repository` before the server starts, and the consent test holds real
conversations over the page's WebSocket.
"""

from __future__ import annotations

import asyncio
import json
import math
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.browser.harness import WIDTHS, chromium, sign_in, watched_page
from tests.test_agent_session import _agent_file
from tests.test_web_agent import answered
from tts_agents.agent.config import default_agent_path, load_agent
from tts_agents.records.crypto import MasterKey
from tts_agents.records.model import (
    AudioChunk,
    ConversationStart,
    ToolCall,
    TurnRecord,
)
from tts_agents.records.recorder import AUDIO_RATE
from tts_agents.records.repository import Repository
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.testing import running_server

KEY = "browser-history-key"
MAIN = "conv_history_main"
OLDER = 20  # with the main one, one more than the page holds: "Load more" has work to do
HOSTILE = '<img src=x onerror="window.__xss = 1"> which <b>formats</b>?'
MEANT = "MP3, Opus, AAC, FLAC, WAV and raw PCM, at any sample rate you like."
EMPTY = "No conversations are kept."


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    folder = tmp_path_factory.mktemp("history")
    master = MasterKey.generate()
    keeper = _agent_file(
        folder,
        "keeper",
        name="Keeper desk",
        public=True,
        privacy={"store_transcripts": True, "record_audio": True},
    )
    noticer = _agent_file(
        folder,
        "noticer",
        name="Notice desk",
        public=True,
        privacy={"store_transcripts": True, "consent": "notice"},
    )
    agents = (load_agent(default_agent_path()), load_agent(keeper), load_agent(noticer))
    asyncio.run(_seed(f"sqlite+aiosqlite:///{folder / 'data' / 'records.db'}", master))
    # The server reads these as it starts (conftest clears them again for each test).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TTS_AGENTS_DATA_DIR", str(folder / "data"))
        patch.setenv("TTS_AGENTS_MASTER_KEY", master.to_base64())
        app = create_app(ServerSettings(api_keys=(KEY,), agents=agents))
        with running_server(app, startup_timeout=120) as url:
            yield url, app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


async def _seed(url: str, master: MasterKey) -> None:
    """The main conversation (a minute ago, with audio) and ``OLDER`` short ones before it."""
    now = datetime.now(UTC)
    async with await Repository.open(url, master) as repository:
        started = now - timedelta(minutes=1)
        await repository.start(
            ConversationStart(MAIN, "keeper", started, store_transcript=True, store_audio=True)
        )
        lookup = ToolCall("call-1", "lookup_formats", {"engine": "espeak"}, "mp3, opus, wav")
        turns = [
            TurnRecord(0, "agent", "Hello! How can I help?", 0.4),
            TurnRecord(1, "user", HOSTILE, 3.2),
            TurnRecord(2, "agent", "MP3, Opus", 5.0, True, MEANT, (lookup,)),
            TurnRecord(3, "user", "Thanks, that is all.", 9.0),
        ]
        for turn in turns:
            await repository.add_turn(MAIN, turn)
        await repository.add_audio(MAIN, AudioChunk("user", 3.0, AUDIO_RATE, _tone(440, 1.0)))
        await repository.add_audio(MAIN, AudioChunk("agent", 5.0, AUDIO_RATE, _tone(660, 1.0)))
        await repository.finish(MAIN, started + timedelta(seconds=12), "done", "client hung up")
        for index in range(OLDER):
            conversation = f"conv_history_older_{index:02d}"
            at = now - timedelta(days=1, minutes=index)
            await repository.start(ConversationStart(conversation, "keeper", at))
            await repository.add_turn(conversation, TurnRecord(0, "user", f"Question {index}", 1))
            await repository.finish(conversation, at + timedelta(seconds=30), "done", None)


def _tone(frequency: float, seconds: float) -> bytes:
    count = int(seconds * AUDIO_RATE)
    samples = (int(8000 * math.sin(2 * math.pi * frequency * n / AUDIO_RATE)) for n in range(count))
    return struct.pack(f"<{count}h", *samples)


def _ids(page: Page) -> list[str]:
    return page.eval_on_selector_all("button.conversation", "nodes => nodes.map(n => n.dataset.id)")


def _api(url: str, path: str) -> httpx.Response:
    return httpx.get(f"{url}/v1/convai/conversations{path}", headers={"xi-api-key": KEY})


def test_history_lists_reads_plays_exports_and_deletes(
    served: tuple[str, Any], browser: Browser, tmp_path: Path
) -> None:
    url, app = served
    with watched_page(browser, accept_downloads=True) as watched:
        page = watched.page
        sign_in(watched, url, app, "/history")
        row = page.wait_for_selector(f"button.conversation[data-id='{MAIN}']")
        # Newest first, a page at a time; the row says who, when, how long, how much, how.
        assert _ids(page)[0] == MAIN and len(_ids(page)) == 20
        times = page.eval_on_selector_all(".conversation-time", "n => n.map(t => t.dateTime)")
        assert times == sorted(times, reverse=True)
        assert row.inner_text().split("\n") == [
            "Keeper desk",
            "Ended",
            page.evaluate(
                "s => new Date(s * 1000).toLocaleString(undefined, "
                "{dateStyle: 'medium', timeStyle: 'short'})",
                _api(url, f"/{MAIN}").json()["metadata"]["start_time_unix_secs"],
            ),
            "12 s · 4 messages",
        ]
        assert f"conv_history_older_{OLDER - 1:02d}" not in _ids(page)
        page.click("#load-more")
        page.wait_for_function("() => document.querySelectorAll('button.conversation').length > 20")
        assert _ids(page)[-1] == f"conv_history_older_{OLDER - 1:02d}"
        assert page.is_hidden("#load-more")
        assert page.evaluate("document.activeElement.dataset.id") == _ids(page)[20]

        # The transcript: role, time in the call, text (as text), interruption, tool call.
        row.click()
        page.wait_for_selector(".turn")
        assert page.evaluate("document.activeElement.id") == "detail-heading"
        assert page.get_attribute(f"button[data-id='{MAIN}']", "aria-current") == "true"
        assert page.inner_text("#detail-heading") == "Conversation with Keeper desk"
        roles = page.eval_on_selector_all(".turn-role", "n => n.map(x => x.textContent)")
        assert roles == ["Agent", "User", "Agent", "User"]
        clock = page.eval_on_selector_all(".turn-time", "n => n.map(x => x.textContent)")
        assert clock == ["0:00", "0:03", "0:05", "0:09"]
        texts = page.eval_on_selector_all(".turn-text", "n => n.map(x => x.textContent)")
        assert texts[1] == HOSTILE
        assert page.locator("#history-transcript img, #history-transcript b").count() == 0
        assert page.evaluate("window.__xss") is None
        interrupted = page.locator(".turn-interrupted")
        assert interrupted.locator(".turn-badge").inner_text() == "Interrupted"
        assert interrupted.locator(".turn-badge").get_attribute("title") == f"Meant to say: {MEANT}"
        assert interrupted.locator(".turn-original").inner_text() == f"Meant to say: {MEANT}"
        tool = interrupted.locator(".tool-summary")
        assert tool.inner_text() == "lookup_formats → mp3, opus, wav"
        tool.click()
        assert '"engine":"espeak"' in interrupted.locator(".tool-value").first.inner_text()

        # The recording, fetched with the session and played from a blob: URL.
        page.wait_for_function(
            """() => {
              const audio = document.querySelector('#recording-audio');
              return audio.src.startsWith('blob:') && audio.readyState >= 1 && audio.duration > 0;
            }""",
            timeout=15_000,
        )
        assert page.evaluate("document.querySelector('#recording-audio').duration") > 5.5
        for width in WIDTHS:
            watched.screenshot("history", width=width)
        page.emulate_media(color_scheme="dark")
        watched.screenshot("history-dark", width=375)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375  # no sideways scroll
        page.set_viewport_size({"width": 1280, "height": 900})

        with page.expect_download() as download:
            page.click("#export-button")
        assert download.value.suggested_filename == f"conversation-{MAIN}.json"
        saved = tmp_path / "export.json"
        download.value.save_as(saved)
        exported = json.loads(saved.read_text())
        assert exported["conversation"]["conversation_id"] == MAIN
        assert exported["audio"]["tracks"] == ["user", "agent"]

        # Delete asks first; Cancel keeps it, the confirmation deletes it everywhere.
        page.click("#delete-button")
        assert page.is_visible("#delete-confirm")
        assert page.evaluate("document.activeElement.id") == "cancel-delete"
        page.keyboard.press("Escape")
        assert page.is_hidden("#delete-confirm") and MAIN in _ids(page)
        page.click("#delete-button")
        page.click("#confirm-delete")
        page.wait_for_selector(f"button[data-id='{MAIN}']", state="detached")
        assert page.locator("#history-transcript li").count() == 0
        assert page.is_visible("#detail-empty") and page.is_hidden("#recording")
        assert page.is_disabled("#delete-button") and page.is_disabled("#export-button")
        assert page.inner_text("#detail-status") == "The conversation was deleted."
        assert _api(url, f"/{MAIN}").status_code == 404
        watched.assert_clean()


def test_history_without_conversations_explains_why(
    served: tuple[str, Any], browser: Browser
) -> None:
    url, app = served
    with watched_page(browser) as watched:
        page = watched.page
        empty = {"conversations": [], "next_cursor": None, "has_more": False}
        page.route("**/v1/convai/conversations?*", lambda route: route.fulfill(json=empty))
        sign_in(watched, url, app, "/history")
        notice = page.wait_for_selector("#list-empty:not([hidden])")
        assert notice.inner_text().startswith(EMPTY)
        assert "privacy settings" in notice.inner_text() and "consents" in notice.inner_text()
        assert page.is_hidden("#load-more") and page.is_disabled("#delete-button")
        watched.assert_clean()


def test_history_without_a_session_explains_how_to_sign_in(
    served: tuple[str, Any], browser: Browser
) -> None:
    url, _ = served
    with watched_page(browser) as watched:
        page = watched.page
        page.goto(url + "/history")
        notice = page.wait_for_selector("#signin-notice:not([hidden])")
        assert "tts-agents serve" in notice.inner_text()
        assert page.locator("button.conversation").count() == 0
        assert page.is_hidden("#list-empty")  # not signed in says nothing about records
        watched.assert_clean()


def _talk(page: Page, sent: list[dict[str, Any]], received: list[dict[str, Any]]) -> str:
    """Types a question, waits for the answer, ends the call; returns the conversation id."""
    page.fill("#chat-input", "what audio formats do you support")
    page.press("#chat-input", "Enter")
    page.wait_for_function(answered(), timeout=30_000)
    page.click("#call-button")  # End call
    page.wait_for_selector("#orb[data-state='idle']")
    page.wait_for_timeout(500)  # the server closes the record as the session ends
    metadata = next(m for m in received if m.get("type") == "conversation_initiation_metadata")
    received.clear()
    return str(metadata["conversation_initiation_metadata_event"]["conversation_id"])


def _frames(page: Page) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []
    received: list[dict[str, Any]] = []

    def watch(socket: Any) -> None:
        socket.on("framesent", lambda payload: sent.append(json.loads(payload)))
        socket.on("framereceived", lambda payload: received.append(json.loads(payload)))

    page.on("websocket", watch)
    return sent, received


def _initiation(sent: list[dict[str, Any]]) -> dict[str, Any]:
    first = sent.pop(0)
    sent.clear()
    assert first["type"] == "conversation_initiation_client_data"
    return dict(first["dynamic_variables"])


def test_agent_page_asks_before_a_conversation_is_kept(
    served: tuple[str, Any], browser: Browser
) -> None:
    url, app = served
    with watched_page(browser) as watched:
        page = watched.page
        sent, received = _frames(page)
        sign_in(watched, url, app)
        page.select_option("#agent-select", "help-desk")
        assert page.is_hidden("#consent")  # keeps nothing: nothing to ask
        page.select_option("#agent-select", "noticer")
        assert "means you accept" in page.inner_text("#consent-text")
        assert page.is_hidden("#consent-choice")  # told, not asked
        page.select_option("#agent-select", "keeper")
        assert "only if you agree" in page.inner_text("#consent-text")
        assert page.inner_text("#consent-choice") == "Keep a transcript of this conversation"
        assert not page.is_checked("#consent-check")
        watched.screenshot("agent-consent", width=375)

        # Without agreeing: nothing is sent, nothing is kept.
        refused = _talk(page, sent, received)
        assert _initiation(sent) == {}
        assert _api(url, f"/{refused}").status_code == 404

        page.check("#consent-check")
        kept = _talk(page, sent, received)
        assert _initiation(sent) == {"user_consent": True}
        record = _api(url, f"/{kept}").json()
        assert record["agent_id"] == "keeper"
        assert any("format" in turn["message"].lower() for turn in record["transcript"])
        watched.assert_clean()
