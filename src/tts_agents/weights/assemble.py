"""Writing a model file from a stream of bytes, verified, atomically; hashing files on disk."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from tts_agents.errors import ModelIntegrityError, TTSFileError
from tts_agents.weights.catalogue import ModelFile

_BLOCK = 1 << 20


class MismatchError(ModelIntegrityError):
    """What a source delivered is not the pinned file."""


def install_file(
    target: Path,
    chunks: Iterable[bytes],
    expected: ModelFile,
    on_bytes: Callable[[int], None] | None = None,
) -> None:
    """Write ``chunks`` to ``target`` if they hash to ``expected``; else leave nothing behind.

    The bytes go to a temporary file beside the target, hashed as they are written, and the
    file is renamed into place only when size and SHA-256 match.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for chunk in chunks:
                size += len(chunk)
                if size > expected.size:
                    raise MismatchError(f"{expected.path}: larger than {expected.size} bytes")
                digest.update(chunk)
                handle.write(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
            handle.flush()
            os.fsync(handle.fileno())
        if size != expected.size or digest.hexdigest() != expected.sha256:
            raise MismatchError(f"{expected.path}: SHA-256 does not match the pinned hash")
        os.replace(temp_name, target)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise TTSFileError(f"write {target.name} failed: {exc.strerror or exc}") from exc
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def read_blocks(path: Path) -> Iterable[bytes]:
    """A file's bytes in 1 MiB blocks."""
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            yield block


def concatenated(paths: Iterable[Path]) -> Iterable[bytes]:
    """The blocks of several files, one after the other (split parts joined)."""
    for path in paths:
        yield from read_blocks(path)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file on disk, read in blocks (flat memory)."""
    digest = hashlib.sha256()
    for block in read_blocks(path):
        digest.update(block)
    return digest.hexdigest()


__all__ = ["MismatchError", "concatenated", "file_sha256", "install_file", "read_blocks"]
