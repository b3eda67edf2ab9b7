"""Catalogue and order lookups that no analytics module owns (REST routes, the app, the agent).

Counts for ``/api/walmart/health``, product search and detail, order lists and order detail.
Each function takes an engine, runs parameterised SQLAlchemy selects and returns plain
JSON-ready dicts (money stays in integer ``*_cents``; dates as ISO strings), so the route layer
only validates input and serialises.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, case, func, select

from walmart_lib.db.models import ImportLog, Order, OrderLine, Product, Store
from walmart_lib.db.state import data_version

__all__ = [
    "database_counts",
    "get_order",
    "get_product",
    "latest_orders",
    "list_orders",
    "search_products",
]


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def database_counts(engine: Engine) -> dict[str, Any]:
    """Orders, products, stores and order lines in the database, and the last import."""
    with engine.connect() as conn:
        counts = conn.execute(
            select(
                select(func.count()).select_from(Order).scalar_subquery(),
                select(func.count()).select_from(Product).scalar_subquery(),
                select(func.count()).select_from(Store).scalar_subquery(),
                select(func.count()).select_from(OrderLine).scalar_subquery(),
            )
        ).one()
        last = conn.execute(
            select(ImportLog.imported_at, ImportLog.status, ImportLog.format)
            .order_by(ImportLog.imported_at.desc(), ImportLog.id.desc())
            .limit(1)
        ).first()
        version = data_version(conn)
    return {
        "orders": int(counts[0]),
        "products": int(counts[1]),
        "stores": int(counts[2]),
        "order_lines": int(counts[3]),
        "last_import": None
        if last is None
        else {"imported_at": _iso(last.imported_at), "status": last.status, "format": last.format},
        "data_version": version,
    }


_PRODUCT_COLUMNS = (
    Product.id,
    Product.us_item_id,
    Product.name,
    Product.brand,
    Product.size_value,
    Product.size_unit,
    Product.category,
)


def _product_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "us_item_id": row.us_item_id,
        "name": row.name,
        "brand": row.brand,
        "size_value": row.size_value,
        "size_unit": row.size_unit,
        "category": row.category,
    }


def search_products(engine: Engine, q: str | None, limit: int) -> list[dict[str, Any]]:
    """Products whose name contains ``q`` (case-insensitive; all products when ``q`` is empty)."""
    stmt = select(*_PRODUCT_COLUMNS)
    if q:
        stmt = stmt.where(func.lower(Product.name).like(_like_pattern(q), escape="\\"))
    stmt = stmt.order_by(Product.name, Product.id).limit(limit)
    with engine.connect() as conn:
        return [_product_dict(r) for r in conn.execute(stmt)]


def get_product(engine: Engine, product_id: int) -> dict[str, Any] | None:
    """One product with a summary of its charged purchases, or None."""
    charged = OrderLine.status == "charged"
    with engine.connect() as conn:
        row = conn.execute(select(*_PRODUCT_COLUMNS).where(Product.id == product_id)).first()
        if row is None:
            return None
        summary = conn.execute(
            select(
                func.count(case((charged, OrderLine.id))),
                func.coalesce(func.sum(case((charged, OrderLine.quantity))), 0.0),
                func.max(case((charged, Order.order_date))),
            )
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.product_id == product_id)
        ).one()
        last = conn.execute(
            select(OrderLine.unit_price_cents, Order.order_date)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.product_id == product_id,
                charged,
                OrderLine.unit_price_cents.is_not(None),
            )
            .order_by(Order.order_date.desc())
            .limit(1)
        ).first()
    out = _product_dict(row)
    out.update(
        times_bought=int(summary[0]),
        quantity_bought=float(summary[1]),
        last_bought=_iso(summary[2]),
        last_unit_price_cents=None if last is None else last.unit_price_cents,
    )
    return out


def _order_select() -> Any:
    line_count = (
        select(func.count())
        .where(OrderLine.order_id == Order.id)
        .correlate(Order)
        .scalar_subquery()
        .label("line_count")
    )
    return select(
        Order.id,
        Order.display_id,
        Order.order_date,
        Order.order_type,
        Order.fulfillment_type,
        Order.status,
        Order.subtotal_cents,
        Order.savings_cents,
        Order.tax_cents,
        Order.fees_cents,
        Order.tip_cents,
        Order.grand_total_cents,
        Order.has_prices,
        Store.name.label("store_name"),
        Store.city.label("store_city"),
        line_count,
    ).outerjoin(Store, Store.id == Order.store_id)


def _order_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "display_id": row.display_id,
        "order_date": _iso(row.order_date),
        "store": row.store_name,
        "store_city": row.store_city,
        "order_type": row.order_type,
        "fulfillment_type": row.fulfillment_type,
        "status": row.status,
        "line_count": int(row.line_count),
        "subtotal_cents": row.subtotal_cents,
        "savings_cents": row.savings_cents,
        "tax_cents": row.tax_cents,
        "fees_cents": row.fees_cents,
        "tip_cents": row.tip_cents,
        "grand_total_cents": row.grand_total_cents,
        "has_prices": bool(row.has_prices),
    }


def list_orders(
    engine: Engine,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Orders placed on ``date_from``..``date_to`` (inclusive), newest first, and their count."""
    conditions = []
    if date_from is not None:
        conditions.append(Order.order_date >= datetime.combine(date_from, time.min))
    if date_to is not None:
        conditions.append(
            Order.order_date < datetime.combine(date_to + timedelta(days=1), time.min)
        )
    stmt = _order_select().where(*conditions).order_by(Order.order_date.desc(), Order.id)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Order).where(*conditions)).scalar()
        rows = conn.execute(stmt.limit(limit).offset(offset)).all()
    return {"total": int(total or 0), "orders": [_order_dict(r) for r in rows]}


def latest_orders(engine: Engine, limit: int = 10) -> list[dict[str, Any]]:
    """The ``limit`` most recent orders."""
    return list(list_orders(engine, limit=limit)["orders"])


def get_order(engine: Engine, order_id: str) -> dict[str, Any] | None:
    """One order with its lines, or None."""
    with engine.connect() as conn:
        row = conn.execute(_order_select().where(Order.id == order_id)).first()
        if row is None:
            return None
        lines = conn.execute(
            select(
                OrderLine.line_no,
                OrderLine.product_id,
                OrderLine.name,
                OrderLine.quantity,
                OrderLine.unit_price_cents,
                OrderLine.line_total_cents,
                OrderLine.savings_cents,
                OrderLine.status,
            )
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.line_no)
        ).all()
    out = _order_dict(row)
    out["lines"] = [
        {
            "line_no": r.line_no,
            "product_id": r.product_id,
            "name": r.name,
            "quantity": r.quantity,
            "unit_price_cents": r.unit_price_cents,
            "line_total_cents": r.line_total_cents,
            "savings_cents": r.savings_cents,
            "status": r.status,
        }
        for r in lines
    ]
    return out
