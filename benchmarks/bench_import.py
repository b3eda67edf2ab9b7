"""Import throughput: the bulk importer against the naive ORM path, on generated data.

Generates a canonical dataset of about ``--lines`` order lines (default 1,000,000), imports it
into a fresh SQLite file with ``walmart_lib.ingest.import_files``, then imports ``--naive-lines``
lines (default 20,000) of the same data the naive way: one ORM object and one flush per row.
Prints a final JSON line::

    {"lines": ..., "lines_per_s": ..., "naive_lines_per_s": ..., "ratio": ..., "peak_rss_mb": ...}

Run: ``.venv/bin/python benchmarks/bench_import.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from walmart_lib.db import Order, OrderLine, Product, ensure_schema, make_engine
from walmart_lib.ingest import import_files
from walmart_lib.ingest.canonical import iter_canonical
from walmart_lib.ingest.normalize import describe


def naive_import(path: Path, db_url: str, max_lines: int) -> tuple[int, float]:
    """One ORM object and one flush per row: what a straightforward importer does."""
    engine = make_engine(db_url)
    ensure_schema(engine)
    done = 0
    start = time.perf_counter()
    with Session(engine) as session, path.open("rb") as fh:
        products: dict[str, int] = {}
        for order in iter_canonical(fh, path.name, "America/New_York"):
            row = Order(
                id=order.order_id,
                order_date=order.order_date,
                utc_offset_minutes=order.utc_offset_minutes,
                subtotal_cents=order.subtotal_cents,
                grand_total_cents=order.grand_total_cents,
                tax_cents=order.tax_cents,
                source_format="canonical",
                has_prices=True,
            )
            session.add(row)
            session.flush()
            for number, line in enumerate(order.lines, start=1):
                key = line.us_item_id or line.name
                if key not in products:
                    info = describe(line.name)
                    product = Product(
                        us_item_id=line.us_item_id,
                        name=line.name,
                        name_key=info.key,
                        brand=info.brand,
                        size_value=info.size_value,
                        size_unit=info.size_unit,
                        category=info.category,
                    )
                    session.add(product)
                    session.flush()
                    products[key] = product.id
                session.add(
                    OrderLine(
                        order_id=order.order_id,
                        line_no=number,
                        product_id=products[key],
                        name=line.name,
                        quantity=line.quantity,
                        unit_price_cents=line.unit_price_cents,
                        line_total_cents=line.line_total_cents,
                        status=line.status,
                        weight_adjusted=line.weight_adjusted,
                    )
                )
                session.flush()
                done += 1
            if done >= max_lines:
                break
        session.commit()
    elapsed = time.perf_counter() - start
    engine.dispose()
    return done, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--naive-lines", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        tmpdir = Path(tmp)
        data = tmpdir / "history.jsonl"
        # The generator averages close to 10 lines per order; ask for enough orders.
        t0 = time.perf_counter()
        # In a subprocess, so the peak memory below is the importer's alone.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "walmart_lib.cli",
                "generate",
                "-q",
                "--orders",
                str(max(1, args.lines // 10)),
                "--seed",
                str(args.seed),
                "--out",
                str(data),
            ],
            check=True,
        )
        print(f"generated in {time.perf_counter() - t0:.1f} s")

        engine = make_engine(f"sqlite:///{tmpdir / 'bulk.db'}")
        ensure_schema(engine)
        t0 = time.perf_counter()
        report = import_files([data], engine, max_bytes=data.stat().st_size + 1)
        bulk_s = time.perf_counter() - t0
        assert report.ok, report.files[0].error
        lines = report.files[0].lines_added
        print(f"bulk import: {lines} lines in {bulk_s:.2f} s")
        engine.dispose()

        naive_lines, naive_s = naive_import(
            data, f"sqlite:///{tmpdir / 'naive.db'}", args.naive_lines
        )
        print(f"naive import: {naive_lines} lines in {naive_s:.2f} s")

    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "lines": lines,
        "lines_per_s": round(lines / bulk_s),
        "naive_lines_per_s": round(naive_lines / naive_s),
        "ratio": round((lines / bulk_s) / (naive_lines / naive_s), 1),
        "peak_rss_mb": round(rss_kb / 1024, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
