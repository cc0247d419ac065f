"""Reading an agent file: YAML parsed safely, and validation errors made into one line.

The YAML is composed once to learn the line of every key (and to refuse duplicate keys,
which ``safe_load`` would silently collapse), then loaded with ``safe_load``. A pydantic
error becomes ``file, line N: key.path[0].name: problem``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tts_agents.agent.config.sections import ConfigProblem
from tts_agents.errors import MissingExtraError, TTSConfigError

MAX_FILE_BYTES = 1_000_000
Lines = dict[tuple[str | int, ...], int]


def read_agent_file(path: Path, shown: str) -> tuple[dict[str, Any], Lines]:
    """The agent file's mapping and the line of each key path; errors name ``shown``."""
    return _parse_yaml(_read_text(path, shown), shown)


def _read_text(path: Path, shown: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TTSConfigError(f"{shown}: agent file not found") from None
    except OSError as exc:
        raise TTSConfigError(f"{shown}: cannot read the agent file: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise TTSConfigError(f"{shown}: the agent file is larger than 1 MB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TTSConfigError(f"{shown}: invalid UTF-8 at byte {exc.start}") from None


def _parse_yaml(text: str, shown: str) -> tuple[dict[str, Any], Lines]:
    """The YAML mapping, and the line of every key path (for error messages)."""
    try:
        import yaml
    except ImportError:
        raise MissingExtraError("agent definitions", "agent") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        lines: Lines = {}
        if root is not None:
            _index_lines(root, (), lines, shown)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise TTSConfigError(f"{shown}{where}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise TTSConfigError(f"{shown}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise TTSConfigError(
            f"{shown}: must be a YAML mapping of agent settings (id, name, voice, ...)"
        )
    return data, lines


def _index_lines(node: Any, path: tuple[str | int, ...], lines: Lines, shown: str) -> None:
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:  # safe_load would keep the last one silently
                line = key_node.start_mark.line + 1
                raise TTSConfigError(
                    f"{shown}, line {line}: {_path_text((*path, key))}: duplicate key"
                )
            seen.add(key)
            _index_lines(value_node, (*path, key), lines, shown)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines, shown)


def describe_error(
    exc: ValidationError, shown: str, lines: Lines, known_keys: Iterable[str]
) -> str:
    """The first validation problem as one line: file, line, key path and what is wrong."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = tuple(first["loc"])
    problem = first.get("ctx", {}).get("error")
    if isinstance(problem, ConfigProblem):
        loc += problem.path
    line = next((lines[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in lines), None)
    where = f"{shown}, line {line}" if line else shown
    others = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    key = _path_text(loc) or "(top level)"
    return f"{where}: {key}: {_problem_text(first, loc, known_keys)}{others}"


def _path_text(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _problem_text(error: Any, loc: tuple[Any, ...], known_keys: Iterable[str]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return _unknown_key(str(loc[-1]), known_keys)
    problem = error.get("ctx", {}).get("error")
    if isinstance(problem, ConfigProblem):
        return problem.message
    if kind in _TYPE_PROBLEMS:
        return _TYPE_PROBLEMS[kind]
    message = str(error["msg"]).removeprefix("Value error, ")
    return message.replace("Input should be", "must be").replace("String should", "must")


_TYPE_PROBLEMS = {
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "dict_type": "must be a mapping of keys and values",
    "model_type": "must be a mapping of keys and values",
    "model_attributes_type": "must be a mapping of keys and values",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
}


def _unknown_key(key: str, known_keys: Iterable[str]) -> str:
    if key in ("api_key", "key", "token", "secret"):
        return (
            "unknown key: never put a key in the file; set it in an environment variable "
            "and name that variable in api_key_env"
        )
    close = difflib.get_close_matches(key, sorted(set(known_keys)), n=1)
    return f"unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


__all__ = ["Lines", "describe_error", "read_agent_file"]
