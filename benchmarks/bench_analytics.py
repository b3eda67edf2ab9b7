"""Analytics speed: our polars functions against a straightforward pandas version of each.

On a generated SQLite database of about ``--lines`` order lines (default 1,000,000; pass
``--db`` to reuse one), times five queries, median of ``--runs`` runs each:

- ``price_history``: every price paid for the most-bought product,
- ``monthly_spend``: spend by month and category over one year (2024),
- ``basket``: store comparison for a 30-item basket (the 30 most-bought products),
- ``deals``: deals over all products,
- ``replenish``: purchase cycles for all products.

Ours run on the frames :mod:`walmart_lib.analytics_frames` caches per data version (the cache
is built once, timed separately: ``cold_read_ms`` reading the tables, ``cold_load_ms`` that plus
the derived purchase frames; ``price_history_uncached_ms`` is the SQL fast path with no cache
at all). The pandas versions are what one would write without that
module: ``pd.read_sql`` of a parameterised query (filters pushed into SQL where they exist)
and pandas group-bys, per call (``<query>_pandas_ms``); ``<query>_pandas_inmem_ms`` runs the
same pandas code on frames already in memory, to separate reading from computing. The last
line printed is JSON.

Run: ``.venv/bin/python benchmarks/bench_analytics.py`` (generates ~1M lines first, about two
minutes on 2 cores) or ``... --db /path/to/walmart.db``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
from sqlalchemy import Engine, bindparam, text

from walmart_lib import analytics_frames, pricing, replenish, spending
from walmart_lib.db import ensure_schema, make_engine

YEAR_FROM, YEAR_TO = date(2024, 1, 1), date(2024, 12, 31)

LINES_SQL = """
SELECT l.id AS line_id, l.order_id, o.order_date, o.store_id, l.product_id, p.category,
       p.size_value, p.size_unit, l.quantity, l.unit_price_cents, l.line_total_cents
FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id
WHERE l.status = 'charged'
"""


def build_database(path: Path, lines: int, seed: int) -> None:
    from walmart_lib.ingest import import_files
    from walmart_lib.ingest.generate import write_dataset

    data = path.with_suffix(".jsonl")
    t0 = time.perf_counter()
    # The generator averages about 9.8 lines per order.
    write_dataset(
        data, orders=int(lines / 9.8), seed=seed, start=date(2022, 1, 1), end=date(2025, 8, 31)
    )
    engine = make_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    report = import_files([data], engine, max_bytes=data.stat().st_size + 1)
    assert report.ok, report
    engine.dispose()
    data.unlink()
    print(f"built {path} in {time.perf_counter() - t0:.0f} s")


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


# ------------------------------------------------------------------------------ pandas versions


def _read(engine: Engine, where: str = "", params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Charged lines through ``pd.read_sql``; ``where`` is a fixed clause with bound values."""
    stmt = text(LINES_SQL + where)
    if "ids" in (params or {}):
        stmt = stmt.bindparams(bindparam("ids", expanding=True))
    with engine.connect() as conn:
        df = pd.read_sql(stmt, conn, params=params or {})
    return _prepare(df)


def _prepare(df: pd.DataFrame) -> pd.DataFrame:
    df["order_date"] = pd.to_datetime(df["order_date"])
    df["date"] = df["order_date"].dt.normalize()
    df["unit_price"] = df["unit_price_cents"] / 100
    df["line_total"] = df["line_total_cents"] / 100
    return df


def pd_price_history(df: pd.DataFrame) -> pd.DataFrame:
    size = df["size_value"].where(df["size_value"] > 0)
    per = np.where(df["size_unit"] == "lb", df["unit_price"] / 16, df["unit_price"] / size)
    return df.assign(price_per_unit=per).sort_values(["order_date", "order_id"])


def pd_monthly(df: pd.DataFrame) -> pd.DataFrame:
    df = df.assign(period=df["order_date"].dt.to_period("M"))
    return df.groupby(["period", "category"]).agg(
        spend=("line_total", "sum"), orders=("order_id", "nunique"), lines=("line_id", "size")
    )


def pd_basket(df: pd.DataFrame, basket: dict[int, float]) -> pd.DataFrame:
    df = df[df["store_id"].notna()].sort_values(["order_date", "line_id"])
    latest = df.groupby(["product_id", "store_id"], as_index=False).last()
    latest["qty"] = latest["product_id"].map(basket)
    latest["line"] = (latest["unit_price"] * latest["qty"]).round(2)
    fallback = latest.sort_values("order_date").groupby("product_id")["line"].last()
    grid = latest.pivot(index="store_id", columns="product_id", values="line")
    priced = grid.notna().sum(axis=1)
    missing = grid.isna().mul(fallback, axis=1).sum(axis=1)
    out = pd.DataFrame(
        {
            "items_priced": priced,
            "coverage": priced / len(basket),
            "basket_total": grid.sum(axis=1),
            "missing_value": missing,
        }
    )
    out["estimated_total"] = out["basket_total"] + out["missing_value"]
    return out.sort_values("estimated_total")


def pd_deals(df: pd.DataFrame, window: int = 8) -> pd.DataFrame:
    buys = (
        df.groupby(["product_id", "order_id"], as_index=False)
        .agg(order_date=("order_date", "first"), unit_price=("unit_price", "mean"))
        .sort_values(["product_id", "order_date"])
    )
    buys["back"] = buys.groupby("product_id").cumcount(ascending=False)
    latest = buys[buys["back"] == 0].set_index("product_id")
    prior = buys[(buys["back"] >= 1) & (buys["back"] <= window)]
    typical = prior.groupby("product_id")["unit_price"].agg(["median", "size"])
    typical = typical[typical["size"] >= 2]
    lowest = buys.groupby("product_id")["unit_price"].min()
    out = latest.join(typical, how="inner").join(lowest.rename("lowest"))
    out["discount_pct"] = (out["median"] - out["unit_price"]) / out["median"] * 100
    out["tier"] = pd.cut(
        out["discount_pct"],
        [5, 10, 20, 30, np.inf],
        right=False,
        labels=["5%", "10%", "20%", "30%"],
    )
    low = (out["unit_price"] < out["median"]) & (out["unit_price"] <= out["lowest"] * 1.02)
    return out[out["tier"].notna() | low].sort_values("discount_pct", ascending=False)


def pd_replenish(df: pd.DataFrame, today: pd.Timestamp) -> pd.DataFrame:
    days = (
        df.groupby(["product_id", "date"], as_index=False)["quantity"]
        .sum()
        .sort_values(["product_id", "date"])
    )
    days["gap"] = days.groupby("product_id")["date"].diff().dt.days
    cycles = days.groupby("product_id").agg(
        purchases=("date", "size"),
        last_purchase=("date", "max"),
        interval=("gap", "median"),
        usual_quantity=("quantity", "median"),
    )
    cycles = cycles[cycles["purchases"] >= 3]
    cycles["next_due"] = cycles["last_purchase"] + pd.to_timedelta(
        cycles["interval"].round(), unit="D"
    )
    cycles["days_until_due"] = (cycles["next_due"] - today).dt.days
    return cycles.sort_values("days_until_due")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing SQLite database to measure")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--pandas-runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as tmp:
        path = args.db or Path(tmp) / "bench.db"
        if args.db is None:
            build_database(path, args.lines, args.seed)
        engine = make_engine(f"sqlite:///{path}")
        ensure_schema(engine)
        results = run(engine, args.runs, args.pandas_runs)
        engine.dispose()
    print(json.dumps(results))


def run(engine: Engine, runs: int, pandas_runs: int) -> dict[str, Any]:
    analytics_frames.clear_cache()
    with engine.connect() as conn:
        n_lines = conn.execute(text("SELECT count(*) FROM order_lines")).scalar()
        top = (
            conn.execute(
                text(
                    "SELECT product_id FROM order_lines WHERE status = 'charged' "
                    "GROUP BY product_id ORDER BY count(*) DESC, product_id LIMIT 30"
                )
            )
            .scalars()
            .all()
        )
    product = int(top[0])
    basket = {int(p): 1.0 for p in top}
    print(f"{n_lines} lines; product {product}; basket of {len(basket)}")

    results: dict[str, Any] = {"lines": n_lines}
    t0 = time.perf_counter()
    history_uncached = pricing.price_history(engine, product)
    results["price_history_uncached_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    t0 = time.perf_counter()
    frames = analytics_frames.load_frames(engine)
    results["cold_read_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    # The derived frames (purchases, purchase days, latest prices) are built on first use;
    # count them in the one-off cost rather than in whichever query happens to come first.
    _ = frames.purchases, frames.purchase_days, frames.latest_prices
    results["cold_load_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    today = pd.Timestamp(frames.orders.get_column("date").max())

    ours: dict[str, Callable[[], Any]] = {
        "price_history": lambda: pricing.price_history(engine, product),
        "monthly_spend": lambda: spending.spend_by(
            engine, ["month", "category"], date_from=YEAR_FROM, date_to=YEAR_TO
        ),
        "basket": lambda: pricing.basket_comparison(engine, basket),
        "deals": lambda: pricing.deals(engine),
        "replenish": lambda: replenish.purchase_cycles(engine),
    }
    in_sql: dict[str, Callable[[], pd.DataFrame]] = {
        "price_history": lambda: pd_price_history(
            _read(engine, " AND l.product_id = :p", {"p": product})
        ),
        "monthly_spend": lambda: pd_monthly(
            _read(
                engine,
                " AND o.order_date >= :a AND o.order_date < :b",
                {"a": str(YEAR_FROM), "b": "2025-01-01"},
            )
        ),
        "basket": lambda: pd_basket(
            _read(engine, " AND l.product_id IN :ids", {"ids": list(basket)}), basket
        ),
        "deals": lambda: pd_deals(_read(engine)),
        "replenish": lambda: pd_replenish(_read(engine), today),
    }
    everything = _prepare(
        frames.lines.select(
            "line_id",
            "order_id",
            "order_date",
            "store_id",
            "product_id",
            "category",
            "size_value",
            "size_unit",
            "quantity",
            (pl.col("unit_price") * 100).round(0).alias("unit_price_cents"),
            (pl.col("line_total") * 100).round(0).alias("line_total_cents"),
        ).to_pandas()
    )
    year = everything[
        (everything["order_date"] >= pd.Timestamp(YEAR_FROM))
        & (everything["order_date"] < pd.Timestamp("2025-01-01"))
    ]
    in_memory: dict[str, Callable[[], pd.DataFrame]] = {
        "price_history": lambda: pd_price_history(everything[everything["product_id"] == product]),
        "monthly_spend": lambda: pd_monthly(year),
        "basket": lambda: pd_basket(everything[everything["product_id"].isin(basket)], basket),
        "deals": lambda: pd_deals(everything),
        "replenish": lambda: pd_replenish(everything, today),
    }
    checks = {
        "price_history": (len(history_uncached), len(in_sql["price_history"]())),
        "deals": (pricing.deals(engine).height, len(in_memory["deals"]())),
        "replenish": (replenish.purchase_cycles(engine).height, len(in_memory["replenish"]())),
    }
    print("row counts (ours, pandas):", checks)
    for name, fn in ours.items():
        results[f"{name}_ms"] = median_ms(fn, runs)
        results[f"{name}_pandas_ms"] = median_ms(in_sql[name], pandas_runs)
        results[f"{name}_pandas_inmem_ms"] = median_ms(in_memory[name], pandas_runs)
        print(
            f"{name:>14}: ours {results[f'{name}_ms']:8.2f} ms | pandas from SQL "
            f"{results[f'{name}_pandas_ms']:9.2f} ms | pandas in memory "
            f"{results[f'{name}_pandas_inmem_ms']:8.2f} ms",
            flush=True,
        )
    return results


if __name__ == "__main__":
    main()
