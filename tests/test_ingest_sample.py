"""The bundled sample through the real order-page importer: exact counts, idempotent."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select

from walmart_lib.cli import main
from walmart_lib.db import Order, OrderLine, Store
from walmart_lib.ingest import load_sample
from walmart_lib.stats import database_stats


def test_walmart_sample_loads_exact_counts_and_is_idempotent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sample", "-q"]) == 0
    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["orders"], first["products"], first["lines"], first["stores"]) == (
        25,
        161,
        229,
        6,
    )
    assert first["first_order"].startswith("2025-03") and first["last_order"].startswith("2025-08")
    assert main(["sample", "-q"]) == 0
    capsys.readouterr()
    main(["stats", "--json"])
    assert json.loads(capsys.readouterr().out) == first


def test_sample_content(engine: Engine) -> None:
    report = load_sample(engine)
    assert report.ok and report.total("orders_added") == 25
    assert all(not f.warnings for f in report.files)  # every order adds up to the cent
    stats = database_stats(engine)
    assert (stats.orders, stats.products, stats.lines, stats.stores) == (25, 161, 229, 6)
    with engine.connect() as conn:
        statuses = dict(
            conn.execute(select(OrderLine.status, func.count()).group_by(OrderLine.status)).all()
        )
        states = set(conn.execute(select(Store.state)).scalars())
        cities = set(conn.execute(select(Store.city)).scalars())
        with_pricing = conn.execute(
            select(func.count()).where(OrderLine.unit_pricing.is_not(None))
        ).scalar_one()
        rollbacks = conn.execute(
            select(func.count()).where(OrderLine.original_price_cents.is_not(None))
        ).scalar_one()
        substitutions = conn.execute(
            select(func.count()).where(OrderLine.substitute_for_product_id.is_not(None))
        ).scalar_one()
        weighed = conn.execute(
            select(func.count()).where(OrderLine.weight_adjusted.is_(True))
        ).scalar_one()
        with_store = conn.execute(
            select(func.count()).where(Order.store_id.is_not(None))
        ).scalar_one()
    assert set(statuses) == {"charged", "unavailable", "canceled", "refunded"}
    assert states == {"SC"}
    assert cities == {
        "Spartanburg",
        "Greenville",
        "Greer",
        "Simpsonville",
        "Anderson",
        "Mount Pleasant",
    }
    assert with_pricing > 100 and rollbacks > 0 and substitutions > 0 and weighed > 0
    assert with_store == 25
