"""The browser app's files: no inline code, vendored files pinned with SRI, text-only DOM."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tts_agents.server.web_routes import WEB_DIR

PAGES = sorted(WEB_DIR.glob("*.html"))
SCRIPTS = sorted((WEB_DIR / "static").rglob("*.js"))
OUR_SCRIPTS = [path for path in SCRIPTS if "vendor" not in path.parts]
VENDORED = sorted(
    path
    for path in (WEB_DIR / "static" / "vendor").rglob("*")
    if path.suffix in (".js", ".css")
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag

    def handle_data(self, data: str) -> None:
        if self._open in ("script", "style") and data.strip():
            self.inline.append(f"<{self._open}>{data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def _parse(page: Path) -> _Tags:
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_there_are_the_expected_pages() -> None:
    assert {page.name for page in PAGES} == {
        "index.html",
        "playground.html",
        "history.html",
        "docs.html",
        "signin.html",
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_pages_have_no_inline_script_style_or_handlers(page: Path) -> None:
    parsed = _parse(page)
    assert parsed.inline == []
    for tag, attrs in parsed.tags:
        assert "style" not in attrs, f"<{tag} style=...>"
        assert not [name for name in attrs if name.startswith("on")], f"<{tag}> handler"
        assert tag != "style"
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), attrs
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//", "javascript:")), value


@pytest.mark.parametrize("vendored", VENDORED, ids=lambda path: path.name)
def test_every_vendored_file_is_loaded_with_a_matching_integrity(vendored: Path) -> None:
    digest = base64.b64encode(hashlib.sha384(vendored.read_bytes()).digest()).decode()
    url = "/" + vendored.relative_to(WEB_DIR).as_posix()
    uses = [
        attrs
        for page in PAGES
        for tag, attrs in _parse(page).tags
        if tag in ("script", "link") and (attrs.get("src") or attrs.get("href")) == url
    ]
    assert uses, f"{url} is vendored but no page loads it"
    for attrs in uses:
        assert attrs.get("integrity") == f"sha384-{digest}"
        assert attrs.get("crossorigin") == "anonymous"


def test_vendored_files_keep_their_licence() -> None:
    folder = WEB_DIR / "static" / "vendor" / "swagger-ui"
    assert "Apache License" in (folder / "LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize("script", OUR_SCRIPTS, ids=lambda path: path.name)
def test_our_scripts_never_write_html_or_evaluate_strings(script: Path) -> None:
    source = script.read_text(encoding="utf-8")
    for sink in (
        r"\.innerHTML\b",
        r"\.outerHTML\b",
        r"insertAdjacentHTML",
        r"document\.write",
        r"\beval\(",
        r"new Function",
        r"setTimeout\(\s*[\"'`]",
        r"\.setAttribute\(\s*[\"']on",
    ):
        assert not re.search(sink, source), f"{script.name} uses {sink}"
