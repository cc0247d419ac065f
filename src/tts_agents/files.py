"""Atomic output files: write to a temporary file beside the target, then rename.

A killed or failed run never leaves a truncated file under the real name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from tts_agents.errors import TTSFileError, map_errors


def _file_mode() -> int:
    """The mode a plain ``open()`` would give a new file (0o666 less the umask)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


@contextmanager
def atomic_output(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it replaces ``path``, on error it is removed."""
    target = Path(path)
    if target.parent.exists() and not target.parent.is_dir():
        raise TTSFileError(f"write {target.name} failed: its parent is not a directory")
    with map_errors(f"write {target.name}"):
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=target.parent
        )
        os.fchmod(fd, _FILE_MODE)
    try:
        with os.fdopen(fd, "w+b") as handle:
            yield handle
            with map_errors(f"write {target.name}"):
                handle.flush()
                os.fsync(handle.fileno())
        with map_errors(f"write {target.name}"):
            os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
