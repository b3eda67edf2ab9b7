"""The data version: a counter every import bumps, so caches keyed on it never go stale."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, select, text

from walmart_lib.db.models import AppMeta

__all__ = ["bump_data_version", "data_version"]


def data_version(bind: Engine | Connection) -> int:
    """The current data version (0 for a database nothing was imported into)."""
    stmt = select(AppMeta.value).where(AppMeta.key == "data_version")
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            value = conn.execute(stmt).scalar()
    else:
        value = bind.execute(stmt).scalar()
    return int(value) if value is not None else 0


def bump_data_version(conn: Connection) -> None:
    """Increment the data version inside the caller's transaction."""
    updated = conn.execute(
        text(
            "UPDATE app_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS VARCHAR(200)) "
            "WHERE key = 'data_version'"
        )
    )
    if updated.rowcount == 0:
        conn.execute(text("INSERT INTO app_meta (key, value) VALUES ('data_version', '1')"))
