"""The ``walmart`` command as a user runs it: exit codes, summaries, stats JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from walmart_lib.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "walmart_formats"


def test_import_prints_summary_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "-q", str(FIXTURES / "order-detail.json")]) == 0
    out, err = capsys.readouterr()
    assert "order-detail.json" in out and "imported" in out
    assert "warning" in err and "$18.53" in err


def test_import_exits_2_when_a_file_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"props": {')
    code = main(["import", "-q", str(bad), str(FIXTURES / "purchase-history.json")])
    out, err = capsys.readouterr()
    assert code == 2
    assert "broken.json" in err and "line 1" in err and "invalid JSON" in err
    assert "purchase-history.json" in out  # the good file was still imported
    main(["stats", "--json"])
    stats = json.loads(capsys.readouterr().out)
    assert stats["orders"] == 2


def test_stats_json_on_an_empty_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "orders": 0,
        "products": 0,
        "lines": 0,
        "stores": 0,
        "items_spend": 0.0,
        "orders_total": 0.0,
        "first_order": None,
        "last_order": None,
    }


def test_stats_after_import(capsys: pytest.CaptureFixture[str]) -> None:
    main(
        [
            "import",
            "-q",
            str(FIXTURES / "order-detail.json"),
            str(FIXTURES / "purchase-history.json"),
        ]
    )
    capsys.readouterr()
    main(["stats", "--json"])
    stats = json.loads(capsys.readouterr().out)
    assert stats["items_spend"] == 9.58
    assert stats["orders_total"] == 33.53  # 24.11 (tip excluded) + 9.42
    assert (stats["orders"], stats["products"], stats["lines"]) == (2, 4, 4)
    assert stats["first_order"] == "2026-06-15T11:05:00"
    main(["stats"])
    assert "items_spend" in capsys.readouterr().out


def test_console_script_runs_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "WALMART_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "walmart_lib.cli", "stats", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["orders"] == 0
