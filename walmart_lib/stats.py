"""Database statistics for ``walmart stats``: counts and money totals, read with SQL aggregates.

``items_spend`` is the sum of charged line totals (what the goods cost); ``orders_total`` the sum
of the orders' stated grand totals (what was paid, tax and fees included, tips excluded).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import Engine, func, select

from walmart_lib.db.models import Order, OrderLine, Product, Store

__all__ = ["DatabaseStats", "database_stats"]


@dataclass(frozen=True)
class DatabaseStats:
    orders: int
    products: int
    lines: int
    stores: int
    items_spend: Decimal
    orders_total: Decimal
    first_order: str | None
    last_order: str | None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: money as numbers with two decimals, dates as ISO strings."""
        data = asdict(self)
        data["items_spend"] = float(self.items_spend)
        data["orders_total"] = float(self.orders_total)
        return data


def _dollars(cents: int | None) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(Decimal("0.01"))


def database_stats(engine: Engine) -> DatabaseStats:
    """Counts and totals over the whole database."""
    with engine.connect() as conn:
        orders, first, last, total = conn.execute(
            select(
                func.count(Order.id),
                func.min(Order.order_date),
                func.max(Order.order_date),
                func.sum(Order.grand_total_cents),
            )
        ).one()
        lines, spend = conn.execute(
            select(
                func.count(OrderLine.id),
                func.sum(OrderLine.line_total_cents).filter(OrderLine.status == "charged"),
            )
        ).one()
        products = conn.execute(select(func.count(Product.id))).scalar_one()
        stores = conn.execute(select(func.count(Store.id))).scalar_one()
    return DatabaseStats(
        orders=int(orders),
        products=int(products),
        lines=int(lines),
        stores=int(stores),
        items_spend=_dollars(spend),
        orders_total=_dollars(total),
        first_order=first.isoformat() if first is not None else None,
        last_order=last.isoformat() if last is not None else None,
    )
