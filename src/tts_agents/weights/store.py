"""The models directory: what is installed, pulling models into it, verifying and removing.

Models live in one directory (``TTSConfig.models_dir``, ``TTS_AGENTS_MODELS_DIR``; by
default ``$XDG_CACHE_HOME/tts-agents/models``, else ``~/.cache/tts-agents/models``), one
directory per model. A file is used only after
its SHA-256 matched the catalogue's pin, checked once per process and again whenever the
file's size or modification time changes.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tts_agents.errors import ModelError, ModelIntegrityError, TTSValidationError, map_errors
from tts_agents.weights.assemble import MismatchError, file_sha256, install_file
from tts_agents.weights.catalogue import CATALOGUE, ModelFile, ModelSpec
from tts_agents.weights.sources import (
    DirectorySource,
    NpmSource,
    PackageSource,
    Source,
    SourceUnavailable,
    UrlSource,
)

_verified: dict[Path, tuple[int, int]] = {}
_verified_lock = threading.Lock()


def models_dir() -> Path:
    """The default models directory, under the user's cache directory."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "tts-agents" / "models"


def get_spec(name: str) -> ModelSpec:
    """The catalogue entry for ``name``, or a validation error listing the known ones."""
    spec = CATALOGUE.get(name.strip().lower())
    if spec is None:
        known = ", ".join(CATALOGUE)
        raise TTSValidationError("model", f"unknown model {name!r}; known: {known}")
    return spec


def install_hint(spec: ModelSpec) -> str:
    """The one command line that installs ``spec``."""
    pull = f"tts-agents models pull {spec.name}"
    if spec.extra:
        return f"pip install 'tts-agents[{spec.extra}]' && {pull}"
    packages = sorted({f"{p.distribution}=={p.version}" for f in spec.files for p in f.parts})
    return f"pip install {' '.join(packages)} && {pull}" if packages else pull


@dataclass
class ModelStatus:
    """What is on disk for a model, judged by presence and size (no hashing)."""

    spec: ModelSpec
    directory: Path
    missing: list[ModelFile] = field(default_factory=list)

    @property
    def installed(self) -> bool:
        """Every file is present with its pinned size."""
        return not self.missing

    @property
    def partial(self) -> bool:
        """Some files are present, some are not."""
        return 0 < len(self.missing) < len(self.spec.files)


class ModelStore:
    """One models directory (the default one when ``root`` is None).

    ``mirror`` replaces the host of upstream URLs (see :class:`~.sources.UrlSource`);
    ``network=False`` never tries them.
    """

    def __init__(
        self, root: Path | None = None, *, mirror: str | None = None, network: bool = True
    ) -> None:
        self.root = root or models_dir()
        self.mirror = mirror
        self.network = network

    def directory(self, spec: ModelSpec) -> Path:
        """The model's directory (it may not exist)."""
        return self.root / spec.name

    def status(self, spec: ModelSpec) -> ModelStatus:
        """Which of the model's files are missing or have the wrong size."""
        directory = self.directory(spec)
        missing = [file for file in spec.files if not _has_size(directory / file.path, file.size)]
        return ModelStatus(spec, directory, missing)

    def require(self, spec: ModelSpec, paths: Iterable[str] | None = None) -> Path:
        """The model's directory, once the files in ``paths`` (default: all) verified.

        Raises :class:`ModelError` with the command that installs it when a file is
        missing, and :class:`ModelIntegrityError` naming the file when a hash differs.
        """
        directory = self.directory(spec)
        wanted = set(paths) if paths is not None else None
        for file in spec.files:
            if wanted is not None and file.path not in wanted:
                continue
            path = directory / file.path
            if not path.is_file():
                raise ModelError(f"model {spec.name!r} is not installed: {install_hint(spec)}")
            check_file(path, file, spec.name)
        return directory

    def require_present(self, spec: ModelSpec, paths: Iterable[str]) -> None:
        """Raise :class:`ModelError` (with the install command) unless ``paths`` are there.

        Only presence and size: each file is hashed by :func:`check_file` when first used.
        """
        directory = self.directory(spec)
        files = {file.path: file for file in spec.files}
        if not all(_has_size(directory / path, files[path].size) for path in paths):
            raise ModelError(f"model {spec.name!r} is not installed: {install_hint(spec)}")

    def verify(self, spec: ModelSpec) -> list[str]:
        """Problems with the installed files (missing, wrong size or hash), re-hashing all."""
        problems = []
        directory = self.directory(spec)
        for file in spec.files:
            path = directory / file.path
            with map_errors(f"verify {spec.name}/{file.path}"):
                if not path.is_file():
                    problem = "missing"
                elif path.stat().st_size != file.size:
                    problem = "size differs from the pinned size"
                elif file_sha256(path) != file.sha256:
                    problem = "SHA-256 does not match the pinned hash"
                else:
                    _remember(path)
                    continue
            problems.append(f"{spec.name}/{file.path}: {problem}")
        return problems

    def remove(self, spec: ModelSpec) -> bool:
        """Delete the model's directory; False when there was nothing to delete."""
        directory = self.directory(spec)
        if not directory.exists():
            return False
        with map_errors(f"remove {spec.name}"):
            shutil.rmtree(directory)
        with _verified_lock:
            for path in [p for p in _verified if directory in p.parents]:
                del _verified[path]
        return True

    def sources(self, local_dir: Path | None = None) -> list[Source]:
        """The sources ``pull`` tries, in order."""
        chain: list[Source] = [DirectorySource(local_dir)] if local_dir is not None else []
        chain += [PackageSource(), NpmSource()]
        if self.network:
            chain.append(UrlSource(self.mirror))
        return chain

    def pull(
        self,
        spec: ModelSpec,
        *,
        local_dir: Path | None = None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Install every missing or damaged file of ``spec``; returns the files written.

        Each file comes from the first source that offers it and whose bytes match the
        pin. When no source works, :class:`ModelError` says in one line what to install.
        """
        if local_dir is not None and not local_dir.is_dir():
            raise TTSValidationError("from", f"{str(local_dir)!r} is not a directory")
        directory = self.directory(spec)
        chain = self.sources(local_dir)
        written = []
        try:
            for file in spec.files:
                target = directory / file.path
                if _has_size(target, file.size) and file_sha256(target) == file.sha256:
                    _remember(target)
                    if on_bytes is not None:
                        on_bytes(file.size)
                    continue
                _fetch(target, file, chain, spec, on_bytes)
                _remember(target)
                written.append(file.path)
        finally:
            for source in chain:
                if isinstance(source, NpmSource):
                    source.close()
        return written


def check_file(path: Path, file: ModelFile, model: str) -> None:
    """Refuse ``path`` unless it hashes to ``file``'s pin (once per process and change)."""
    try:
        stat = path.stat()
        with _verified_lock:
            if _verified.get(path) == (stat.st_size, stat.st_mtime_ns):
                return
        matches = stat.st_size == file.size and file_sha256(path) == file.sha256
    except OSError:
        raise ModelError(f"model {model!r}: {file.path} cannot be read") from None
    if not matches:
        raise ModelIntegrityError(
            f"model {model!r}: {file.path} does not match its pinned SHA-256; refusing it "
            f"(run `tts-agents models pull {model}` to repair it)"
        )
    _remember(path)


def _fetch(
    target: Path,
    file: ModelFile,
    chain: Sequence[Source],
    spec: ModelSpec,
    on_bytes: Callable[[int], None] | None,
) -> None:
    reasons = []
    for source in chain:
        if not source.offers(file):
            continue
        counted = 0

        def count(size: int) -> None:
            nonlocal counted
            counted += size
            if on_bytes is not None:
                on_bytes(size)

        try:
            install_file(target, source.open(file), file, count)
            return
        except (SourceUnavailable, MismatchError) as exc:
            reasons.append(f"{source.name}: {exc}")
            if on_bytes is not None and counted:
                on_bytes(-counted)
    tried = "; ".join(reasons) or "no source offers it here"
    raise ModelError(
        f"cannot pull {spec.name}: {file.path}: {tried}; {_what_to_install(spec, file)}"
    )


def _what_to_install(spec: ModelSpec, file: ModelFile) -> str:
    wants = []
    if file.parts:
        wants.append(
            f"pip install 'tts-agents[{spec.extra}]'"
            if spec.extra
            else "pip install " + " ".join(f"{p.distribution}=={p.version}" for p in file.parts)
        )
    if file.npm is not None:
        wants.append("install the npm client (Node.js)")
    if file.urls:
        wants.append("allow network access to the upstream sources")
    return " or ".join(wants) if wants else "no known source"


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _remember(path: Path) -> None:
    stat = path.stat()
    with _verified_lock:
        _verified[path] = (stat.st_size, stat.st_mtime_ns)


__all__ = [
    "ModelStatus",
    "ModelStore",
    "check_file",
    "get_spec",
    "install_hint",
    "models_dir",
]
