"""The README holds in a clone: its links resolve, its routes are documented, and the files
its commands write into the checkout are ignored by git."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_relative_links_point_into_the_repository() -> None:
    links = re.findall(r"\]\(([^)#\s]+)\)", README)
    local = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    assert local, "the README links its own docs"
    missing = [
        link
        for link in local
        if not (ROOT / link).resolve().is_relative_to(ROOT) or not (ROOT / link).exists()
    ]
    assert missing == []
    assert "../shared" not in README  # a path outside the clone


def test_the_browser_login_link_route_is_documented() -> None:
    assert "POST" in README and "/v1/web/login-links" in README


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="no git checkout"
)
def test_files_the_readme_commands_write_are_ignored() -> None:
    outputs = set(re.findall(r"(?:-o|--subtitles) (\w[\w.-]*\.\w+)", README))
    assert {"hello.mp3", "hi.srt", "hi.m4a"} <= outputs
    found = subprocess.run(  # noqa: S603 - fixed program, file names from our README
        ["git", "check-ignore", *sorted(outputs)],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert set(found.stdout.split()) == outputs
