"""Versioned schema creation and upgrade, run by the library itself (never by hand).

A new database is created from the models and stamped with the latest version (as Alembic's own
docs recommend for fresh databases). An existing database is upgraded by applying, in order and
in one transaction, every migration newer than its stamped version. A database stamped with a
version newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, inspect, select, text

from walmart_lib.db.models import AppMeta, Base

__all__ = ["SCHEMA_VERSION", "MIGRATIONS", "SchemaError", "current_version", "ensure_schema"]


class SchemaError(RuntimeError):
    """The database schema cannot be used by this version of the code."""


def _v1(conn: Connection) -> None:
    Base.metadata.create_all(conn)


#: (version, description, upgrade function). Append; never edit a released migration.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "initial schema", _v1),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int | None:
    """The stamped schema version, or ``None`` for a database without our tables."""
    if not inspect(conn).has_table(AppMeta.__tablename__):
        return None
    row = conn.execute(select(AppMeta.value).where(AppMeta.key == "schema_version")).scalar()
    return int(row) if row is not None else None


def _stamp(conn: Connection, version: int) -> None:
    updated = conn.execute(
        text("UPDATE app_meta SET value = :v WHERE key = 'schema_version'"), {"v": str(version)}
    )
    if updated.rowcount == 0:
        conn.execute(
            text("INSERT INTO app_meta (key, value) VALUES ('schema_version', :v)"),
            {"v": str(version)},
        )


def ensure_schema(engine: Engine) -> int:
    """Create or upgrade the schema; returns the version now in force."""
    with engine.begin() as conn:
        version = current_version(conn)
        if version is None:
            Base.metadata.create_all(conn)
            _stamp(conn, SCHEMA_VERSION)
            return SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise SchemaError(
                f"database schema version {version} is newer than this code ({SCHEMA_VERSION}); "
                "upgrade walmart_lib"
            )
        for number, _description, upgrade in MIGRATIONS:
            if number > version:
                upgrade(conn)
                _stamp(conn, number)
        return SCHEMA_VERSION
