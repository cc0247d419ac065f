"""The batch package: public names, and no import circle among its modules."""

from __future__ import annotations

import ast
import graphlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tts_agents.batch

PACKAGE = "tts_agents.batch"
ROOT = Path(tts_agents.batch.__file__).parent
MODULES = sorted(f"{PACKAGE}.{info.name}" for info in pkgutil.iter_modules([str(ROOT)]))


def imports_within_package(module: str) -> set[str]:
    """Every batch module ``module`` imports, lazy and TYPE_CHECKING imports included."""
    path = ROOT / "__init__.py" if module == PACKAGE else ROOT / f"{module.rsplit('.', 1)[1]}.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in MODULES or name == PACKAGE}
    return found - {module}


def test_public_names_are_sorted_and_exist() -> None:
    assert tts_agents.batch.__all__ == sorted(tts_agents.batch.__all__)
    for name in tts_agents.batch.__all__:
        assert getattr(tts_agents.batch, name).__module__.startswith(PACKAGE + ".")
    assert {"BatchProcessor", "BatchResult", "load_requests"} <= set(tts_agents.batch.__all__)


def test_module_imports_form_no_circle() -> None:
    # Lazy imports inside functions hide a circle at import time, so read the source instead.
    graph = {module: imports_within_package(module) for module in [PACKAGE, *MODULES]}
    assert len(MODULES) >= 4
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the circle
    inside = [module for module in MODULES if PACKAGE in graph[module]]
    assert inside == [], "modules of the package must not import the package itself"


@pytest.mark.parametrize("first", MODULES)
def test_each_module_imports_first_in_a_fresh_interpreter(first: str) -> None:
    rest = [module for module in reversed(MODULES) if module != first]
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    result = subprocess.run(  # noqa: S603 - fixed interpreter, our own module names
        [sys.executable, "-c", code, first, *rest],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
