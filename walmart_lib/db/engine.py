"""Engines and sessions: one cached engine per database URL, with the right pragmas.

SQLite gets WAL mode, foreign keys and a busy timeout on every connection; PostgreSQL (and any
other SQLAlchemy URL) is used as given. An optional per-statement timeout guards interactive
callers (the HTTP service): SQLite through a progress handler, PostgreSQL through
``statement_timeout``. Bulk imports use an engine without one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from walmart_lib.config import get_settings

__all__ = ["QueryTimeout", "get_engine", "make_engine", "session_scope"]

_ENGINES: dict[tuple[str, float | None], Engine] = {}


class QueryTimeout(RuntimeError):
    """A statement ran past the configured query timeout."""


def _install_sqlite_pragmas(engine: Engine, timeout_s: float | None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, manage transactions (so BEGIN covers the whole file).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        # 64 MB page cache: bulk imports maintain several indexes; the 2 MB default halves speed.
        cur.execute("PRAGMA cache_size=-65536")
        if dbapi_conn.execute("PRAGMA database_list").fetchone()[2]:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    if timeout_s is None:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Any, _cursor: Any, *_args: Any) -> None:
        deadline = time.monotonic() + timeout_s
        raw = conn.connection.dbapi_connection
        # The handler runs every 10k VM instructions; returning 1 interrupts the statement.
        raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: Any, *_args: Any) -> None:
        conn.connection.dbapi_connection.set_progress_handler(None, 0)

    @event.listens_for(engine, "handle_error")
    def _translate(ctx: Any) -> None:
        orig = ctx.original_exception
        if isinstance(orig, sqlite3.OperationalError) and "interrupted" in str(orig):
            raise QueryTimeout(f"database query took longer than {timeout_s:g} s") from orig


def _install_pg_timeout(engine: Engine, timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = {int(timeout_s * 1000)}")
        dbapi_conn.commit()

    @event.listens_for(engine, "handle_error")
    def _translate(ctx: Any) -> None:
        if getattr(ctx.original_exception, "sqlstate", None) == "57014":  # query_canceled
            raise QueryTimeout(
                f"database query took longer than {timeout_s:g} s"
            ) from ctx.original_exception


def make_engine(url: str | None = None, query_timeout_s: float | None = None) -> Engine:
    """Create a new engine for ``url`` (default: the configured ``WALMART_DATABASE_URL``)."""
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _install_sqlite_pragmas(engine, query_timeout_s)
    else:
        engine = create_engine(url, pool_pre_ping=True)
        if query_timeout_s is not None and parsed.get_backend_name() == "postgresql":
            _install_pg_timeout(engine, query_timeout_s)
    return engine


def get_engine(url: str | None = None, query_timeout_s: float | None = None) -> Engine:
    """The process-wide engine for ``url`` with its schema created or upgraded."""
    from walmart_lib.db.schema import ensure_schema

    url = url or get_settings().database_url
    key = (url, query_timeout_s)
    if key not in _ENGINES:
        engine = make_engine(url, query_timeout_s)
        ensure_schema(engine)
        _ENGINES[key] = engine
    return _ENGINES[key]


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session
