"""A fast reader of the data version for the loop thread (SQLite).

Every cached answer first reads the data version, so that read is on the hot path of every
request. Through a full SQLAlchemy ``execute`` it costs most of a millisecond; here the same
``select`` is compiled once by SQLAlchemy and run on one private DB-API connection, which the
loop thread alone uses. In WAL mode this primary-key read never waits for a writer, and each
execution sees the latest committed import (autocommit: no long-lived read transaction).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.engine import make_url

from walmart_lib.db.engine import QueryTimeout
from walmart_lib.db.models import AppMeta

__all__ = ["SqliteVersionReader"]

_STMT = select(AppMeta.value).where(AppMeta.key == bindparam("key"))


class SqliteVersionReader:
    """``read()`` -> the current data version of one SQLite database file."""

    def __init__(self, engine: Engine) -> None:
        url = make_url(str(engine.url))
        if url.get_backend_name() != "sqlite" or not url.database:
            raise ValueError("SqliteVersionReader needs a SQLite file database")
        compiled = _STMT.compile(dialect=engine.dialect)
        self._sql = str(compiled)
        self._params: Any = tuple(compiled.construct_params({"key": "data_version"}).values())
        self._path = url.database
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=2000")
        return conn

    def read(self) -> int:
        if self._conn is None:
            self._conn = self._connect()
        try:
            row = self._conn.execute(self._sql, self._params).fetchone()
        except sqlite3.OperationalError as exc:
            self.close()
            raise QueryTimeout(f"reading the data version failed: {exc}") from exc
        return int(row[0]) if row is not None else 0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
