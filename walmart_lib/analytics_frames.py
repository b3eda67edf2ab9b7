"""The shared analytics frame: charged order lines joined with orders, products and stores.

Every analytics module (``pricing``, ``spending``, ``replenish``, ``lists``) reads purchases
through this one module, so there is one definition of "a price paid": an ``order_lines`` row
with ``status == 'charged'``, in dollars (integer cents / 100 as float64, rounded to the cent),
with the order's date and store and the product's category and size. The frames are read with
parameterised SQLAlchemy selects and cached per engine, keyed on a fingerprint of the database
(``data_version`` plus the highest line, product and store ids), so repeated queries run on
in-memory polars frames; a narrow per-product query that finds no warm cache is pushed into SQL
instead of loading everything. Unit normalisation lives here too: every line gets
``price_per_unit`` in a canonical measure (``oz`` for weight, ``fl oz`` for volume, ``ct`` for
counts, ``each`` for single items), so a gallon and a half gallon, or a 3 lb bag and loose
apples by the pound, compare directly.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Select, func, select
from sqlalchemy.orm import Session

from walmart_lib.db.engine import session_scope
from walmart_lib.db.models import AppMeta, Order, OrderLine, Product, Store

__all__ = [
    "LINE_SCHEMA",
    "ORDER_SCHEMA",
    "PER_UNITS",
    "PRODUCT_SCHEMA",
    "STORE_SCHEMA",
    "AnalyticsFrames",
    "as_date",
    "charged_lines",
    "clear_cache",
    "conform",
    "convert_unit_price",
    "fingerprint",
    "latest_date",
    "latest_prices",
    "latest_prices_for",
    "load_frames",
    "orm_session",
    "product_row",
    "products_frame",
    "purchase_days",
    "purchases",
    "purchases_for",
    "stores_frame",
    "unknown_products",
    "with_names",
]

Bind = Engine | Connection
_log = logging.getLogger(__name__)

#: Charged lines, one row per ``order_lines`` row, money in dollars.
LINE_SCHEMA: dict[str, Any] = {
    "line_id": pl.Int64,
    "order_id": pl.String,
    # An integer key per order for fast grouping (order of date within one load; not stored).
    "order_no": pl.UInt32,
    "order_date": pl.Datetime("us"),
    "date": pl.Date,
    "month": pl.Date,
    "store_id": pl.Int64,
    "product_id": pl.Int64,
    "category": pl.String,
    "quantity": pl.Float64,
    "unit_price": pl.Float64,
    "line_total": pl.Float64,
    "original_price": pl.Float64,
    "savings": pl.Float64,
    "size_value": pl.Float64,
    "size_unit": pl.String,
    "per_unit": pl.String,
    "price_per_unit": pl.Float64,
}
#: Orders, money in dollars.
ORDER_SCHEMA: dict[str, Any] = {
    "order_id": pl.String,
    "order_no": pl.UInt32,
    "order_date": pl.Datetime("us"),
    "date": pl.Date,
    "store_id": pl.Int64,
    "fulfillment_type": pl.String,
    "subtotal": pl.Float64,
    "savings": pl.Float64,
    "tax": pl.Float64,
    "fees": pl.Float64,
    "tip": pl.Float64,
    "grand_total": pl.Float64,
    "has_prices": pl.Boolean,
}
PRODUCT_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "brand": pl.String,
    "category": pl.String,
    "size_value": pl.Float64,
    "size_unit": pl.String,
}
STORE_SCHEMA: dict[str, Any] = {
    "store_id": pl.Int64,
    "store_name": pl.String,
    "city": pl.String,
    "state": pl.String,
}

#: ``products.size_unit`` -> canonical measure that ``price_per_unit`` is expressed in.
PER_UNITS: dict[str, str] = {"oz": "oz", "lb": "oz", "fl oz": "fl oz", "ct": "ct", "each": "each"}

#: How many of a canonical measure one display unit holds (for :func:`convert_unit_price`).
_UNIT_SIZES: dict[str, tuple[str, float]] = {
    "oz": ("oz", 1.0),
    "lb": ("oz", 16.0),
    "g": ("oz", 1 / 28.349523125),
    "kg": ("oz", 35.27396195),
    "fl oz": ("fl oz", 1.0),
    "pint": ("fl oz", 16.0),
    "quart": ("fl oz", 32.0),
    "half gallon": ("fl oz", 64.0),
    "gallon": ("fl oz", 128.0),
    "ml": ("fl oz", 1 / 29.5735295625),
    "liter": ("fl oz", 33.8140227),
    "ct": ("ct", 1.0),
    "dozen": ("ct", 12.0),
    "each": ("each", 1.0),
}


def convert_unit_price(price: float, from_unit: str, to_unit: str) -> float:
    """Convert a price per ``from_unit`` into a price per ``to_unit`` (same dimension).

    >>> round(convert_unit_price(0.03, "fl oz", "gallon"), 2)
    3.84
    """
    try:
        base_from, size_from = _UNIT_SIZES[from_unit]
        base_to, size_to = _UNIT_SIZES[to_unit]
    except KeyError as exc:
        known = ", ".join(sorted(_UNIT_SIZES))
        raise ValueError(f"unknown unit {exc.args[0]!r}; known units: {known}") from None
    if base_from != base_to:
        raise ValueError(f"cannot convert a price per {from_unit} into a price per {to_unit}")
    return price / size_from * size_to


def as_date(value: date | datetime | str | None, name: str = "date") -> date | None:
    """Accept a date, datetime or ISO string (``YYYY-MM-DD``); ``None`` stays ``None``."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}") from None


# --------------------------------------------------------------------------------------------
# SQL: the only selects analytics runs against order data


def _lines_select(*, with_order: bool = True) -> Select:
    """Charged lines; ``with_order`` adds the order's date and store through a join."""
    order_cols = [Order.order_date, Order.store_id] if with_order else []
    stmt = select(
        OrderLine.id.label("line_id"),
        OrderLine.order_id,
        *order_cols,
        OrderLine.product_id,
        OrderLine.quantity,
        OrderLine.unit_price_cents,
        OrderLine.line_total_cents,
        OrderLine.original_price_cents,
        OrderLine.savings_cents,
    ).where(OrderLine.status == "charged")
    # In line id order (SQLite's rowid order: free), so a stable sort keeps it within an order.
    stmt = stmt.order_by(OrderLine.id)
    return stmt.join(Order, Order.id == OrderLine.order_id) if with_order else stmt


def _orders_select() -> Select:
    return select(
        Order.id.label("order_id"),
        Order.order_date,
        Order.store_id,
        Order.fulfillment_type,
        Order.subtotal_cents,
        Order.savings_cents,
        Order.tax_cents,
        Order.fees_cents,
        Order.tip_cents,
        Order.grand_total_cents,
        Order.has_prices,
    )


def _products_select() -> Select:
    return select(
        Product.id.label("product_id"),
        Product.name.label("product_name"),
        Product.brand,
        Product.category,
        Product.size_value,
        Product.size_unit,
    )


def _stores_select() -> Select:
    return select(
        Store.id.label("store_id"), Store.name.label("store_name"), Store.city, Store.state
    )


def _execute(bind: Bind, stmt: Select) -> tuple[list[str], Sequence[Any]]:
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            result = conn.execute(stmt)
            return list(result.keys()), result.fetchall()
    result = bind.execute(stmt)
    return list(result.keys()), result.fetchall()


def _columns(bind: Bind, stmt: Select, dtypes: dict[str, Any]) -> pl.DataFrame:
    """Rows of ``stmt`` as a frame, built column-wise (much faster than row-wise for 1M rows)."""
    names, rows = _execute(bind, stmt)
    if not rows:
        return pl.DataFrame(schema={n: dtypes[n] for n in names})
    cols = list(zip(*rows, strict=True))
    data = {}
    for name, values in zip(names, cols, strict=True):
        dtype = dtypes[name]
        if isinstance(dtype, pl.Datetime):
            data[name] = _datetimes(values)
        else:
            data[name] = pl.Series(name, values, dtype=dtype, strict=False)
    return pl.DataFrame(data)


def _datetimes(values: Sequence[Any]) -> pl.Series:
    """Naive datetimes as stored; aware ones (PostgreSQL ``timestamptz``) become naive UTC."""
    out = []
    for v in values:
        if isinstance(v, str):
            v = datetime.fromisoformat(v)
        if v is not None and v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        out.append(v)
    return pl.Series(values=out, dtype=pl.Datetime("us"))


_RAW_LINE_DTYPES: dict[str, Any] = {
    "line_id": pl.Int64,
    "order_id": pl.String,
    "order_date": pl.Datetime("us"),
    "store_id": pl.Int64,
    "product_id": pl.Int64,
    "quantity": pl.Float64,
    "unit_price_cents": pl.Int64,
    "line_total_cents": pl.Int64,
    "original_price_cents": pl.Int64,
    "savings_cents": pl.Int64,
}
_RAW_ORDER_DTYPES: dict[str, Any] = {
    "order_id": pl.String,
    "order_date": pl.Datetime("us"),
    "store_id": pl.Int64,
    "fulfillment_type": pl.String,
    "subtotal_cents": pl.Int64,
    "savings_cents": pl.Int64,
    "tax_cents": pl.Int64,
    "fees_cents": pl.Int64,
    "tip_cents": pl.Int64,
    "grand_total_cents": pl.Int64,
    "has_prices": pl.Boolean,
}


def _dollars(name: str) -> pl.Expr:
    return (pl.col(f"{name}_cents") / 100.0).alias(name)


def _finish_lines(raw: pl.DataFrame, products: pl.DataFrame) -> pl.DataFrame:
    """Raw line rows (cents) -> :data:`LINE_SCHEMA` (dollars, per-unit price), sorted."""
    sizes = products.select("product_id", "category", "size_value", "size_unit")
    unit_price_cents = (
        pl.when(pl.col("unit_price_cents").is_not_null())
        .then(pl.col("unit_price_cents").cast(pl.Float64))
        # Some sources give only the line total; the unit price is then total / quantity.
        .when(pl.col("quantity") > 0)
        .then((pl.col("line_total_cents") / pl.col("quantity")).round(0))
        .otherwise(None)
    )
    size = pl.col("size_value")
    unit = pl.col("size_unit")
    per_unit_price = (
        pl.when(unit == "lb")
        .then(pl.col("unit_price") / 16.0)  # price per lb -> per oz
        .when(unit.is_in(["oz", "fl oz", "ct"]) & (size > 0))
        .then(pl.col("unit_price") / size)
        .when(unit == "each")
        .then(pl.col("unit_price") / pl.when(size > 0).then(size).otherwise(1.0))
        .otherwise(None)
    )
    if "order_no" not in raw.columns:  # the SQL fast path: number the few orders it read
        new_order = (pl.col("order_id") != pl.col("order_id").shift(1)).fill_null(True)
        raw = raw.sort("order_date", "order_id", "line_id", maintain_order=True).with_columns(
            (new_order.cum_sum() - 1).cast(pl.UInt32).alias("order_no")
        )
    return (
        raw.join(sizes, on="product_id", how="left")
        .with_columns(
            (unit_price_cents / 100.0).alias("unit_price"),
            _dollars("line_total"),
            _dollars("original_price"),
            _dollars("savings"),
            pl.col("order_date").dt.date().alias("date"),
            pl.col("order_date").dt.date().dt.truncate("1mo").alias("month"),
            unit.replace_strict(PER_UNITS, default=None, return_dtype=pl.String).alias("per_unit"),
        )
        .with_columns(per_unit_price.alias("price_per_unit"))
        .select(list(LINE_SCHEMA))
        .cast(LINE_SCHEMA)  # type: ignore[arg-type]
        # One u64 key (product, order number) sorts twice as fast as three columns; stable, so
        # lines of one order stay in line id order. Order numbers follow (order date, id).
        .sort(
            pl.col("product_id").cast(pl.UInt64) * (1 << 32) + pl.col("order_no").cast(pl.UInt64),
            maintain_order=True,
        )
    )


def _finish_orders(raw: pl.DataFrame) -> pl.DataFrame:
    money = ["subtotal", "savings", "tax", "fees", "tip", "grand_total"]
    return (
        raw.with_columns(
            *[_dollars(m) for m in money], pl.col("order_date").dt.date().alias("date")
        )
        .sort("order_date", "order_id")
        .with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("order_no"))
        .select(list(ORDER_SCHEMA))
        .cast(ORDER_SCHEMA)  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------------------------
# Cache


@dataclass(frozen=True)
class AnalyticsFrames:
    """Everything analytics reads, for one database state (see :func:`fingerprint`).

    ``purchases`` and ``purchase_days`` are derived once, on first use, and kept with the rest.
    """

    lines: pl.DataFrame
    orders: pl.DataFrame
    products: pl.DataFrame
    stores: pl.DataFrame
    fingerprint: tuple[int, int, int, int]

    @cached_property
    def purchases(self) -> pl.DataFrame:
        """:func:`purchases` of all lines."""
        return purchases(self.lines)

    @cached_property
    def latest_prices(self) -> pl.DataFrame:
        """:func:`latest_prices` of all purchases."""
        return latest_prices(self.purchases)

    @cached_property
    def purchase_days(self) -> pl.DataFrame:
        """:func:`purchase_days` of all lines."""
        return purchase_days(self.lines)


_CACHE: weakref.WeakKeyDictionary[Engine, AnalyticsFrames] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_LOAD_LOCK = threading.Lock()


def _engine_of(bind: Bind) -> Engine:
    return bind if isinstance(bind, Engine) else bind.engine


def fingerprint(bind: Bind) -> tuple[int, int, int, int]:
    """(data_version, max line id, max product id, max store id): changes whenever data does.

    Imports bump ``data_version``; the max ids also catch rows inserted directly (tests,
    notebooks) without a bump. Each part is an index lookup, so this costs well under 1 ms.
    """
    stmt = select(
        select(AppMeta.value).where(AppMeta.key == "data_version").scalar_subquery(),
        select(func.max(OrderLine.id)).scalar_subquery(),
        select(func.max(Product.id)).scalar_subquery(),
        select(func.max(Store.id)).scalar_subquery(),
    )
    _names, rows = _execute(bind, stmt)
    version, line, product, store = rows[0]
    return (int(version or 0), int(line or 0), int(product or 0), int(store or 0))


def clear_cache() -> None:
    """Forget every cached frame (the next query re-reads the database)."""
    with _LOCK:
        _CACHE.clear()


def products_frame(bind: Bind) -> pl.DataFrame:
    """All products (:data:`PRODUCT_SCHEMA`)."""
    return _columns(bind, _products_select(), PRODUCT_SCHEMA).sort("product_id")


def stores_frame(bind: Bind) -> pl.DataFrame:
    """All stores (:data:`STORE_SCHEMA`)."""
    return _columns(bind, _stores_select(), STORE_SCHEMA).sort("store_id")


def load_frames(bind: Bind) -> AnalyticsFrames:
    """The cached frames for the database's current state, reading it again when it changed.

    Concurrent callers that find the cache stale wait for one read instead of each reading
    the database (a million lines take seconds, and the service calls from several threads).
    """
    engine = _engine_of(bind)
    current = fingerprint(bind)
    cached = _CACHE.get(engine)
    if cached is not None and cached.fingerprint == current:
        return cached
    with _LOAD_LOCK:
        cached = _CACHE.get(engine)
        if cached is not None and cached.fingerprint == current:
            return cached
        frames = _read_frames(bind, current)
        with _LOCK:
            _CACHE[engine] = frames
    return frames


def _read_frames(bind: Bind, current: tuple[int, int, int, int]) -> AnalyticsFrames:
    """Read everything (the fingerprint was taken first, so newer data only causes a re-read)."""
    products = products_frame(bind)
    stores = stores_frame(bind)
    # Read through the same driver as every other query. A second SQLite library in the
    # process (e.g. the ADBC driver's bundled copy, tried for speed) is unsafe: closing its
    # file releases this process's POSIX locks held by the other copy, and another process
    # can then recover or delete the WAL under a live connection (sqlite.org/howtocorrupt.html
    # 2.2.1). The cold read is slower (seconds for a million lines); the cache absorbs it.
    raw_orders = _columns(bind, _orders_select(), _RAW_ORDER_DTYPES)
    # Lines without the order join: dates are parsed once per order, not once per line.
    raw = _columns(bind, _lines_select(with_order=False), _RAW_LINE_DTYPES)
    orders = _finish_orders(raw_orders)
    raw = raw.join(
        orders.select("order_id", "order_no", "order_date", "store_id"), on="order_id", how="inner"
    )
    lines = _finish_lines(raw, products)
    return AnalyticsFrames(lines, orders, products, stores, current)


def _cached(bind: Bind) -> AnalyticsFrames | None:
    cached = _CACHE.get(_engine_of(bind))
    if cached is not None and cached.fingerprint == fingerprint(bind):
        return cached
    return None


#: Above this many products a filtered query loads (and caches) everything instead.
_SQL_PRODUCT_LIMIT = 200


def charged_lines(
    bind: Bind,
    *,
    product_ids: Iterable[int] | None = None,
    store_ids: Iterable[int] | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    columns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Charged lines (:data:`LINE_SCHEMA`), optionally filtered; dates are inclusive.

    Sorted by product, then order (date, id), then line id. With a warm cache this filters the
    cached frame (lazily, reading only ``columns`` when given); without one, a query for a few
    products runs as a parameterised SQL select on the ``(product_id, order_id)`` index rather
    than loading every line.
    """
    start = as_date(date_from, "date_from")
    end = as_date(date_to, "date_to")
    if start is not None and end is not None and start > end:
        raise ValueError(f"date_from {start} is after date_to {end}")
    pids = None if product_ids is None else sorted({int(p) for p in product_ids})
    sids = None if store_ids is None else sorted({int(s) for s in store_ids})
    frames = _cached(bind)
    if frames is None and pids is not None and len(pids) <= _SQL_PRODUCT_LIMIT:
        stmt = _lines_select().where(OrderLine.product_id.in_(pids))
        if sids is not None:
            stmt = stmt.where(Order.store_id.in_(sids))
        products = _columns(bind, _products_select().where(Product.id.in_(pids)), PRODUCT_SCHEMA)
        lines = _finish_lines(_columns(bind, stmt, _RAW_LINE_DTYPES), products)
        return _subset(lines, None, None, start, end, columns)
    return _subset((frames or load_frames(bind)).lines, pids, sids, start, end, columns)


def _subset(
    frame: pl.DataFrame,
    pids: list[int] | None,
    sids: list[int] | None,
    start: date | None,
    end: date | None,
    columns: Sequence[str] | None,
) -> pl.DataFrame:
    """Rows of ``frame`` matching the filters, in one lazy pass over only the needed columns."""
    preds = []
    if pids is not None:
        preds.append(pl.col("product_id").is_in(pids))
    if sids is not None:
        preds.append(pl.col("store_id").is_in(sids))
    if start is not None:
        preds.append(pl.col("date") >= start)
    if end is not None:
        preds.append(pl.col("date") <= end)
    if not preds and columns is None:
        return frame
    query = frame.lazy()
    if preds:
        query = query.filter(*preds)
    if columns is not None:
        query = query.select(list(columns))
    return query.collect()


def product_row(bind: Bind, product_id: int) -> dict[str, Any]:
    """One product as a dict (:data:`PRODUCT_SCHEMA` keys); ``LookupError`` if unknown."""
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise ValueError(f"product_id must be an integer, got {product_id!r}") from None
    frames = _cached(bind)
    if frames is not None:
        rows = frames.products.filter(pl.col("product_id") == int(product_id))
    else:
        stmt = _products_select().where(Product.id == int(product_id))
        rows = _columns(bind, stmt, PRODUCT_SCHEMA)
    if rows.is_empty():
        raise LookupError(f"no product with id {product_id}")
    return rows.row(0, named=True)


def unknown_products(bind: Bind, product_ids: Iterable[int]) -> list[int]:
    """The ids in ``product_ids`` that are not products (from the cache when warm)."""
    wanted = sorted({int(p) for p in product_ids})
    if not wanted:
        return []
    frames = _cached(bind)
    if frames is not None:
        known = set(frames.products.get_column("product_id").to_list())
    else:
        _names, rows = _execute(bind, select(Product.id).where(Product.id.in_(wanted)))
        known = {int(r[0]) for r in rows}
    return [p for p in wanted if p not in known]


def with_names(
    frame: pl.DataFrame, bind: Bind, *, stores: bool = True, products: bool = True
) -> pl.DataFrame:
    """Add ``product_name`` (and ``store_name`` when the frame has ``store_id``) to a result."""
    frames = _cached(bind)
    out = frame
    if products and "product_id" in frame.columns and "product_name" not in frame.columns:
        if frames is not None:
            names = frames.products
        else:
            ids = frame.get_column("product_id").drop_nulls().unique().to_list()
            stmt = _products_select().where(Product.id.in_(ids))
            names = _columns(bind, stmt, PRODUCT_SCHEMA)
        out = out.join(names.select("product_id", "product_name"), on="product_id", how="left")
    if stores and "store_id" in frame.columns and "store_name" not in frame.columns:
        store_frame = frames.stores if frames is not None else stores_frame(bind)
        out = out.join(store_frame.select("store_id", "store_name"), on="store_id", how="left")
    return out


def latest_date(bind: Bind) -> date | None:
    """The date of the newest order (``None`` for an empty database): the default "today"."""
    frames = _cached(bind)
    if frames is not None:
        value = frames.orders.get_column("date").max()
        return value if isinstance(value, date) else None
    _names, rows = _execute(bind, select(func.max(Order.order_date)))
    value = rows[0][0]
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


_PURCHASE_COLUMNS = [
    "product_id",
    "order_no",
    "order_id",
    "order_date",
    "date",
    "month",
    "store_id",
    "category",
    "quantity",
    "unit_price",
    "line_total",
    "price_per_unit",
    "per_unit",
]


def purchases(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines -> one row per (product, order): a *purchase*, with the price paid in that order.

    ``unit_price`` and ``price_per_unit`` are means over the order's lines of that product
    (almost always one line); ``quantity`` and ``line_total`` are summed. Lines without a known
    price are dropped. Sorted by product, then order date.
    """
    priced = lines.filter(pl.col("unit_price").is_not_null())
    pair = pl.col("product_id").cast(pl.UInt64) * (1 << 32) + pl.col("order_no").cast(pl.UInt64)
    if priced.select(pair.n_unique()).item() == priced.height:
        # One line per (product, order), the usual case: the lines already are the purchases.
        return priced.select(_PURCHASE_COLUMNS).sort("product_id", "order_date", "order_no")
    return (
        priced.group_by("product_id", "order_no")
        .agg(
            pl.col("order_id").first(),
            pl.col("order_date").first(),
            pl.col("date").first(),
            pl.col("month").first(),
            pl.col("store_id").first(),
            pl.col("category").first(),
            pl.col("quantity").sum(),
            pl.col("unit_price").mean(),
            pl.col("line_total").sum(),
            pl.col("price_per_unit").mean(),
            pl.col("per_unit").first(),
        )
        .sort("product_id", "order_date", "order_no")
    )


def purchase_days(lines: pl.DataFrame) -> pl.DataFrame:
    """Lines -> one row per (product, day) it was bought: quantity summed, last unit price.

    Two orders on one day are one purchase day (what re-order cycles count). ``lines`` must be
    in :func:`charged_lines` order (by product, then time). Sorted by product and date.
    """
    return (
        lines.group_by("product_id", "date")
        .agg(
            pl.col("category").first(),
            pl.col("quantity").sum(),
            pl.col("unit_price").drop_nulls().last(),
        )
        .sort("product_id", "date")
    )


def purchases_for(
    bind: Bind,
    *,
    product_ids: Iterable[int] | None = None,
    store_ids: Iterable[int] | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
) -> pl.DataFrame:
    """:func:`purchases`, filtered like :func:`charged_lines` (same arguments).

    Uses the cached purchases when the full frames are loaded (or must be), so the
    (product, order) grouping runs once per data version.
    """
    pids = None if product_ids is None else sorted({int(p) for p in product_ids})
    frames = _cached(bind)
    if frames is None and pids is not None and len(pids) <= _SQL_PRODUCT_LIMIT:
        lines = charged_lines(
            bind, product_ids=pids, store_ids=store_ids, date_from=date_from, date_to=date_to
        )
        return purchases(lines)
    start = as_date(date_from, "date_from")
    end = as_date(date_to, "date_to")
    if start is not None and end is not None and start > end:
        raise ValueError(f"date_from {start} is after date_to {end}")
    sids = None if store_ids is None else sorted({int(s) for s in store_ids})
    return _subset((frames or load_frames(bind)).purchases, pids, sids, start, end, None)


LATEST_PRICES_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "store_id": pl.Int64,
    "unit_price": pl.Float64,
    "date": pl.Date,
}


def latest_prices(buys: pl.DataFrame) -> pl.DataFrame:
    """Purchases -> the latest unit price (and its date) per product and known store."""
    return (
        buys.lazy()
        .filter(pl.col("store_id").is_not_null())
        .group_by("product_id", "store_id")
        .agg(pl.col("unit_price").last(), pl.col("date").last())
        .select(list(LATEST_PRICES_SCHEMA))
        .sort("product_id", "store_id")
        .collect()
    )


def latest_prices_for(bind: Bind, product_ids: Iterable[int] | None = None) -> pl.DataFrame:
    """:func:`latest_prices` for some products (all when ``None``), from the cache if warm."""
    pids = None if product_ids is None else sorted({int(p) for p in product_ids})
    frames = _cached(bind)
    if frames is None and pids is not None and len(pids) <= _SQL_PRODUCT_LIMIT:
        return latest_prices(purchases_for(bind, product_ids=pids))
    table = (frames or load_frames(bind)).latest_prices
    return table if pids is None else table.filter(pl.col("product_id").is_in(pids))


@contextmanager
def orm_session(bind: Bind) -> Iterator[Session]:
    """An ORM session on ``bind``: on an engine, one transaction committed at the end (rolled
    back on error); on a connection, the caller's open transaction (the caller commits), or
    else its own, committed here."""
    if isinstance(bind, Engine):
        with session_scope(bind) as session:
            yield session
        return
    owns = not bind.in_transaction()
    session = Session(bind=bind)
    try:
        yield session
        session.flush()
        if owns:
            session.commit()
    finally:
        session.close()


def conform(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """``frame`` with exactly ``schema``'s columns, in order, cast to its dtypes."""
    return frame.select(list(schema)).cast(schema)  # type: ignore[arg-type]
