"""What a batch keeps on disk: the item plan, the JSONL manifest, leftover temp files.

The manifest is append-only: one JSON line per finished item (done or failed), flushed
and fsynced, so a run killed at any moment loses at most the items in flight. A torn last
line (killed mid-write) is ignored on reading. ``--resume`` skips items whose last record
is ``done`` and whose file is still there.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_agents.errors import TTSValidationError, map_errors
from tts_agents.models import TTSRequest

MANIFEST = "manifest.jsonl"
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class BatchItem:
    """One request of a batch and the file name (without extension) it writes."""

    index: int
    name: str
    request: TTSRequest


def plan_items(requests: list[TTSRequest]) -> list[BatchItem]:
    """Give every request a deterministic, safe, unique file name."""
    items = [BatchItem(i, item_name(i, request), request) for i, request in enumerate(requests)]
    seen: dict[str, int] = {}
    for item in items:
        if item.name in seen:
            raise TTSValidationError(
                "id", f"{item.name!r} is used by items {seen[item.name] + 1} and {item.index + 1}"
            )
        seen[item.name] = item.index
    return items


def item_name(index: int, request: TTSRequest) -> str:
    """The request's ``id`` if it is a safe file name, else index and a slug of the text."""
    if request.id is not None:
        if not _SAFE_ID.match(request.id) or ".." in request.id:
            raise TTSValidationError(
                "id", f"{request.id!r} is not a safe file name (letters, digits, . _ -)"
            )
        return request.id
    slug = re.sub(r"[^a-z0-9]+", "-", request.text.lower()).strip("-")[:40].strip("-")
    return f"{index + 1:05d}-{slug or 'speech'}"


class Manifest:
    """The append-only record of finished items in an output directory."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / MANIFEST

    def load(self) -> dict[str, dict[str, Any]]:
        """The last record of each item; a torn final line is skipped."""
        records: dict[str, dict[str, Any]] = {}
        if not self.path.exists():
            return records
        with map_errors(f"read {MANIFEST}"), self.path.open("rb") as handle:
            for raw in handle:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict) and isinstance(record.get("name"), str):
                    records[record["name"]] = record
        return records

    def append(self, record: dict[str, Any]) -> None:
        """Add one record durably."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        with map_errors(f"write {MANIFEST}"), self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def finished(records: dict[str, dict[str, Any]], directory: Path) -> set[str]:
    """Names recorded as done whose file still exists."""
    return {
        name
        for name, record in records.items()
        if record.get("status") == "done" and (directory / str(record.get("file", ""))).is_file()
    }


def remove_temp_files(directory: Path) -> int:
    """Delete temp files a killed run left behind (``.<name>.<random>.part``)."""
    removed = 0
    for leftover in directory.glob(".*.part"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed
