"""Schema creation/upgrade, SQLite pragmas, exact money storage, constraints, on both backends."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from walmart_lib.db import (
    SCHEMA_VERSION,
    Order,
    OrderLine,
    Product,
    SchemaError,
    bump_data_version,
    data_version,
    ensure_schema,
    get_engine,
    make_engine,
    session_scope,
)
from walmart_lib.db.schema import current_version

TABLES = {
    "stores",
    "products",
    "orders",
    "order_lines",
    "grocery_lists",
    "list_items",
    "budgets",
    "import_log",
    "nlp_query_log",
    "app_meta",
}


def test_schema_is_created_and_stamped(engine: Engine) -> None:
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION
    assert ensure_schema(engine) == SCHEMA_VERSION  # idempotent


def test_indexes_for_analytics_exist(engine: Engine) -> None:
    names = {ix["name"] for ix in inspect(engine).get_indexes("order_lines")}
    assert "ix_order_lines_product_order" in names
    assert "ix_orders_order_date" in {ix["name"] for ix in inspect(engine).get_indexes("orders")}
    assert "ix_orders_store_id" in {ix["name"] for ix in inspect(engine).get_indexes("orders")}


def test_newer_schema_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_meta SET value = '999' WHERE key = 'schema_version'"))
    with pytest.raises(SchemaError, match="newer than this code"):
        ensure_schema(engine)


def test_older_schema_is_upgraded(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from walmart_lib.db import schema

    applied: list[int] = []
    migrations = [
        *schema.MIGRATIONS,
        (SCHEMA_VERSION + 1, "test step", lambda conn: applied.append(SCHEMA_VERSION + 1)),
    ]
    monkeypatch.setattr(schema, "MIGRATIONS", migrations)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    assert schema.ensure_schema(engine) == SCHEMA_VERSION + 1
    assert applied == [SCHEMA_VERSION + 1]
    with engine.connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION + 1


def test_sqlite_pragmas(tmp_path: Path) -> None:
    eng = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with eng.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_money_is_stored_as_exact_integers(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(Product(id=1, name="Milk", name_key="milk", category="dairy & eggs"))
        s.add(
            Order(
                id="77501234567890123456",
                order_date=datetime(2025, 3, 1, 10, 0),
                source_format="test",
                subtotal_cents=123456789012,
            )
        )
        s.flush()
        s.add(
            OrderLine(
                order_id="77501234567890123456",
                line_no=1,
                product_id=1,
                name="Milk",
                quantity=1,
                line_total_cents=796,
                status="charged",
            )
        )
    with engine.connect() as conn:
        total = conn.execute(select(Order.subtotal_cents)).scalar_one()
        line = conn.execute(select(OrderLine.line_total_cents)).scalar_one()
        order_id = conn.execute(select(Order.id)).scalar_one()
    assert total == 123456789012 and isinstance(total, int)
    assert line == 796 and isinstance(line, int)
    assert order_id == "77501234567890123456"


def test_constraints_are_enforced(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(Product(id=1, name="Milk", name_key="milk", category="dairy & eggs"))
        s.add(Order(id="1", order_date=datetime(2025, 3, 1), source_format="test"))
    for bad in (
        {"status": "stolen", "quantity": 1},
        {"status": "charged", "quantity": -1},
        {"status": "charged", "quantity": 1, "product_id": 999},
    ):
        with pytest.raises(IntegrityError), session_scope(engine) as s:
            fields = {"order_id": "1", "line_no": 1, "product_id": 1, "name": "Milk", **bad}
            s.add(OrderLine(**fields))


def test_data_version_bumps_inside_transactions(engine: Engine) -> None:
    assert data_version(engine) == 0
    with engine.begin() as conn:
        bump_data_version(conn)
        bump_data_version(conn)
    assert data_version(engine) == 2


def test_get_engine_is_cached_per_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert get_engine(url) is get_engine(url)
    assert get_engine(url, query_timeout_s=1.0) is not get_engine(url)
