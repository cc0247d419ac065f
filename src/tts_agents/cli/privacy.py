"""``tts-agents privacy``: purge what is past retention, rotate the master key, read the audit.

Each command opens the records store the server uses (``TTS_AGENTS_DATABASE_URL``, else
``records.db`` in ``TTS_AGENTS_DATA_DIR``); with no store there is nothing to do.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tts_agents.errors import MissingExtraError, TTSConfigError

app = typer.Typer(
    help="Conversation records: purge, rotate-key, audit.",
    add_completion=False,
    rich_markup_mode=None,
    no_args_is_help=True,
)
console = Console()
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only count what would be removed.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete transcripts, audio and audit entries past their retention, now."""
    report = asyncio.run(_purge(dry_run))
    counts = asdict(report)
    if as_json:
        print(json.dumps({"dry_run": dry_run, **counts}))
        return
    verb = "would remove" if dry_run else "removed"
    console.print(
        f"{verb} {report.conversations} conversation(s), {report.transcripts} transcript(s), "
        f"{report.audio} audio track(s), {report.audit_entries} audit entr(ies)"
    )


@app.command("rotate-key")
def rotate_key(
    new_key_file: Annotated[
        Path,
        typer.Option(
            "--new-key-file", metavar="FILE", help="The new master key (base64, mode 0600)."
        ),
    ],
) -> None:
    """Re-wrap every conversation's data key under a new master key.

    The current key comes from TTS_AGENTS_MASTER_KEY or TTS_AGENTS_MASTER_KEY_FILE; point
    those at the new key afterwards and retire the old one.
    """
    changed = asyncio.run(_rotate(new_key_file))
    console.print(f"re-wrapped {changed} data key(s); now use the new key file")


@app.command()
def audit(
    days: Annotated[int, typer.Option(metavar="DAYS", help="Entries of the last DAYS days.")] = 30,
    limit: Annotated[int, typer.Option(metavar="N", help="At most N entries.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Who listed, read, exported or deleted which conversation, newest first."""
    if days < 1 or limit < 1:
        raise TTSConfigError("--days and --limit must be at least 1")
    entries = asyncio.run(_audit(datetime.now(UTC) - timedelta(days=days), limit))
    if as_json:
        print(json.dumps([{**asdict(e), "at": e.at.isoformat()} for e in entries]))
        return
    table = Table("at (UTC)", "who", "action", "conversation")
    for entry in entries:
        when = entry.at.strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(when, entry.actor, entry.action, entry.conversation_id or "-")
    console.print(table)


async def _purge(dry_run: bool) -> Any:
    from tts_agents.records.model import PurgeReport

    empty = PurgeReport(0, 0, 0, 0)
    return await _with_store(lambda store: store.purge(dry_run=dry_run), empty)


async def _rotate(new_key_file: Path) -> int:
    from tts_agents.records.crypto import MasterKey, MasterKeyMissing

    def rotate(store: Any) -> Awaitable[int]:
        if MasterKey.from_env() is None:
            raise MasterKeyMissing()
        return store.rotate(MasterKey.from_file(new_key_file))

    changed: int = await _with_store(rotate, 0)
    return changed


async def _audit(since: datetime, limit: int) -> list[Any]:
    entries: list[Any] = await _with_store(
        lambda store: store.audit_log(since=since, limit=limit), []
    )
    return entries


async def _with_store(action: Callable[[Any], Awaitable[Any]], nothing: Any) -> Any:
    """``action(repository)`` on the store, or ``nothing`` when none was ever made here."""
    try:
        from tts_agents.records.repository import Repository
    except ImportError as exc:
        raise MissingExtraError("conversation records", "records") from exc
    from tts_agents.records.database import store_exists

    if not store_exists():
        return nothing
    async with await Repository.open() as repository:
        return await action(repository)


__all__ = ["app"]
