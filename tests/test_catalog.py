"""The service's read queries on both backends (SQLite and a real PostgreSQL)."""

from __future__ import annotations

from datetime import date

from service_helpers import seed_small
from sqlalchemy import Engine

from walmart_lib import catalog


def test_counts_search_and_detail(engine: Engine) -> None:
    ids = seed_small(engine)
    counts = catalog.database_counts(engine)
    assert (counts["orders"], counts["products"], counts["stores"], counts["order_lines"]) == (
        3,
        4,
        2,
        5,
    )
    assert counts["data_version"] == 1 and counts["last_import"] is None
    names = [p["name"] for p in catalog.search_products(engine, "GREAT value", 10)]
    assert names == ["Great Value Large White Eggs, 12 ct", "Great Value Whole Milk, 1 gal"]
    assert [p["name"] for p in catalog.search_products(engine, "100%", 10)] == [
        "100% Apple Juice <b>Bold</b>"
    ]
    assert catalog.search_products(engine, "_", 10) == []
    assert len(catalog.search_products(engine, "", 2)) == 2
    milk = catalog.get_product(engine, ids["milk"])
    assert milk is not None
    assert (milk["times_bought"], milk["quantity_bought"], milk["last_unit_price_cents"]) == (
        2,
        3.0,
        211,
    )
    assert catalog.get_product(engine, 10**9) is None


def test_orders_by_date(engine: Engine) -> None:
    seed_small(engine)
    everything = catalog.list_orders(engine)
    assert everything["total"] == 3
    assert [o["id"] for o in everything["orders"]] == ["2000333", "2000222", "2000111"]
    april = catalog.list_orders(engine, date(2025, 4, 1), date(2025, 4, 30))
    assert [o["id"] for o in april["orders"]] == ["2000222"]
    last_day = catalog.list_orders(engine, date(2025, 5, 20), date(2025, 5, 20))
    assert last_day["total"] == 1
    order = catalog.get_order(engine, "2000111")
    assert order is not None and order["line_count"] == 2
    assert [ln["line_total_cents"] for ln in order["lines"]] == [348, 435]
    assert catalog.get_order(engine, "nope") is None
    assert [o["id"] for o in catalog.latest_orders(engine, 1)] == ["2000333"]
