"""Prices paid: history, unit prices, statistics and trends, changes, deals, stores, inflation.

Every function reads charged lines through :mod:`walmart_lib.analytics_frames` (one definition
of a price paid, in dollars) and returns a polars DataFrame with a fixed schema, also when
nothing matches, or a small frozen dataclass. A *purchase* is one product in one order (its
lines combined); "latest price" means the unit price of the newest purchase. Unit prices are
compared in a canonical measure per dimension (``price_per_unit`` per ``oz``, ``fl oz``, ``ct`` or
``each``) so different pack sizes compare; :func:`walmart_lib.analytics_frames.convert_unit_price`
turns them into per lb, per gallon or per dozen for display. Unknown product or store ids raise
``LookupError``; malformed parameters (dates in the wrong order, negative windows) raise
``ValueError``; valid parameters that match nothing give an empty frame. Definitions of every
statistic are in ``docs/analytics.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl
from rapidfuzz import fuzz, process, utils

from walmart_lib.analytics_frames import (
    PER_UNITS,
    Bind,
    as_date,
    charged_lines,
    conform,
    latest_date,
    latest_prices_for,
    load_frames,
    product_row,
    purchases_for,
    stores_frame,
    unknown_products,
    with_names,
)

__all__ = [
    "BASKET_PRICES_SCHEMA",
    "BASKET_SCHEMA",
    "BLS_MATCHERS",
    "BLS_MATCH_SCHEMA",
    "BLS_SCHEMA",
    "CHANGES_SCHEMA",
    "COMPARISON_SCHEMA",
    "DEALS_SCHEMA",
    "DEAL_TIERS",
    "HISTORY_SCHEMA",
    "INFLATION_ITEMS_SCHEMA",
    "STABLE_PCT",
    "STORE_PRICES_SCHEMA",
    "SUBSTITUTES_SCHEMA",
    "USUAL_SCHEMA",
    "InflationResult",
    "PriceStats",
    "WindowStats",
    "basket_comparison",
    "basket_prices",
    "bls_comparison",
    "bls_matches",
    "deals",
    "personal_inflation",
    "price_changes",
    "price_history",
    "price_stats",
    "store_comparison",
    "store_prices",
    "substitutes",
    "usual_basket",
]

#: A trend whose fitted change is smaller than this many percent is "stable".
STABLE_PCT = 5.0
#: Deal tiers: percent below the typical price, best first.
DEAL_TIERS: tuple[int, ...] = (30, 20, 10, 5)
#: "Historical low": the latest price is within this fraction of the lowest price ever paid.
HISTORICAL_LOW_MARGIN = 0.02
#: Windows reported by :func:`price_stats` (days; ``None`` = all time).
STAT_WINDOWS: dict[str, int | None] = {"7d": 7, "30d": 30, "90d": 90, "all": None}

HISTORY_SCHEMA: dict[str, Any] = {
    "date": pl.Date,
    "order_id": pl.String,
    "store_id": pl.Int64,
    "store_name": pl.String,
    "quantity": pl.Float64,
    "unit_price": pl.Float64,
    "line_total": pl.Float64,
    "per_unit": pl.String,
    "price_per_unit": pl.Float64,
    "original_price": pl.Float64,
    "savings": pl.Float64,
}


def _check_store(bind: Bind, store_id: int | None) -> None:
    """``LookupError`` unless ``store_id`` is ``None`` or a known store (a tiny SQL read)."""
    if store_id is None:
        return
    if stores_frame(bind).filter(pl.col("store_id") == int(store_id)).is_empty():
        raise LookupError(f"no store with id {store_id}")


def _empty(schema: Mapping[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(schema))


# --------------------------------------------------------------------------------------------
# History and statistics


def price_history(
    bind: Bind,
    product_id: int,
    *,
    store_id: int | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
) -> pl.DataFrame:
    """Every charged line of one product, oldest first, overall or at one store.

    Columns: date, order_id, store_id, store_name, quantity, unit_price, line_total, per_unit,
    price_per_unit, original_price, savings (original price and savings are null when the
    source did not state them). ``LookupError`` for an unknown product or store.
    """
    product_row(bind, product_id)
    _check_store(bind, store_id)
    lines = charged_lines(
        bind,
        product_ids=[product_id],
        store_ids=None if store_id is None else [store_id],
        date_from=date_from,
        date_to=date_to,
    )
    # charged_lines keeps time order (order date, line id) within a product.
    out = with_names(lines.filter(pl.col("unit_price").is_not_null()), bind, products=False)
    return conform(out, HISTORY_SCHEMA)


STORE_PRICES_SCHEMA: dict[str, Any] = {
    "store_id": pl.Int64,
    "store_name": pl.String,
    "purchases": pl.UInt32,
    "first_date": pl.Date,
    "last_date": pl.Date,
    "last_price": pl.Float64,
    "mean_price": pl.Float64,
    "min_price": pl.Float64,
    "max_price": pl.Float64,
    "is_cheapest": pl.Boolean,
}


def store_prices(bind: Bind, product_id: int) -> pl.DataFrame:
    """One product's prices per store: purchases, last/mean/min/max price; cheapest by last.

    Sorted by last price, cheapest first. Purchases without a store are left out.
    """
    product_row(bind, product_id)
    buys = purchases_for(bind, product_ids=[product_id]).filter(pl.col("store_id").is_not_null())
    if buys.is_empty():
        return _empty(STORE_PRICES_SCHEMA)
    per_store = (
        buys.group_by("store_id")
        .agg(
            pl.len().alias("purchases"),
            pl.col("date").min().alias("first_date"),
            pl.col("date").max().alias("last_date"),
            pl.col("unit_price").last().alias("last_price"),
            pl.col("unit_price").mean().alias("mean_price"),
            pl.col("unit_price").min().alias("min_price"),
            pl.col("unit_price").max().alias("max_price"),
        )
        .with_columns((pl.col("last_price") == pl.col("last_price").min()).alias("is_cheapest"))
        .sort("last_price", "store_id")
    )
    return conform(with_names(per_store, bind), STORE_PRICES_SCHEMA)


@dataclass(frozen=True)
class WindowStats:
    """Unit-price statistics over one window (``None`` values when it has no purchase)."""

    window: str
    observations: int
    mean: float | None
    min: float | None
    max: float | None
    last: float | None


@dataclass(frozen=True)
class PriceStats:
    """Statistics, trend, volatility and a next-price estimate for one product.

    ``trend`` is ``up``, ``down``, ``stable`` (fitted change under :data:`STABLE_PCT` %) or
    ``unknown`` (fewer than two purchase dates). ``volatility`` is the coefficient of variation
    (sample standard deviation / mean) of all unit prices paid. ``estimate`` is the median of the
    last five prices paid; ``confidence`` = n / (n + 4) x 1 / (1 + 5 x volatility), in [0, 1].
    """

    product_id: int
    product_name: str
    store_id: int | None
    as_of: date | None
    observations: int
    windows: dict[str, WindowStats]
    trend: str
    trend_pct: float | None
    volatility: float | None
    estimate: float | None
    confidence: float
    per_unit: str | None
    last_price_per_unit: float | None

    def windows_frame(self) -> pl.DataFrame:
        """The windows as rows: window, observations, mean, min, max, last."""
        return pl.DataFrame(
            [w.__dict__ for w in self.windows.values()],
            schema={
                "window": pl.String,
                "observations": pl.Int64,
                "mean": pl.Float64,
                "min": pl.Float64,
                "max": pl.Float64,
                "last": pl.Float64,
            },
            orient="row",
        )


def _trend(days: Sequence[float], prices: Sequence[float]) -> tuple[str, float | None]:
    """Least-squares line through (day, price); % change of the fit from first to last day."""
    n = len(days)
    if n < 2 or max(days) == min(days):
        return "unknown", None
    mx = sum(days) / n
    my = sum(prices) / n
    sxx = sum((x - mx) ** 2 for x in days)
    slope = sum((x - mx) * (y - my) for x, y in zip(days, prices, strict=True)) / sxx
    start = my + slope * (min(days) - mx)
    end = my + slope * (max(days) - mx)
    if start <= 0:
        return "unknown", None
    pct = (end - start) / start * 100.0
    if abs(pct) < STABLE_PCT:
        return "stable", pct
    return ("up" if pct > 0 else "down"), pct


def _confidence(n: int, cv: float) -> float:
    return max(0.0, min(1.0, n / (n + 4) / (1.0 + 5.0 * cv)))


def price_stats(
    bind: Bind,
    product_id: int,
    *,
    store_id: int | None = None,
    as_of: date | str | None = None,
) -> PriceStats:
    """Mean/min/max/last over 7, 30, 90 days and all time, trend, volatility, estimate.

    Windows are the N days ending on ``as_of`` inclusive; ``as_of`` defaults to the date of the
    newest order in the database (so "last 30 days" means the last 30 days of data).
    """
    product = product_row(bind, product_id)
    history = price_history(bind, product_id, store_id=store_id)
    day = as_date(as_of, "as_of") or latest_date(bind)
    if day is not None:
        history = history.filter(pl.col("date") <= day)
    prices = history.get_column("unit_price").to_list()
    dates = history.get_column("date").to_list()
    windows: dict[str, WindowStats] = {}
    for label, days in STAT_WINDOWS.items():
        if days is None or day is None:
            part = prices
        else:
            start = day - timedelta(days=days - 1)
            part = [p for p, d in zip(prices, dates, strict=True) if d >= start]
        windows[label] = WindowStats(
            label,
            len(part),
            sum(part) / len(part) if part else None,
            min(part) if part else None,
            max(part) if part else None,
            part[-1] if part else None,
        )
    n = len(prices)
    cv: float | None = None
    if n >= 2:
        mean = sum(prices) / n
        std = math.sqrt(sum((p - mean) ** 2 for p in prices) / (n - 1))
        cv = std / mean if mean > 0 else None
    elif n == 1:
        cv = 0.0
    trend, trend_pct = _trend([float((d - dates[0]).days) for d in dates], prices)
    recent = sorted(prices[-5:])
    estimate = None
    if recent:
        mid = len(recent) // 2
        estimate = recent[mid] if len(recent) % 2 else (recent[mid - 1] + recent[mid]) / 2
    per_unit_prices = history.get_column("price_per_unit").to_list()
    return PriceStats(
        product_id=int(product_id),
        product_name=str(product["product_name"]),
        store_id=store_id,
        as_of=day,
        observations=n,
        windows=windows,
        trend=trend,
        trend_pct=trend_pct,
        volatility=cv,
        estimate=estimate,
        confidence=_confidence(n, cv or 0.0) if n else 0.0,
        per_unit=history.get_column("per_unit").to_list()[-1] if n else None,
        last_price_per_unit=per_unit_prices[-1] if n else None,
    )


# --------------------------------------------------------------------------------------------
# Changes and deals

CHANGES_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "category": pl.String,
    "previous_date": pl.Date,
    "previous_price": pl.Float64,
    "date": pl.Date,
    "unit_price": pl.Float64,
    "change": pl.Float64,
    "pct_change": pl.Float64,
    "store_id": pl.Int64,
    "store_name": pl.String,
}


def price_changes(
    bind: Bind,
    *,
    since: date | str | None = None,
    store_id: int | None = None,
    direction: str = "both",
    min_pct: float = 0.0,
) -> pl.DataFrame:
    """Products whose latest price paid differs from the previous purchase, newest first.

    ``direction``: ``up`` (got more expensive), ``down`` or ``both``; ``min_pct`` drops smaller
    moves; ``since`` keeps changes whose latest purchase is on or after that date; ``store_id``
    compares purchases at that store only. Ties on date sort by the largest move.
    """
    if direction not in ("up", "down", "both"):
        raise ValueError(f"direction must be 'up', 'down' or 'both', got {direction!r}")
    if min_pct < 0:
        raise ValueError("min_pct must not be negative")
    _check_store(bind, store_id)
    start = as_date(since, "since")
    buys = purchases_for(bind, store_ids=None if store_id is None else [store_id])
    before_last = pl.int_range(pl.len()) == pl.len() - 2
    last_two = (
        buys.group_by("product_id")
        .agg(
            pl.col("category").last(),
            pl.col("store_id").last(),
            pl.col("date").last(),
            pl.col("unit_price").last(),
            pl.col("unit_price").filter(before_last).first().alias("previous_price"),
            pl.col("date").filter(before_last).first().alias("previous_date"),
        )
        .filter(pl.col("previous_price").is_not_null())
        .with_columns(
            # Cents-level rounding so float noise never reads as a price move.
            (pl.col("unit_price") - pl.col("previous_price")).round(2).alias("change"),
        )
        .with_columns((pl.col("change") / pl.col("previous_price") * 100).alias("pct_change"))
        .filter(pl.col("change") != 0, pl.col("pct_change").abs() >= min_pct)
    )
    if direction == "up":
        last_two = last_two.filter(pl.col("change") > 0)
    elif direction == "down":
        last_two = last_two.filter(pl.col("change") < 0)
    if start is not None:
        last_two = last_two.filter(pl.col("date") >= start)
    last_two = last_two.with_columns(pl.col("pct_change").abs().alias("_abs")).sort(
        ["date", "_abs", "product_id"], descending=[True, True, False]
    )
    return conform(with_names(last_two, bind), CHANGES_SCHEMA)


DEALS_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "category": pl.String,
    "store_id": pl.Int64,
    "store_name": pl.String,
    "date": pl.Date,
    "unit_price": pl.Float64,
    "typical_price": pl.Float64,
    "lowest_price": pl.Float64,
    "discount_pct": pl.Float64,
    "tier": pl.String,
    "historical_low": pl.Boolean,
}


def deals(
    bind: Bind,
    *,
    store_id: int | None = None,
    by_store: bool = False,
    window: int = 8,
    min_history: int = 2,
    category: str | None = None,
) -> pl.DataFrame:
    """Products whose latest price is a deal against their typical price, best first.

    Typical price = median unit price of the ``window`` purchases before the latest one (at
    least ``min_history`` of them). ``discount_pct`` = (typical - latest) / typical x 100;
    ``tier`` is the best of :data:`DEAL_TIERS` reached ("30%", "20%", "10%", "5%");
    ``historical_low`` = below typical and within 2% of the lowest price ever paid. Rows with
    a tier or a historical low are returned. ``store_id`` uses one store's purchases only;
    ``by_store`` judges every (product, store) pair on its own history.
    """
    if window < 1 or min_history < 1:
        raise ValueError("window and min_history must be at least 1")
    _check_store(bind, store_id)
    buys = purchases_for(bind, store_ids=None if store_id is None else [store_id])
    if category is not None:
        buys = buys.filter(pl.col("category") == category)
    keys = ["product_id", "store_id"] if by_store else ["product_id"]
    if by_store:
        buys = buys.filter(pl.col("store_id").is_not_null())
    # Purchases are in time order within each group: the last is the latest, and the
    # ``window`` before it are the history it is judged by.
    history = pl.col("unit_price").slice(0, pl.len() - 1).tail(window)
    judged = (
        buys.group_by(keys)
        .agg(
            *([] if by_store else [pl.col("store_id").last()]),
            pl.col("category").last(),
            pl.col("date").last(),
            pl.col("unit_price").last(),
            history.median().alias("typical_price"),
            history.len().alias("_n"),
            pl.col("unit_price").min().alias("lowest_price"),
        )
        .filter(pl.col("_n") >= min_history)
    )
    tier = pl.lit(None, dtype=pl.String)
    for t in reversed(DEAL_TIERS):
        tier = pl.when(pl.col("discount_pct") >= t - 1e-9).then(pl.lit(f"{t}%")).otherwise(tier)
    out = (
        judged.with_columns(
            ((pl.col("typical_price") - pl.col("unit_price")) / pl.col("typical_price") * 100)
            .round(6)
            .alias("discount_pct")
        )
        .with_columns(
            tier.alias("tier"),
            (
                (pl.col("unit_price") < pl.col("typical_price"))
                & (pl.col("unit_price") <= pl.col("lowest_price") * (1 + HISTORICAL_LOW_MARGIN))
            ).alias("historical_low"),
        )
        .filter(pl.col("tier").is_not_null() | pl.col("historical_low"))
        .sort(["discount_pct", "product_id"], descending=[True, False])
    )
    return conform(with_names(out, bind), DEALS_SCHEMA)


# --------------------------------------------------------------------------------------------
# Stores and baskets

COMPARISON_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "stores": pl.UInt32,
    "cheapest_store_id": pl.Int64,
    "cheapest_store_name": pl.String,
    "cheapest_price": pl.Float64,
    "priciest_store_id": pl.Int64,
    "priciest_store_name": pl.String,
    "priciest_price": pl.Float64,
    "spread": pl.Float64,
    "spread_pct": pl.Float64,
}


def store_comparison(
    bind: Bind, product_ids: Sequence[int] | None = None, *, min_stores: int = 2
) -> pl.DataFrame:
    """Per product: cheapest and priciest store by latest price paid there, and the spread.

    Only products with prices at ``min_stores`` or more stores; widest spread (in %) first.
    ``spread_pct`` = (priciest - cheapest) / cheapest x 100.
    """
    if min_stores < 1:
        raise ValueError("min_stores must be at least 1")
    latest = latest_prices_for(bind, product_ids)
    ranked = latest.sort("product_id", "unit_price", "store_id")
    out = (
        ranked.group_by("product_id", maintain_order=True)
        .agg(
            pl.len().alias("stores"),
            pl.col("store_id").first().alias("cheapest_store_id"),
            pl.col("unit_price").first().alias("cheapest_price"),
            pl.col("store_id").last().alias("priciest_store_id"),
            pl.col("unit_price").last().alias("priciest_price"),
        )
        .filter(pl.col("stores") >= min_stores)
        .with_columns(
            (pl.col("priciest_price") - pl.col("cheapest_price")).round(2).alias("spread")
        )
        .with_columns((pl.col("spread") / pl.col("cheapest_price") * 100).alias("spread_pct"))
    )
    names = load_frames(bind).stores.select("store_id", "store_name")
    for side in ("cheapest", "priciest"):
        out = out.join(
            names.rename({"store_id": f"{side}_store_id", "store_name": f"{side}_store_name"}),
            on=f"{side}_store_id",
            how="left",
        )
    # Sorted once, after the joins (a join need not keep row order).
    out = out.sort(["spread_pct", "product_id"], descending=[True, False])
    return conform(with_names(out, bind), COMPARISON_SCHEMA)


USUAL_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "orders": pl.UInt32,
    "quantity": pl.Float64,
}


def usual_basket(
    bind: Bind, size: int = 30, *, date_from: date | str | None = None
) -> pl.DataFrame:
    """ "My usual basket": the ``size`` products in the most orders, with the median quantity."""
    if size < 1:
        raise ValueError("size must be at least 1")
    buys = purchases_for(bind, date_from=date_from)
    out = (
        buys.group_by("product_id")
        .agg(pl.len().alias("orders"), pl.col("quantity").median().alias("quantity"))
        .sort(["orders", "product_id"], descending=[True, False])
        .head(size)
    )
    return conform(with_names(out, bind, stores=False), USUAL_SCHEMA)


def _basket_items(bind: Bind, items: Mapping[int, float] | Sequence[int] | None) -> pl.DataFrame:
    if items is None:
        return usual_basket(bind).select("product_id", "quantity")
    pairs = items.items() if isinstance(items, Mapping) else ((p, 1.0) for p in items)
    rows: dict[int, float] = {}
    for product_id, quantity in pairs:
        if quantity is None or float(quantity) <= 0:
            raise ValueError(f"quantity for product {product_id} must be positive")
        rows[int(product_id)] = rows.get(int(product_id), 0.0) + float(quantity)
    frame = pl.DataFrame(
        {"product_id": list(rows), "quantity": list(rows.values())},
        schema={"product_id": pl.Int64, "quantity": pl.Float64},
    )
    unknown = unknown_products(bind, rows)
    if unknown:
        raise LookupError(f"no product with id {', '.join(map(str, unknown))}")
    return frame


BASKET_PRICES_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "store_id": pl.Int64,
    "quantity": pl.Float64,
    "unit_price": pl.Float64,
    "date": pl.Date,
    "line_total": pl.Float64,
}


def basket_prices(
    bind: Bind, items: Mapping[int, float] | Sequence[int] | None = None
) -> pl.DataFrame:
    """Each basket item at each store that has a price for it: latest unit price x quantity.

    ``items`` maps product id -> quantity (a sequence means quantity 1 each; ``None`` = the
    :func:`usual_basket`). Columns: product_id, store_id, quantity, unit_price, date, line_total.
    """
    basket = _basket_items(bind, items)
    latest = latest_prices_for(bind, basket.get_column("product_id").to_list())
    return (
        basket.join(latest, on="product_id", how="inner")
        .with_columns((pl.col("unit_price") * pl.col("quantity")).round(2).alias("line_total"))
        .pipe(conform, BASKET_PRICES_SCHEMA)
        .sort("store_id", "product_id")
    )


BASKET_SCHEMA: dict[str, Any] = {
    "store_id": pl.Int64,
    "store_name": pl.String,
    "items_priced": pl.UInt32,
    "items_total": pl.UInt32,
    "coverage": pl.Float64,
    "basket_total": pl.Float64,
    "missing_value": pl.Float64,
    "estimated_total": pl.Float64,
    "is_cheapest": pl.Boolean,
}


def basket_comparison(
    bind: Bind,
    items: Mapping[int, float] | Sequence[int] | None = None,
    *,
    min_coverage: float = 0.5,
) -> pl.DataFrame:
    """The basket's total at each store, with coverage, so a gap never looks like a saving.

    ``basket_total`` sums the items the store has prices for; ``missing_value`` prices the
    other items at their latest price anywhere; ``estimated_total`` is their sum. The cheapest
    store (one row flagged ``is_cheapest``) is the lowest ``estimated_total`` among stores
    pricing at least ``min_coverage`` of the items; ties go to the better coverage, then the
    lower store id. Sorted by estimated total.
    """
    if not 0 <= min_coverage <= 1:
        raise ValueError("min_coverage must be between 0 and 1")
    basket = _basket_items(bind, items)
    n_items = basket.height
    prices = basket_prices(bind, dict(zip(basket["product_id"], basket["quantity"], strict=True)))
    if prices.is_empty():
        return _empty(BASKET_SCHEMA)
    anywhere = (
        prices.sort("date", "store_id")
        .group_by("product_id")
        .agg(pl.col("line_total").last().alias("fallback_total"))
    )
    stores = prices.select("store_id").unique()
    grid = stores.join(anywhere, how="cross").join(
        prices.select("store_id", "product_id", "line_total"),
        on=["store_id", "product_id"],
        how="left",
    )
    out = (
        grid.group_by("store_id")
        .agg(
            pl.col("line_total").is_not_null().sum().alias("items_priced"),
            pl.col("line_total").sum().round(2).alias("basket_total"),
            pl.when(pl.col("line_total").is_null())
            .then(pl.col("fallback_total"))
            .otherwise(0.0)
            .sum()
            .round(2)
            .alias("missing_value"),
        )
        .with_columns(
            pl.lit(n_items).alias("items_total"),
            (pl.col("items_priced") / n_items).alias("coverage"),
            (pl.col("basket_total") + pl.col("missing_value")).round(2).alias("estimated_total"),
        )
    )
    eligible = pl.col("coverage") >= min_coverage - 1e-12
    # One cheapest store: ties on the estimate go to the better coverage, then the lower id.
    out = out.sort(
        ["estimated_total", "coverage", "store_id"], descending=[False, True, False]
    ).with_columns(eligible.alias("_eligible"))
    first = pl.col("_eligible") & (pl.col("_eligible").cum_sum() == 1)
    out = out.with_columns(first.alias("is_cheapest"))
    return conform(with_names(out, bind), BASKET_SCHEMA)


# --------------------------------------------------------------------------------------------
# Personal inflation

INFLATION_ITEMS_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "category": pl.String,
    "base_price": pl.Float64,
    "current_price": pl.Float64,
    "pct_change": pl.Float64,
    "base_spend": pl.Float64,
    "weight": pl.Float64,
    "contribution": pl.Float64,
}


@dataclass(frozen=True)
class InflationResult:
    """The household's basket-weighted price change between two periods, and its drivers.

    ``rate_pct`` = sum over products bought in both periods of weight x price change (%),
    where weight = the product's share of base-period spend among those products; each item's
    ``contribution`` (percentage points) is its term in that sum, so the items add up to the
    rate. ``rate_pct`` is ``None`` when no product was bought in both periods.
    """

    rate_pct: float | None
    base_from: date
    base_to: date
    current_from: date
    current_to: date
    products_compared: int
    base_spend: float
    items: pl.DataFrame


def personal_inflation(
    bind: Bind,
    *,
    base_from: date | str | None = None,
    base_to: date | str | None = None,
    current_from: date | str | None = None,
    current_to: date | str | None = None,
    period_days: int = 90,
) -> InflationResult:
    """Personal inflation between a base and a current period (inclusive dates).

    Defaults: the current period is the ``period_days`` ending on the newest order, the base
    period the ``period_days`` before it. Prices are each product's mean unit price in a period.
    """
    if period_days < 1:
        raise ValueError("period_days must be at least 1")
    last = latest_date(bind)
    c_to = as_date(current_to, "current_to") or last
    if c_to is None:
        raise LookupError("no orders in the database")
    c_from = as_date(current_from, "current_from") or c_to - timedelta(days=period_days - 1)
    b_to = as_date(base_to, "base_to") or c_from - timedelta(days=1)
    b_from = as_date(base_from, "base_from") or b_to - timedelta(days=period_days - 1)
    if b_from > b_to or c_from > c_to:
        raise ValueError("each period must start on or before its end")
    if b_to >= c_from:
        raise ValueError("the base period must end before the current period starts")
    lines = charged_lines(
        bind,
        date_from=b_from,
        date_to=c_to,
        columns=("date", "product_id", "category", "unit_price", "line_total"),
    ).filter(pl.col("unit_price").is_not_null())
    base = (
        lines.filter(pl.col("date") <= b_to)
        .group_by("product_id")
        .agg(
            pl.col("unit_price").mean().alias("base_price"),
            pl.col("line_total").sum().alias("base_spend"),
            pl.col("category").first(),
        )
    )
    current = (
        lines.filter(pl.col("date") >= c_from)
        .group_by("product_id")
        .agg(pl.col("unit_price").mean().alias("current_price"))
    )
    both = base.join(current, on="product_id", how="inner").filter(pl.col("base_price") > 0)
    total = float(both.get_column("base_spend").sum() or 0.0)
    items = (
        both.with_columns(
            ((pl.col("current_price") / pl.col("base_price") - 1) * 100).alias("pct_change"),
            (pl.col("base_spend") / total if total > 0 else pl.lit(0.0)).alias("weight"),
        )
        .with_columns((pl.col("weight") * pl.col("pct_change")).alias("contribution"))
        .with_columns(pl.col("contribution").abs().alias("_abs"))
        .sort(["_abs", "product_id"], descending=[True, False])
    )
    items = conform(with_names(items, bind, stores=False), INFLATION_ITEMS_SCHEMA)
    rate = float(items.get_column("contribution").sum()) if items.height and total > 0 else None
    return InflationResult(rate, b_from, b_to, c_from, c_to, items.height, round(total, 2), items)


# --------------------------------------------------------------------------------------------
# Substitutes

SUBSTITUTES_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "brand": pl.String,
    "size_value": pl.Float64,
    "size_unit": pl.String,
    "unit_price": pl.Float64,
    "per_unit": pl.String,
    "price_per_unit": pl.Float64,
    "saving_pct": pl.Float64,
    "similarity": pl.Float64,
}


def substitutes(
    bind: Bind, product_id: int, *, limit: int = 10, min_similarity: float = 50.0
) -> pl.DataFrame:
    """Similar products (same category and measure, similar name) with a lower unit price.

    Compares the latest ``price_per_unit`` of each product; ``saving_pct`` = how much cheaper
    per unit than the product asked about; ``similarity`` is rapidfuzz's token-set ratio of the
    names (0-100). Ranked by saving. Empty when the product has no unit price yet.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    product = product_row(bind, product_id)
    frames = load_frames(bind)
    latest = (
        frames.purchases.filter(pl.col("category") == product["category"])
        .filter(pl.col("price_per_unit").is_not_null())
        .group_by("product_id")
        .agg(
            pl.col("unit_price").last(), pl.col("price_per_unit").last(), pl.col("per_unit").last()
        )
    )
    mine = latest.filter(pl.col("product_id") == int(product_id))
    if mine.is_empty():
        return _empty(SUBSTITUTES_SCHEMA)
    my_price, my_unit = mine.row(0, named=True)["price_per_unit"], mine["per_unit"][0]
    cheaper = latest.filter(
        pl.col("per_unit") == my_unit,
        pl.col("price_per_unit") < my_price,
        pl.col("product_id") != int(product_id),
    ).join(frames.products.drop("category"), on="product_id", how="left")
    if cheaper.is_empty():
        return _empty(SUBSTITUTES_SCHEMA)
    names = cheaper.get_column("product_name").to_list()
    scores = process.cdist(
        [product["product_name"]],
        names,
        scorer=fuzz.token_set_ratio,
        processor=utils.default_process,
    )[0]
    out = (
        cheaper.with_columns(
            pl.Series("similarity", [float(s) for s in scores]),
            ((1 - pl.col("price_per_unit") / my_price) * 100).alias("saving_pct"),
        )
        .filter(pl.col("similarity") >= min_similarity)
        .sort(["saving_pct", "product_id"], descending=[True, False])
        .head(limit)
    )
    return conform(out, SUBSTITUTES_SCHEMA)


# --------------------------------------------------------------------------------------------
# BLS reference: "your price vs the US average"

#: BLS item key -> (name pattern, exclusion pattern). A product matches an item when its name
#: matches the first and not the second, and its size converts to the item's unit.
BLS_MATCHERS: dict[str, tuple[str, str | None]] = {
    "milk": (
        r"\bmilk\b",
        r"almond|oat|soy|coconut|cashew|rice|condensed|evaporated|powder|dry|chocolate|"
        r"strawberry|creamer|buttermilk|goat|shake|bread|cookie|cereal|bar\b|yogh?urt|cheese|kefir",
    ),
    "eggs": (r"\beggs?\b", r"noodle|eggo|nog|egg whites?\b|substitute|roll|salad|plant|chocolate"),
    "bananas": (r"\bbananas?\b", r"chip|bread|pudding|dried|pepper|muffin|cream|baby|nut"),
    "butter": (r"\bbutter\b", r"peanut|almond|nut|cookie|popcorn|milk|bread|cup|flavor|spread"),
    "ground_beef": (r"ground\s+beef", None),
    "chicken_breast": (r"chicken\s+breasts?", r"breaded|nugget|tender|strip|fried|soup"),
    "bacon": (r"\bbacon\b", r"bits|turkey|flavor|chip|cheeseburger"),
    "white_bread": (r"white\s+bread|\bbread\b.*\bwhite\b", r"crumb|flour"),
    "wheat_bread": (r"wheat\s+bread|whole\s+wheat\b.*\bbread", r"crumb|flour"),
    "flour": (r"\bflour\b", r"tortilla|bread"),
    "rice": (
        r"\brice\b",
        r"krispies|cake|pudding|vinegar|milk|chex|noodle|cracker|bowl|cereal|ready|instant|minute",
    ),
    "pasta": (r"spaghetti|macaroni|penne|rotini|elbows?\b", r"sauce|cheese|dinner|salad|meal"),
    "sugar": (r"\bsugar\b", r"free|cookie|cereal|brown|powder|substitute|snap|pea"),
    "coffee": (r"\bcoffee\b", r"creamer|k-cup|pods?\b|instant|cold brew|drink|cake|filter"),
    "cheddar_cheese": (r"cheddar", r"cracker|goldfish|chip|soup|mac|popcorn|sauce|dip"),
    "american_cheese": (r"american\s+cheese|american\s+singles|\bsingles\b", None),
    "ice_cream": (r"ice\s+cream", r"sandwich|cone|bar\b|cake|topping"),
    "potatoes": (r"\bpotato(es)?\b", r"chip|salad|fries|tots|hash|mashed|crisp|sweet|bread"),
    "tomatoes": (r"\btomato(es)?\b", r"sauce|paste|soup|ketchup|diced|crushed|canned|juice"),
    "lettuce": (r"iceberg|\blettuce\b", r"romaine|salad"),
    "oranges": (r"\boranges?\b", r"juice|chicken|soda|marmalade|mandarin"),
    "lemons": (r"\blemons?\b", r"juice|lemonade|pepper|tea|cake|soda"),
    "grapefruit": (r"grapefruit", r"juice|soda"),
    "strawberries": (r"strawberr(y|ies)", r"yogurt|jam|jelly|preserve|syrup|milk|cereal|bar\b"),
    "yogurt": (r"\byogh?urt\b", r"covered|pretzel|raisin|bar\b|dog|bites|tube|drink"),
    "canned_corn": (r"\bcorn\b.*\b(can|kernel|cream)|whole\s+kernel", r"chip|flake|starch"),
    "dried_beans": (r"dried\s+\w*\s*beans|dry\s+\w*\s*beans", None),
    "cookies": (r"chocolate\s+chip\s+cookies?", None),
    "pork_chops": (r"pork\s+chops?", None),
    "boneless_ham": (
        r"\bham\b",
        r"hamburger|graham|deli|slice|luncheon|lunch|steak|spiral|bone-in",
    ),
    "beer": (r"\bbeer\b|\blager\b|\bale\b|\bipa\b", r"root beer|ginger"),
    "wine": (r"\bwine\b", r"vinegar|cooking|gum"),
    "soft_drinks_2l": (r"\b2\s*(l|liter|litre)\b", r"water|juice|tea"),
    "soft_drinks_12pk": (r"\b12\s*(pk|pack)\b.*\bcans?\b|\bcans?\b.*\b12\s*(pk|pack)\b", r"beer"),
}

BLS_MATCH_SCHEMA: dict[str, Any] = {
    "product_id": pl.Int64,
    "product_name": pl.String,
    "item": pl.String,
    "series_id": pl.String,
    "bls_unit": pl.String,
    "units_per_bls_unit": pl.Float64,
}


def bls_matches(bind: Bind) -> pl.DataFrame:
    """Products matched to BLS reference items, with how many of the product's canonical units
    (``per_unit``: oz, fl oz, ct) the BLS unit holds (e.g. 128 fl oz per gallon).

    A product matches when its category equals the item's, its name matches the item's
    pattern in :data:`BLS_MATCHERS`, and its size converts to the item's unit.
    """
    from walmart_lib.reference import BLS_ITEMS

    products = load_frames(bind).products.with_columns(
        pl.col("size_unit").replace_strict(PER_UNITS, default=None).alias("per_unit"),
        pl.col("product_name").str.to_lowercase().alias("_name"),
    )
    parts = []
    for key, (pattern, exclude) in BLS_MATCHERS.items():
        item = BLS_ITEMS.get(key)
        if item is None or not item.grocery:
            continue
        hit = products.filter(
            pl.col("category") == item.category,
            pl.col("_name").str.contains(pattern),
            pl.col("per_unit").is_not_null(),
        )
        if exclude is not None:
            hit = hit.filter(~pl.col("_name").str.contains(exclude))
        units = {u: item.amount_in(u) for u in ("oz", "fl oz", "ct", "each")}
        hit = hit.with_columns(
            pl.col("per_unit")
            .replace_strict(units, default=None, return_dtype=pl.Float64)
            .alias("units_per_bls_unit"),
            pl.lit(key).alias("item"),
            pl.lit(item.series_id).alias("series_id"),
            pl.lit(item.unit).alias("bls_unit"),
        ).filter(pl.col("units_per_bls_unit").is_not_null())
        parts.append(hit.select(list(BLS_MATCH_SCHEMA)))
    if not parts:
        return _empty(BLS_MATCH_SCHEMA)
    # A product that matches two items keeps the first (the table is ordered specific-first).
    out = pl.concat(parts).unique("product_id", keep="first", maintain_order=True)
    return conform(out, BLS_MATCH_SCHEMA).sort("item", "product_id")


BLS_SCHEMA: dict[str, Any] = {
    "month": pl.Date,
    "item": pl.String,
    "series_id": pl.String,
    "bls_unit": pl.String,
    "your_price": pl.Float64,
    "us_price": pl.Float64,
    "us_month": pl.Date,
    "difference": pl.Float64,
    "pct_vs_us": pl.Float64,
    "purchases": pl.UInt32,
    "products": pl.UInt32,
}


def bls_comparison(
    bind: Bind,
    *,
    item: str | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
) -> pl.DataFrame:
    """Your price vs the US average (BLS), per item and month, in the BLS unit.

    ``your_price`` = mean over the month's purchases of matched products of ``price_per_unit``
    x units per BLS unit (so a half gallon of milk at $2.10 is $4.20 per gallon). ``us_price``
    is the BLS average for that month; when the BLS has not published that month (the bundled
    series end in 2025-04) the most recent earlier month is used and ``us_month`` says which.
    ``pct_vs_us`` = (your - US) / US x 100. ``item`` is a key of
    :data:`walmart_lib.reference.BLS_ITEMS` (``ValueError`` if unknown).
    """
    from walmart_lib.reference import BLS_ITEMS, load_bls_prices

    if item is not None and item not in BLS_ITEMS:
        known = ", ".join(sorted(k for k, v in BLS_ITEMS.items() if v.grocery))
        raise ValueError(f"unknown BLS item {item!r}; known items: {known}")
    matches = bls_matches(bind)
    if item is not None:
        matches = matches.filter(pl.col("item") == item)
    if matches.is_empty():
        return _empty(BLS_SCHEMA)
    lines = charged_lines(
        bind,
        product_ids=matches.get_column("product_id").to_list(),
        date_from=date_from,
        date_to=date_to,
    ).filter(pl.col("price_per_unit").is_not_null())
    mine = (
        lines.join(matches.select("product_id", "item", "units_per_bls_unit"), on="product_id")
        .with_columns(
            pl.col("date").dt.truncate("1mo").alias("month"),
            (pl.col("price_per_unit") * pl.col("units_per_bls_unit")).alias("_bls_price"),
        )
        .group_by("item", "month")
        .agg(
            pl.col("_bls_price").mean().alias("your_price"),
            pl.len().alias("purchases"),
            pl.col("product_id").n_unique().alias("products"),
        )
        .sort("month")
    )
    if mine.is_empty():
        return _empty(BLS_SCHEMA)
    us = (
        load_bls_prices()
        .select("item", "series_id", pl.col("unit").alias("bls_unit"), "month", "price")
        .with_columns(pl.col("month").alias("us_month"))
        .rename({"price": "us_price"})
        .sort("month")
    )
    out = (
        mine.sort("item", "month")
        .join_asof(
            us.sort("item", "month"),
            on="month",
            by="item",
            strategy="backward",
            check_sortedness=False,  # sorted by (item, month) just above
        )
        .with_columns(
            (pl.col("your_price") - pl.col("us_price")).alias("difference"),
            ((pl.col("your_price") / pl.col("us_price") - 1) * 100).alias("pct_vs_us"),
        )
        .sort("item", "month")
    )
    return conform(out, BLS_SCHEMA)
