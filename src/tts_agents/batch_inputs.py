"""Batch input files: one text per line (.txt), a CSV with a ``text`` column, or JSONL.

CSV and JSONL rows may also set ``id``, ``voice``, ``format``, ``speed``, ``language`` and
``sample_rate``; anything else is refused so typos do not pass silently. Errors name the
file and the line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    requests = []
    with map_errors(f"read {source.name}"):
        for line, row in readers[kind](source):
            requests.append(_request(source.name, line, {**(defaults or {}), **row}))
    if not requests:
        raise TTSValidationError("input_file", f"{source.name} holds no texts")
    return requests


def _request(name: str, line: int, row: dict[str, Any]) -> TTSRequest:
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        raise TTSValidationError("input_file", f"{name} line {line}: unknown field {unknown[0]!r}")
    values = {key: value for key, value in row.items() if value not in (None, "")}
    try:
        return TTSRequest(**values)
    except TTSValidationError as exc:
        raise TTSValidationError("input_file", f"{name} line {line}: {exc.message}") from None


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
