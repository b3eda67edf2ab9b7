"""A ``kill -9`` of ``walmart import`` mid-file leaves no partial order behind (subprocess)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "walmart_formats" / "order-detail.json"


def _big_canonical(path: Path, orders: int) -> None:
    line = {
        "name": "Great Value Large White Eggs, 12 Count",
        "us_item_id": "145051970",
        "quantity": 1,
        "unit_price": "3.00",
        "line_total": "3.00",
        "status": "charged",
    }
    with path.open("w") as fh:
        fh.write(json.dumps({"format": "walmart-grocery-canonical", "version": 1}) + "\n")
        for i in range(orders):
            order = {
                "order_id": f"K{i:08d}",
                "order_date": "2025-05-01T09:30:00-04:00",
                "subtotal": "30.00",
                "lines": [{**line, "us_item_id": str(100000 + (i + j) % 500)} for j in range(10)],
            }
            fh.write(json.dumps(order) + "\n")


@pytest.mark.slow
def test_kill_9_mid_import_leaves_nothing_partial(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    env = {
        **os.environ,
        "WALMART_DATABASE_URL": f"sqlite:///{db}",
        "WALMART_HOME": str(tmp_path / "home"),
    }
    walmart = [sys.executable, "-m", "walmart_lib.cli"]
    subprocess.run(
        [*walmart, "import", "-q", str(FIXTURE)], env=env, check=True, capture_output=True
    )
    big = tmp_path / "big.jsonl"
    _big_canonical(big, 40_000)
    proc = subprocess.Popen(
        [*walmart, "import", "-q", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wal = db.with_name(db.name + "-wal")
    deadline = time.monotonic() + 120
    # Wait until the import has written well into its transaction, then kill it hard.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "import finished before it could be killed; make the file larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        orders = conn.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
        partial = conn.execute("SELECT COUNT(*) FROM orders WHERE id LIKE 'K%'").fetchone()[0]
        lines = conn.execute("SELECT COUNT(*) FROM order_lines").fetchone()[0]
    finally:
        conn.close()
    assert partial == 0
    assert (orders, lines) == (1, 3)  # the earlier import is intact, nothing else
