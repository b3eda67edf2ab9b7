"""Spending: by day, week, month, category, store and product; summaries; monthly budgets.

*Spend* is the sum of ``line_total`` over charged lines (before tax, fees and tips), in
dollars; *orders* counts distinct orders with at least one charged line. Everything reads
:func:`walmart_lib.analytics_frames.charged_lines`, so spend here and prices in
:mod:`walmart_lib.pricing` agree. Budgets are rows of the ``budgets`` table: one monthly limit
overall (category :data:`walmart_lib.db.OVERALL_BUDGET`, ``"all"``) and one per category;
:func:`budget_status` reports spent, remaining, % used, days left, a month-end projection at the
current pace and over / at-risk flags. "Today" defaults to the date of the newest order (the
data's own today); pass ``today=date.today()`` for the calendar's. Definitions are in
``docs/analytics.md``.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import polars as pl
from sqlalchemy import select

from walmart_lib.analytics_frames import (
    Bind,
    as_date,
    charged_lines,
    conform,
    latest_date,
    load_frames,
    orm_session,
    with_names,
)
from walmart_lib.db import OVERALL_BUDGET, Budget
from walmart_lib.ingest.taxonomy import CATEGORIES

__all__ = [
    "BUDGET_SCHEMA",
    "BUDGET_STATUS_SCHEMA",
    "DIMENSIONS",
    "MOM_VALUE_DTYPES",
    "TOP_SCHEMA",
    "SpendingSummary",
    "budget_status",
    "budgets",
    "delete_budget",
    "money",
    "month_over_month",
    "parse_month",
    "set_budget",
    "spend_by",
    "spending_summary",
    "top_products",
]

#: What :func:`spend_by` can group by.
DIMENSIONS: tuple[str, ...] = ("day", "week", "month", "category", "store", "product")
_PERIODS = {"day": "1d", "week": "1w", "month": "1mo"}
_KEY_COLUMNS: dict[str, list[str]] = {
    "day": ["period"],
    "week": ["period"],
    "month": ["period"],
    "category": ["category"],
    "store": ["store_id", "store_name"],
    "product": ["product_id", "product_name"],
}
_KEY_DTYPES: dict[str, Any] = {
    "period": pl.Date,
    "category": pl.String,
    "store_id": pl.Int64,
    "store_name": pl.String,
    "product_id": pl.Int64,
    "product_name": pl.String,
}
_VALUE_DTYPES: dict[str, Any] = {
    "spend": pl.Float64,
    "orders": pl.UInt32,
    "lines": pl.UInt32,
    "share_pct": pl.Float64,
}


def money(value: float | int | Decimal) -> float:
    """Round dollars to the cent, half up on the decimal value (``round`` would turn the float
    8.045 into 8.04)."""
    return float(Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def parse_month(value: date | datetime | str) -> date:
    """``"2025-03"``, ``"2025-03-14"``, a date or a datetime -> the first day of that month."""
    if isinstance(value, datetime):
        return value.date().replace(day=1)
    if isinstance(value, date):
        return value.replace(day=1)
    text = str(value).strip()
    try:
        if len(text) == 7:
            return date.fromisoformat(text + "-01")
        return date.fromisoformat(text[:10]).replace(day=1)
    except ValueError:
        raise ValueError(f"month must look like YYYY-MM, got {value!r}") from None


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _dims(by: str | Sequence[str]) -> list[str]:
    if isinstance(by, str):
        dims = [by]
    elif isinstance(by, Sequence):
        dims = [str(d) for d in by]
    else:
        raise ValueError(f"by must be a dimension name or a list of them, got {by!r}")
    if not dims:
        raise ValueError("by must name at least one of: " + ", ".join(DIMENSIONS))
    for d in dims:
        if d not in DIMENSIONS:
            raise ValueError(f"cannot group spend by {d!r}; choose from: {', '.join(DIMENSIONS)}")
    if sum(d in _PERIODS for d in dims) > 1:
        raise ValueError("group by at most one period (day, week or month)")
    return dims


#: The line columns spending reads (projection keeps filters over 1M lines cheap).
_SPEND_COLUMNS = (
    "order_no",
    "date",
    "month",
    "store_id",
    "product_id",
    "category",
    "quantity",
    "line_total",
)


def _filtered(
    bind: Bind,
    date_from: date | str | None,
    date_to: date | str | None,
    category: str | None,
    store_id: int | None,
) -> pl.DataFrame:
    lines = charged_lines(
        bind,
        store_ids=None if store_id is None else [store_id],
        date_from=date_from,
        date_to=date_to,
        columns=_SPEND_COLUMNS,
    )
    if category is not None:
        lines = lines.filter(pl.col("category") == category)
    return lines


def spend_by(
    bind: Bind,
    by: str | Sequence[str] = "month",
    *,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    category: str | None = None,
    store_id: int | None = None,
) -> pl.DataFrame:
    """Spend grouped by one or more of :data:`DIMENSIONS`, e.g. ``"month"`` or
    ``["month", "category"]``.

    Key columns: ``period`` (first day of the day/ISO week/month) for periods, ``category``,
    ``store_id``/``store_name``, ``product_id``/``product_name``; then ``spend``, ``orders``,
    ``lines`` and ``share_pct`` (of the total spend in the result). A single period dimension
    lists every period between the first and last with data, zero-filled. Periods sort
    oldest first; otherwise the largest spend comes first.
    """
    dims = _dims(by)
    lines = _filtered(bind, date_from, date_to, category, store_id)
    period = next((d for d in dims if d in _PERIODS), None)
    if period == "month":
        lines = lines.with_columns(pl.col("month").alias("period"))  # precomputed per line
    elif period is not None:
        lines = lines.with_columns(pl.col("date").dt.truncate(_PERIODS[period]).alias("period"))
    group = [
        {"day": "period", "week": "period", "month": "period", "store": "store_id"}.get(
            d, "product_id" if d == "product" else d
        )
        for d in dims
    ]
    out = lines.group_by(group).agg(
        pl.col("line_total").sum().round(2).alias("spend"),
        pl.col("order_no").n_unique().alias("orders"),
        pl.len().alias("lines"),
    )
    if period is not None and dims == [period] and not out.is_empty():
        every = pl.date_range(
            out.get_column("period").min(),  # type: ignore[arg-type]
            out.get_column("period").max(),  # type: ignore[arg-type]
            interval=_PERIODS[period],
            eager=True,
        )
        out = (
            pl.DataFrame({"period": every})
            .join(out, on="period", how="left")
            .with_columns(
                pl.col("spend").fill_null(0.0),
                pl.col("orders").fill_null(0),
                pl.col("lines").fill_null(0),
            )
        )
    total = float(out.get_column("spend").sum() or 0.0)
    out = out.with_columns(
        (pl.col("spend") / total * 100 if total else pl.lit(0.0)).alias("share_pct")
    )
    out = with_names(out, bind)
    if period is not None:
        out = out.sort(["period", "spend"], descending=[False, True])
    else:
        out = out.sort(["spend", *group], descending=[True, *([False] * len(group))])
    keys = [c for d in dims for c in _KEY_COLUMNS[d]]
    schema = {c: _KEY_DTYPES[c] for c in keys} | _VALUE_DTYPES
    return conform(out, schema)


@dataclass(frozen=True)
class SpendingSummary:
    """Totals over a date range (all ``None``-free; zeros when nothing was bought)."""

    date_from: date | None
    date_to: date | None
    spend: float
    orders: int
    lines: int
    average_per_order: float
    months: int
    average_per_month: float
    tax: float
    fees: float


def spending_summary(
    bind: Bind,
    *,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
) -> SpendingSummary:
    """Spend, orders, average per order and per calendar month, and tax/fees of those orders.

    ``months`` counts calendar months from the first to the last purchase, inclusive (a month
    with no order inside that span still counts, so the monthly average is not inflated).
    """
    lines = charged_lines(
        bind, date_from=date_from, date_to=date_to, columns=("order_id", "date", "line_total")
    )
    spend = money(lines.get_column("line_total").sum() or 0.0)
    order_ids = lines.get_column("order_id").unique()
    orders = load_frames(bind).orders.filter(pl.col("order_id").is_in(order_ids.implode()))
    n_orders = order_ids.len()
    first = lines.get_column("date").min()
    last = lines.get_column("date").max()
    months = 0
    if isinstance(first, date) and isinstance(last, date):
        months = (last.year - first.year) * 12 + last.month - first.month + 1
    return SpendingSummary(
        date_from=as_date(date_from, "date_from") or (first if isinstance(first, date) else None),
        date_to=as_date(date_to, "date_to") or (last if isinstance(last, date) else None),
        spend=spend,
        orders=n_orders,
        lines=lines.height,
        average_per_order=money(spend / n_orders) if n_orders else 0.0,
        months=months,
        average_per_month=money(spend / months) if months else 0.0,
        tax=money(orders.get_column("tax").sum() or 0.0),
        fees=money(orders.get_column("fees").sum() or 0.0),
    )


TOP_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "category": pl.String,
    "spend": pl.Float64,
    "quantity": pl.Float64,
    "orders": pl.UInt32,
    "average_price": pl.Float64,
}


def top_products(
    bind: Bind,
    n: int = 10,
    *,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    category: str | None = None,
    store_id: int | None = None,
    rank_by: str = "spend",
) -> pl.DataFrame:
    """The top ``n`` products by ``spend`` (default), ``quantity`` or ``orders``.

    ``average_price`` = spend / quantity (per item, or per lb for weighed items).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if rank_by not in ("spend", "quantity", "orders"):
        raise ValueError(f"rank_by must be 'spend', 'quantity' or 'orders', got {rank_by!r}")
    lines = _filtered(bind, date_from, date_to, category, store_id)
    out = (
        lines.group_by("product_id")
        .agg(
            pl.col("category").first(),
            pl.col("line_total").sum().round(2).alias("spend"),
            pl.col("quantity").sum(),
            pl.col("order_no").n_unique().alias("orders"),
        )
        .with_columns(
            pl.when(pl.col("quantity") > 0)
            .then(pl.col("spend") / pl.col("quantity"))
            .otherwise(None)
            .round(2)
            .alias("average_price")
        )
        .sort([rank_by, "product_id"], descending=[True, False])
        .head(n)
    )
    return conform(with_names(out, bind), TOP_SCHEMA)


MOM_VALUE_DTYPES: dict[str, Any] = {
    "spend": pl.Float64,
    "previous_spend": pl.Float64,
    "change": pl.Float64,
    "pct_change": pl.Float64,
}


def month_over_month(
    bind: Bind, month: date | str | None = None, *, by: str = "category"
) -> pl.DataFrame:
    """Spend in ``month`` against the month before, per ``category``, ``store`` or ``product``.

    ``month`` defaults to the month of the newest order. Rows for keys present in either
    month; ``pct_change`` is null when the previous month had no spend for that key. Largest
    absolute change first. Empty when neither month has a purchase.
    """
    if by not in ("category", "store", "product"):
        raise ValueError(f"by must be 'category', 'store' or 'product', got {by!r}")
    if month is None:
        newest = latest_date(bind)
        first = parse_month(newest) if newest else date.today().replace(day=1)
    else:
        first = parse_month(month)
    prev = (first - timedelta(days=1)).replace(day=1)
    keys = _KEY_COLUMNS[by]
    schema = {c: _KEY_DTYPES[c] for c in keys} | MOM_VALUE_DTYPES
    lines = charged_lines(bind, date_from=prev, date_to=_month_end(first), columns=_SPEND_COLUMNS)
    if lines.is_empty():
        return pl.DataFrame(schema=schema)
    key = {"store": "store_id", "product": "product_id"}.get(by, by)
    out = (
        lines.with_columns((pl.col("date") >= first).alias("_this"))
        .group_by(key)
        .agg(
            pl.col("line_total").filter(pl.col("_this")).sum().round(2).alias("spend"),
            pl.col("line_total").filter(~pl.col("_this")).sum().round(2).alias("previous_spend"),
        )
        .with_columns((pl.col("spend") - pl.col("previous_spend")).round(2).alias("change"))
        .with_columns(
            pl.when(pl.col("previous_spend") > 0)
            .then(pl.col("change") / pl.col("previous_spend") * 100)
            .otherwise(None)
            .alias("pct_change"),
            pl.col("change").abs().alias("_abs"),
        )
        .sort(["_abs", key], descending=[True, False])
    )
    return conform(with_names(out, bind), schema)


# --------------------------------------------------------------------------------------------
# Budgets

BUDGET_SCHEMA: dict[str, Any] = {"category": pl.String, "monthly_limit": pl.Float64}
BUDGET_STATUS_SCHEMA: dict[str, Any] = {
    "category": pl.String,
    "month": pl.Date,
    "monthly_limit": pl.Float64,
    "spent": pl.Float64,
    "remaining": pl.Float64,
    "pct_used": pl.Float64,
    "days_in_month": pl.Int64,
    "days_elapsed": pl.Int64,
    "days_left": pl.Int64,
    "projected": pl.Float64,
    "over": pl.Boolean,
    "at_risk": pl.Boolean,
    "status": pl.String,
}


def _check_budget_category(category: str) -> str:
    if category != OVERALL_BUDGET and category not in CATEGORIES:
        raise ValueError(
            f"unknown budget category {category!r}; use {OVERALL_BUDGET!r} or one of: "
            + ", ".join(CATEGORIES)
        )
    return category


def _to_cents(amount: Decimal | float | int | str) -> int:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"not an amount of money: {amount!r}") from None
    if not value.is_finite() or value <= 0:
        raise ValueError(f"a budget must be a positive amount, got {amount!r}")
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def set_budget(bind: Bind, category: str, monthly_limit: Decimal | float | int | str) -> None:
    """Create or change the monthly budget for ``category`` (``"all"`` = overall), in dollars."""
    _check_budget_category(category)
    cents = _to_cents(monthly_limit)
    with orm_session(bind) as session:
        row = session.scalars(select(Budget).where(Budget.category == category)).first()
        if row is None:
            session.add(Budget(category=category, monthly_limit_cents=cents))
        else:
            row.monthly_limit_cents = cents


def delete_budget(bind: Bind, category: str) -> None:
    """Remove a budget; ``LookupError`` if there is none for ``category``."""
    with orm_session(bind) as session:
        row = session.scalars(select(Budget).where(Budget.category == category)).first()
        if row is None:
            raise LookupError(f"no budget for category {category!r}")
        session.delete(row)


def budgets(bind: Bind) -> pl.DataFrame:
    """All budgets: category, monthly_limit (dollars); the overall budget first."""
    with orm_session(bind) as session:
        rows = session.execute(select(Budget.category, Budget.monthly_limit_cents)).all()
    frame = pl.DataFrame(
        [(c, cents / 100) for c, cents in rows], schema=BUDGET_SCHEMA, orient="row"
    )
    return frame.sort(pl.col("category") != OVERALL_BUDGET, "category")


def budget_status(
    bind: Bind, month: date | str | None = None, *, today: date | str | None = None
) -> pl.DataFrame:
    """Every budget's state for ``month`` (default: the month of ``today``).

    ``today`` defaults to the newest order's date. Days elapsed: all of a past month, none of
    a future one, and ``today.day`` of the current one. ``projected`` = spent / days elapsed x
    days in month (= spent when no day has elapsed). ``over`` = spent > limit; ``at_risk`` =
    not over but projected > limit; ``status`` is ``over``, ``at risk`` or ``on track``.
    """
    day = as_date(today, "today") or latest_date(bind) or date.today()
    first = parse_month(month) if month is not None else day.replace(day=1)
    last = _month_end(first)
    days_in_month = last.day
    if day > last:
        elapsed = days_in_month
    elif day < first:
        elapsed = 0
    else:
        elapsed = day.day
    limits = budgets(bind)
    if limits.is_empty():
        return pl.DataFrame(schema=BUDGET_STATUS_SCHEMA)
    # Spent so far: a replayed "today" inside the month must not see later purchases.
    lines = charged_lines(
        bind, date_from=first, date_to=last, columns=("date", "category", "line_total")
    )
    lines = lines.filter(pl.col("date") <= day)
    by_category = dict(lines.group_by("category").agg(pl.col("line_total").sum()).iter_rows())
    total = float(lines.get_column("line_total").sum() or 0.0)
    rows = []
    for category, limit in limits.iter_rows():
        spent = money(total if category == OVERALL_BUDGET else by_category.get(category, 0.0))
        projected = money(spent / elapsed * days_in_month) if elapsed else spent
        over = spent > limit + 1e-9
        at_risk = not over and projected > limit + 1e-9
        rows.append(
            (
                category,
                first,
                limit,
                spent,
                money(limit - spent),
                spent / limit * 100,
                days_in_month,
                elapsed,
                days_in_month - elapsed,
                projected,
                over,
                at_risk,
                "over" if over else "at risk" if at_risk else "on track",
            )
        )
    return pl.DataFrame(rows, schema=BUDGET_STATUS_SCHEMA, orient="row")
