"""Batch progress for the terminal: a rich bar with rate and ETA, or plain lines in logs.

The bar shows items per second and how many seconds of audio each second of work makes
(``3.1x real time``): neural voices are far slower than espeak-ng, and the ETA says so.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class BarProgress:
    """A live progress bar on stderr (for an interactive terminal)."""

    def __init__(self) -> None:
        self._progress = Progress(
            TextColumn("[bold]batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task: TaskID | None = None
        self.failed = 0
        self._audio = 0.0
        self._began = time.monotonic()

    def start(self, total: int, skipped: int) -> None:
        """Show the bar, with already finished items counted."""
        self._began = time.monotonic()
        self._progress.start()
        self._task = self._progress.add_task("batch", total=total, completed=skipped, rate="")

    def advance(self, record: dict[str, Any]) -> None:
        """Count one finished item."""
        if self._task is None:
            return
        self.failed += record["status"] != "done"
        self._audio += float(record.get("duration") or 0.0)
        speed = self._progress.tasks[0].speed
        rate = f"{speed:.1f} items/s" if speed else ""
        elapsed = time.monotonic() - self._began
        if self._audio and elapsed > 0:
            rate += f" {self._audio / elapsed:.1f}x real time"
        self._progress.update(self._task, advance=1, rate=rate.strip())

    def close(self) -> None:
        """Remove the live display."""
        self._progress.stop()


class LineProgress:
    """One plain line per finished item on stderr (for logs and pipes)."""

    def __init__(self) -> None:
        self._total = 0
        self._count = 0

    def start(self, total: int, skipped: int) -> None:
        """Say how much there is to do."""
        self._total, self._count = total, skipped
        print(f"batch: {total} items, {skipped} already done", file=sys.stderr, flush=True)

    def advance(self, record: dict[str, Any]) -> None:
        """Print the item's outcome."""
        self._count += 1
        detail = record.get("file") if record["status"] == "done" else record.get("error")
        print(
            f"[{self._count}/{self._total}] {record['status']} {record['name']}: {detail}",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        """Nothing to tidy."""


def progress_for_terminal() -> BarProgress | LineProgress:
    """A bar when stderr is a terminal, plain lines otherwise."""
    return BarProgress() if sys.stderr.isatty() else LineProgress()
