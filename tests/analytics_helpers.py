"""Hand-built order histories for the analytics tests (inserted through the ORM models).

Each helper writes real rows through ``session_scope``; tests then compute expectations by hand
from the few numbers they passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Engine

from walmart_lib.db import Order, OrderLine, Product, Store, session_scope

__all__ = ["Line", "add_order", "add_products", "add_stores", "build_household"]

#: (product_id, quantity, unit_price_cents) or (product_id, quantity, unit_price_cents, status)
Line = tuple[int, float, int] | tuple[int, float, int, str]


def add_stores(engine: Engine, *names: str) -> list[int]:
    """Stores with ids 1..n in the order given."""
    with session_scope(engine) as s:
        rows = [Store(name=n, walmart_store_id=str(1000 + i)) for i, n in enumerate(names)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def add_products(
    engine: Engine,
    *specs: tuple[str, str, float | None, str | None],
) -> list[int]:
    """Products from (name, category, size_value, size_unit) with ids 1..n."""
    with session_scope(engine) as s:
        rows = [
            Product(
                name=name,
                name_key=name.lower(),
                category=category,
                size_value=size_value,
                size_unit=size_unit,
            )
            for name, category, size_value, size_unit in specs
        ]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def add_order(
    engine: Engine,
    order_id: str,
    day: str | date,
    store_id: int | None,
    lines: Sequence[Line],
    *,
    tax_cents: int | None = None,
    original_prices: dict[int, int] | None = None,
) -> None:
    """One order; subtotal = sum of charged line totals; ``original_prices`` by product id."""
    when = datetime.fromisoformat(str(day)) if isinstance(day, str) else day
    if not isinstance(when, datetime):
        when = datetime(when.year, when.month, when.day)
    if when.hour == 0 and when.minute == 0:
        when = when.replace(hour=10)
    originals = original_prices or {}
    with session_scope(engine) as s:
        order_lines = []
        subtotal = 0
        for no, line in enumerate(lines, start=1):
            product_id, quantity, unit_cents = line[0], line[1], line[2]
            status = line[3] if len(line) == 4 else "charged"  # type: ignore[misc]
            total = round(quantity * unit_cents)
            if status == "charged":
                subtotal += total
            original = originals.get(product_id)
            order_lines.append(
                OrderLine(
                    line_no=no,
                    product_id=product_id,
                    name=f"line {no}",
                    quantity=quantity,
                    unit_price_cents=unit_cents,
                    line_total_cents=total,
                    original_price_cents=original,
                    savings_cents=None
                    if original is None
                    else round((original - unit_cents) * quantity),
                    status=status,
                )
            )
        s.add(
            Order(
                id=order_id,
                order_date=when,
                store_id=store_id,
                order_type="GLASS",
                fulfillment_type="DELIVERY",
                subtotal_cents=subtotal,
                tax_cents=tax_cents,
                grand_total_cents=subtotal + (tax_cents or 0),
                source_format="canonical",
                lines=order_lines,
            )
        )


#: Product ids of :func:`build_household`.
MILK_GAL, MILK_HALF, BANANA, EGGS, AVOCADO, HORIZON_HALF = 1, 2, 3, 4, 5, 6
SPARTANBURG, GREENVILLE, GREER = 1, 2, 3


def build_household(engine: Engine) -> None:
    """Four orders, two stores with orders (plus Greer without any), six products.

    ==== ========== =========== ================================================ ===== =====
    id   date       store       charged lines (qty x unit price)                 total tax
    ==== ========== =========== ================================================ ===== =====
    o1   2025-03-01 Spartanburg gallon 1x3.84, half 2x2.10, banana 2.5 lb x0.50   9.29  0.50
                                (eggs 1x3.00 unavailable: never counted)
    o2   2025-03-08 Greenville  gallon 1x4.00, eggs 1x3.12                         7.12  0.43
    o3   2025-03-15 Spartanburg gallon 1x3.50, half 1x1.99, banana 1 lb x0.58     6.07  0.37
    o4   2025-04-15 Spartanburg gallon 1x3.00, half 1x2.20, Horizon half 1x4.50   9.70  0.60
    ==== ========== =========== ================================================ ===== =====
    """
    add_stores(engine, "Spartanburg Supercenter", "Greenville Supercenter", "Greer Supercenter")
    add_products(
        engine,
        ("Great Value Whole Milk, 1 Gallon, 128 fl oz", "dairy & eggs", 128.0, "fl oz"),
        ("Great Value Whole Milk, Half Gallon, 64 fl oz", "dairy & eggs", 64.0, "fl oz"),
        ("Fresh Banana, per lb", "produce", 1.0, "lb"),
        ("Great Value Large White Eggs, 12 Count", "dairy & eggs", 12.0, "ct"),
        ("Fresh Hass Avocado, each", "produce", 1.0, "each"),
        ("Horizon Organic Whole Milk, Half Gallon, 64 fl oz", "dairy & eggs", 64.0, "fl oz"),
    )
    add_order(
        engine,
        "o1",
        "2025-03-01",
        SPARTANBURG,
        [(MILK_GAL, 1, 384), (MILK_HALF, 2, 210), (BANANA, 2.5, 50), (EGGS, 1, 300, "unavailable")],
        tax_cents=50,
    )
    add_order(
        engine, "o2", "2025-03-08", GREENVILLE, [(MILK_GAL, 1, 400), (EGGS, 1, 312)], tax_cents=43
    )
    add_order(
        engine,
        "o3",
        "2025-03-15",
        SPARTANBURG,
        [(MILK_GAL, 1, 350), (MILK_HALF, 1, 199), (BANANA, 1, 58)],
        tax_cents=37,
    )
    add_order(
        engine,
        "o4",
        "2025-04-15",
        SPARTANBURG,
        [(MILK_GAL, 1, 300), (MILK_HALF, 1, 220), (HORIZON_HALF, 1, 450)],
        tax_cents=60,
    )
