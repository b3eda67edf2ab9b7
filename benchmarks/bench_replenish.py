"""Re-order prediction quality: backtest :func:`walmart_lib.replenish.suggest_order`.

Generates one household's history (``--orders`` orders, default 200, about four years of
weekly-ish shopping) with the project's generator, imports it into a temporary SQLite file,
then replays the last ``--last-k`` order days (default 20): each is predicted from the days
before it (:func:`walmart_lib.replenish.backtest`) and compared with what was actually bought.
Micro-averaged over all replayed days. For context it also prints two variants (scoring only
products that already had a cycle; no confidence threshold) and a naive
baseline ("buy again whatever the previous order had"), then, as the last line, the JSON
``{"precision": ..., "recall": ..., "f1": ...}`` of the default suggestion.

Run: ``.venv/bin/python benchmarks/bench_replenish.py [--orders 200 --seed 7 --last-k 20]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import polars as pl
from sqlalchemy import Engine

from walmart_lib import replenish
from walmart_lib.analytics_frames import load_frames
from walmart_lib.db import ensure_schema, make_engine
from walmart_lib.ingest import import_files
from walmart_lib.ingest.generate import write_dataset


def previous_order_baseline(engine: Engine, last_k: int) -> dict[str, float]:
    """Predict each replayed day's products as the previous order day's products."""
    days = load_frames(engine).purchase_days
    order_days = days.get_column("date").unique().sort().to_list()
    hits = predicted = actual = 0
    for before, day in zip(order_days[-last_k - 1 : -1], order_days[-last_k:], strict=True):
        guess = set(days.filter(pl.col("date") == before).get_column("product_id").to_list())
        truth = set(days.filter(pl.col("date") == day).get_column("product_id").to_list())
        hits, predicted, actual = (
            hits + len(guess & truth),
            predicted + len(guess),
            actual + len(truth),
        )
    precision, recall = hits / predicted, hits / actual
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--last-k", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-replenish-") as tmp:
        data = Path(tmp) / "history.jsonl"
        write_dataset(data, orders=args.orders, seed=args.seed)
        engine = make_engine(f"sqlite:///{Path(tmp) / 'history.db'}")
        ensure_schema(engine)
        report = import_files([data], engine)
        assert report.ok, report
        frames = load_frames(engine)
        print(
            f"{frames.orders.height} orders, {frames.lines.height} charged lines, "
            f"{frames.orders.get_column('date').min()} .. {frames.orders.get_column('date').max()}"
        )
        default = replenish.backtest(engine, last_k=args.last_k)
        repeat = replenish.backtest(engine, last_k=args.last_k, only_repeat_products=True)
        everything = replenish.backtest(engine, last_k=args.last_k, min_confidence=0.0)
        print("scored on products that already had a cycle:", repeat.as_dict())
        print("no confidence threshold:", everything.as_dict())
        print("baseline, repeat the previous order:", previous_order_baseline(engine, args.last_k))
        engine.dispose()
    print(json.dumps(default.as_dict()))


if __name__ == "__main__":
    main()
