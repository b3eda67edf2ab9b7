"""Shared fixtures: temporary SQLite databases, a real PostgreSQL server, the loaded sample.

The PostgreSQL server is started by the suite itself (``initdb`` into a temp folder as the
``postgres`` user, ``pg_ctl start`` on a free loopback port) and stopped at the end. Tests that
take the ``db_url`` fixture run once against SQLite and once against PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from walmart_lib.config import get_settings
from walmart_lib.db import make_engine
from walmart_lib.db.schema import ensure_schema


def _pg_bin() -> Path:
    """The newest installed PostgreSQL server's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own WALMART_HOME and database unless it sets its own."""
    monkeypatch.setenv("WALMART_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WALMART_DATABASE_URL", f"sqlite:///{tmp_path / 'walmart.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


class PostgresServer:
    """A throwaway PostgreSQL cluster on a loopback port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="walmart-pg-"))
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *cmd: str) -> None:
        if self._as_postgres:
            subprocess.run(["su", "postgres", "-c", " ".join(cmd)], check=True, capture_output=True)
        else:
            subprocess.run(list(cmd), check=True, capture_output=True)

    def start(self) -> None:
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "walmart"
        )
        opts = f"'-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off'"
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-o",
            opts,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("PostgreSQL did not start; see " + str(self.dir / "log"))

    def stop(self) -> None:
        try:
            self._run(
                str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"
            )
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=walmart dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://walmart@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL is not installed; `make test` installs it (apt-get postgresql)")
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


_pg_counter = iter(range(1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: once SQLite, once a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"t{next(_pg_counter)}_{os.getpid()}")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine with the schema created, on both backends."""
    eng = make_engine(db_url)
    ensure_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on a fresh SQLite file with the schema created."""
    eng = make_engine(f"sqlite:///{tmp_path / 'sqlite.db'}")
    ensure_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def sample_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with the bundled sample loaded once per session (treat as read-only)."""
    from walmart_lib.ingest import load_sample

    path = tmp_path_factory.mktemp("sample") / "sample.db"
    url = f"sqlite:///{path}"
    eng = make_engine(url)
    ensure_schema(eng)
    report = load_sample(eng, progress=False)
    assert report.ok, report
    eng.dispose()
    return url


@pytest.fixture
def sample_engine(sample_db_url: str) -> Iterator[Engine]:
    eng = make_engine(sample_db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sample_copy_engine(sample_db_url: str, tmp_path: Path) -> Iterator[Engine]:
    """A private, writable copy of the sample database."""
    src = Path(sample_db_url.removeprefix("sqlite:///"))
    dst = tmp_path / "sample-copy.db"
    shutil.copy(src, dst)
    eng = make_engine(f"sqlite:///{dst}")
    yield eng
    eng.dispose()
