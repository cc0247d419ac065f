"""What a batch keeps on disk: the JSONL manifest and the temp files a killed run leaves.

The manifest is append-only: one JSON line per finished item (done or failed), flushed
and fsynced, so a run killed at any moment loses at most the items in flight. A torn last
line (killed mid-write) is ignored on reading. ``--resume`` skips items whose last record
is ``done`` and whose file is still there.

A record holds ``name`` (the file name without extension), ``index`` (the item's number,
counting from 1 like the number in an automatic file name), ``status``, and ``attempts``
when known; a done item adds ``file``, ``duration``, ``bytes`` and ``format``, a failed
one ``error``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tts_agents.errors import map_errors

MANIFEST = "manifest.jsonl"


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
