"""Batch input files: one text per line (.txt), a CSV with a ``text`` column, or JSONL.

CSV and JSONL rows may also set ``id``, ``voice``, ``format``, ``speed``, ``language`` and
``sample_rate``; anything else is refused so typos do not pass silently. An empty or blank
cell (or a JSON ``null``) means "not set": the caller's defaults (the command's options)
apply, else the agent's. Every row is checked as it is read, ids included (safe as a file
name, not repeated), so a bad file is refused before any work starts; errors name the file
and the line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tts_agents.batch.plan import check_id
from tts_agents.errors import TTSValidationError, map_errors
from tts_agents.models import TTSRequest

COLUMNS = ("text", "id", "voice", "format", "speed", "language", "sample_rate")


def load_requests(path: str | Path, defaults: dict[str, Any] | None = None) -> list[TTSRequest]:
    """Read every request in ``path``; ``defaults`` fill fields a row leaves empty."""
    source = Path(path)
    kind = source.suffix.lower()
    readers = {".txt": _lines, ".csv": _csv_rows, ".jsonl": _jsonl_rows}
    if kind not in readers:
        raise TTSValidationError(
            "input_file",
            f"{source.name}: use a .txt, .csv or .jsonl file, not {kind or 'no extension'!r}",
        )
    if not source.is_file():
        raise TTSValidationError("input_file", f"{str(source)!r} is not a readable file")
    with map_errors(f"read {source.name}"):
        rows = [
            (line, _request(source.name, line, row, defaults or {}))
            for line, row in readers[kind](source)
        ]
    if not rows:
        raise TTSValidationError("input_file", f"{source.name} holds no texts")
    _refuse_repeated_ids(source.name, rows)
    return [request for _, request in rows]


def _request(name: str, line: int, row: dict[str, Any], defaults: dict[str, Any]) -> TTSRequest:
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise TTSValidationError("input_file", f"{name} line {line}: unknown field {unknown[0]!r}")
    # Row values override defaults, but a blank cell must not override them with nothing.
    values = {key: value for key, value in [*defaults.items(), *row.items()] if not _blank(value)}
    try:
        request = TTSRequest(**values)
        if request.id is not None:
            check_id(request.id)
    except TTSValidationError as exc:
        raise TTSValidationError("input_file", f"{name} line {line}: {exc.message}") from None
    return request


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _refuse_repeated_ids(name: str, rows: list[tuple[int, TTSRequest]]) -> None:
    first_line: dict[str, int] = {}
    for line, request in rows:
        if request.id is None:
            continue
        if request.id in first_line:
            raise TTSValidationError(
                "input_file",
                f"{name} line {line}: id: {request.id!r} is already used on line "
                f"{first_line[request.id]}",
            )
        first_line[request.id] = line


def _open(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            yield from enumerate(handle, start=1)
    except UnicodeDecodeError as exc:
        raise TTSValidationError(
            "input_file", f"{path.name}: invalid UTF-8 ({exc.reason})"
        ) from None


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, text in _open(path):
        if text.strip():
            yield line, {"text": text.rstrip("\r\n")}


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    lines = (text for _, text in _open(path))
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or "text" not in reader.fieldnames:
        raise TTSValidationError("input_file", f"{path.name}: needs a 'text' column")
    for row in reader:
        yield reader.line_num, {key: value for key, value in row.items() if key is not None}


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for line, text in _open(path):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError:
            raise TTSValidationError("input_file", f"{path.name} line {line}: not JSON") from None
        if not isinstance(row, dict):
            raise TTSValidationError("input_file", f"{path.name} line {line}: not a JSON object")
        yield line, row
