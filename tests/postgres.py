"""A real PostgreSQL for the tests: one throwaway cluster per session, one database per test.

The server is Debian's PostgreSQL (``scripts/install_postgres.sh``): ``initdb`` into a
temporary directory, then ``pg_ctl`` starts it on a free port on 127.0.0.1 only, with its unix
socket in that directory and trust authentication for loopback connections alone. PostgreSQL
refuses to run as root, so under root the cluster belongs to a dedicated unprivileged system
user, ``tts-agents-pg``, created on first use.

Fixtures (registered by ``pytest_plugins`` in ``tests/conftest.py``):

* ``postgres_cluster`` - the running server, session-scoped;
* ``postgres_server`` - URL of a database created at start, shared by the whole session;
* ``postgres_url`` - URL of a fresh database for one test, dropped after it.

Without PostgreSQL every test that asks for these skips, with a warning in the summary.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from tests.conftest import free_port

SYSTEM_USER = "tts-agents-pg"
SUPERUSER = "tts_agents"
DATABASE = "tts_agents"

# A throwaway cluster does not need to survive a crash; skipping the flushes makes
# CREATE DATABASE and every commit cheap.
SERVER_OPTIONS = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n"


class PostgresMissingWarning(UserWarning):
    """PostgreSQL is not installed, so the tests that need it are skipped."""


@dataclass(frozen=True)
class RunAs:
    """The unprivileged account the cluster runs as when the tests run as root."""

    name: str
    uid: int
    gid: int


@dataclass(frozen=True)
class PostgresCluster:
    """A running throwaway server: where its programs are and how to reach it."""

    bin_dir: Path
    port: int
    run_as: RunAs | None

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on this server, as the superuser."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction (as CREATE DATABASE needs)."""
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"]
        command += ["-p", str(self.port), "-U", SUPERUSER, "-d", "postgres", "-c", sql]
        self.run(command)

    def run(self, command: list[str], cwd: Path | None = None) -> None:
        """Run one of the server's programs, as the cluster's owner, failing with its output."""
        program = [str(self.bin_dir / command[0]), *command[1:]]
        run_as = self.run_as
        done = subprocess.run(  # noqa: S603 - the server's own programs, fixed arguments
            program,
            cwd=cwd,
            env=clean_environment(),
            capture_output=True,
            text=True,
            user=None if run_as is None else run_as.uid,
            group=None if run_as is None else run_as.gid,
            extra_groups=None if run_as is None else [],
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def clean_environment() -> dict[str, str]:
    """The environment without libpq's PG* settings, so nothing points elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``psql``: PATH, else Debian's newest."""
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).resolve().parent
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")]
    return max(candidates, key=version_of, default=None)


def version_of(bin_dir: Path) -> tuple[int, ...]:
    """``(15,)`` for ``/usr/lib/postgresql/15/bin``, so 16 sorts after 9.6."""
    return tuple(int(part) for part in bin_dir.parent.name.split(".") if part.isdigit())


def skip_loudly(reason: str) -> NoReturn:
    warnings.warn(reason, PostgresMissingWarning, stacklevel=2)
    pytest.skip(reason)


def system_user() -> RunAs:
    """The ``tts-agents-pg`` account, created (system, no home, no login) if missing."""
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(  # noqa: S603 - fixed arguments
            ["useradd", "--system", "--user-group", "--no-create-home"]  # noqa: S607
            + ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            capture_output=True,
        )
        # Another session may have created it meanwhile; only its existence matters.
        entry = pwd.getpwnam(SYSTEM_USER)
    return RunAs(SYSTEM_USER, entry.pw_uid, entry.pw_gid)


def start(cluster: PostgresCluster, base: Path) -> None:
    data = base / "data"
    cluster.run(
        ["initdb", "-D", str(data), "-U", SUPERUSER, "-E", "UTF8", "--locale=C"]
        + ["--auth=trust", "--no-sync"],
        cwd=base,
    )
    # Overwritten in place, so the file keeps the owner and mode initdb gave it.
    (data / "pg_hba.conf").write_text(HBA)
    options = f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {base} {SERVER_OPTIONS}"
    command = ["pg_ctl", "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "30"]
    try:
        cluster.run([*command, "-o", options, "start"], cwd=base)
    except RuntimeError as exc:
        log = (base / "server.log").read_text(errors="replace")
        raise RuntimeError(f"{exc}\nserver.log:\n{log}") from exc
    cluster.execute(f"CREATE DATABASE {DATABASE}")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server on 127.0.0.1 in a throwaway directory, stopped at session end."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        skip_loudly(
            "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in "
            "/usr/lib/postgresql/*/bin): run `bash scripts/install_postgres.sh`; "
            "the tests that need a real PostgreSQL are SKIPPED"
        )
    run_as = None
    if os.geteuid() == 0:
        try:
            run_as = system_user()
        except (KeyError, OSError) as exc:
            skip_loudly(
                f"running as root and could not create the {SYSTEM_USER} user "
                f"PostgreSQL needs ({exc}); the PostgreSQL tests are SKIPPED"
            )
    # Under root the owner must reach the directory, so it lives in the world-traversable
    # temporary directory, not in pytest's root-only one.
    base = Path(tempfile.mkdtemp(prefix="tts-agents-pg-"))
    if run_as is not None:
        os.chown(base, run_as.uid, run_as.gid)
    cluster = PostgresCluster(bin_dir, free_port(), run_as)
    try:
        start(cluster, base)
        yield cluster
    finally:
        if (base / "data" / "postmaster.pid").exists():
            cluster.run(["pg_ctl", "-D", str(base / "data"), "-m", "fast", "-w", "stop"], base)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(postgres_cluster: PostgresCluster) -> str:
    """URL of a database shared by the whole session: ``postgresql+asyncpg://…``."""
    return postgres_cluster.url(DATABASE)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """URL of a database of this test's own, dropped (connections and all) after it."""
    database = f"test_{uuid.uuid4().hex[:12]}"
    postgres_cluster.execute(f"CREATE DATABASE {database}")
    try:
        yield postgres_cluster.url(database)
    finally:
        postgres_cluster.execute(f"DROP DATABASE {database} WITH (FORCE)")
