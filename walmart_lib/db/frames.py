"""Polars frames from SQL: the only road from the database to analytics.

:func:`read_frame` runs a SQLAlchemy ``select`` (always parameterised) and returns a polars
DataFrame with a fixed schema even when no row matches, so callers never special-case empty
results. Money columns ending in ``_cents`` stay integers here; analytics convert to dollars.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Executable

__all__ = ["read_frame"]


def read_frame(
    bind: Engine | Connection,
    stmt: Executable,
    schema: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """Execute ``stmt`` and return its rows as a polars DataFrame.

    ``schema`` (column -> polars dtype) fixes the dtypes, which also gives an empty result the
    right columns.
    """
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            result = conn.execute(stmt)
            columns = list(result.keys())
            rows = result.fetchall()
    else:
        result = bind.execute(stmt)
        columns = list(result.keys())
        rows = result.fetchall()
    if schema is None:
        return pl.DataFrame(rows, schema=columns, orient="row", infer_schema_length=None)
    return pl.DataFrame(rows, schema={c: schema.get(c) for c in columns}, orient="row")
