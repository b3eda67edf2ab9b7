"""Hand-built order histories for the analytics tests (inserted through the ORM models).

Each helper writes real rows through ``session_scope``; tests then compute expectations by hand
from the few numbers they passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Engine

from walmart_lib.db import Order, OrderLine, Product, Store, session_scope

__all__ = ["Line", "add_order", "add_products", "add_stores"]

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
