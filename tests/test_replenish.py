"""Purchase cycles, running low, suggested orders and the backtest, computed by hand.

=========== ===================================================
day         bought (quantity x unit price)
=========== ===================================================
2025-01-01  Stopped 1x2.00
2025-01-08  Stopped 1x2.00
2025-01-15  Stopped 1x2.00
2025-03-01  Coffee 1x5.00, Bread 2x3.00
2025-03-08  Coffee 2x5.00
2025-03-11  Bread 2x3.10, Rare 1x9.00
2025-03-15  Coffee 1x5.20, Bread 3x3.20, Rare 1x9.00
2025-03-22  Coffee 1x5.40, New 1x1.00
=========== ===================================================
Coffee: gaps 7, 7, 7 -> due Mar 29. Bread: gaps 10, 4 -> median 7 -> due Mar 22.
Stopped: due Jan 22. Rare: only two purchase days. New: one.
"""

from __future__ import annotations

import math
from datetime import date

import pytest
from analytics_helpers import add_order, add_products, add_stores
from sqlalchemy import Engine

from walmart_lib import replenish

COFFEE, BREAD, RARE, STOPPED, NEW = 1, 2, 3, 4, 5


@pytest.fixture
def history(sqlite_engine: Engine) -> Engine:
    add_stores(sqlite_engine, "Greer")
    add_products(
        sqlite_engine,
        ("Folgers Coffee 30.5 oz", "beverages", 30.5, "oz"),
        ("Nature's Own Bread 20 oz", "bakery & bread", 20.0, "oz"),
        ("Rare Spice 2 oz", "pantry", 2.0, "oz"),
        ("Stopped Snack 8 oz", "snacks", 8.0, "oz"),
        ("New Thing, each", "other", 1.0, "each"),
    )
    orders = [
        ("2025-01-01", [(STOPPED, 1, 200)]),
        ("2025-01-08", [(STOPPED, 1, 200)]),
        ("2025-01-15", [(STOPPED, 1, 200)]),
        ("2025-03-01", [(COFFEE, 1, 500), (BREAD, 2, 300)]),
        ("2025-03-08", [(COFFEE, 2, 500)]),
        ("2025-03-11", [(BREAD, 2, 310), (RARE, 1, 900)]),
        ("2025-03-15", [(COFFEE, 1, 520), (BREAD, 3, 320), (RARE, 1, 900)]),
        ("2025-03-22", [(COFFEE, 1, 540), (NEW, 1, 100)]),
    ]
    for n, (day, lines) in enumerate(orders):
        add_order(sqlite_engine, f"r{n}", day, 1, lines)
    return sqlite_engine


def test_purchase_cycles_by_hand(history: Engine) -> None:
    cycles = replenish.purchase_cycles(history, today="2025-03-24")
    assert cycles.columns == list(replenish.CYCLES_SCHEMA)
    assert cycles.get_column("product_id").to_list() == [STOPPED, BREAD, COFFEE]  # soonest due
    rows = {r["product_id"]: r for r in cycles.rows(named=True)}
    coffee, bread, stopped = rows[COFFEE], rows[BREAD], rows[STOPPED]
    assert coffee["purchases"] == 4 and coffee["median_interval_days"] == 7.0
    assert coffee["last_purchase"] == date(2025, 3, 22) and coffee["next_due"] == date(2025, 3, 29)
    assert coffee["days_until_due"] == 5 and coffee["days_overdue"] == 0
    assert coffee["usual_quantity"] == 1.0 and coffee["last_price"] == 5.40
    assert coffee["confidence"] == pytest.approx(3 / 4)  # three equal gaps: cv 0
    assert bread["median_interval_days"] == 7.0 and bread["next_due"] == date(2025, 3, 22)
    assert bread["days_until_due"] == -2 and bread["days_overdue"] == 2
    assert bread["usual_quantity"] == 2.0
    cv = math.sqrt(((10 - 7) ** 2 + (4 - 7) ** 2) / 1) / 7
    assert bread["confidence"] == pytest.approx(2 / 3 / (1 + cv))
    assert stopped["days_overdue"] == 61  # due Jan 22
    assert RARE not in rows and NEW not in rows


def test_purchase_cycles_default_today_and_min_purchases(history: Engine) -> None:
    cycles = replenish.purchase_cycles(history)  # today = newest order, Mar 22
    coffee = cycles.filter(cycles["product_id"] == COFFEE).row(0, named=True)
    assert coffee["days_until_due"] == 7
    two = replenish.purchase_cycles(history, min_purchases=2, today="2025-03-24")
    rare = two.filter(two["product_id"] == RARE).row(0, named=True)
    assert rare["median_interval_days"] == 4.0 and rare["next_due"] == date(2025, 3, 19)
    with pytest.raises(ValueError, match="min_purchases"):
        replenish.purchase_cycles(history, min_purchases=1)


def test_purchase_cycles_empty_database(sqlite_engine: Engine) -> None:
    cycles = replenish.purchase_cycles(sqlite_engine)
    assert cycles.is_empty() and cycles.columns == list(replenish.CYCLES_SCHEMA)


def test_running_low(history: Engine) -> None:
    low = replenish.running_low(history, within_days=3, today="2025-03-24")
    assert low.get_column("product_id").to_list() == [STOPPED, BREAD]
    wider = replenish.running_low(history, within_days=5, today="2025-03-24")
    assert wider.get_column("product_id").to_list() == [STOPPED, BREAD, COFFEE]
    with pytest.raises(ValueError, match="within_days"):
        replenish.running_low(history, within_days=-1)


def test_order_gap_days(history: Engine) -> None:
    from walmart_lib.analytics_frames import load_frames

    orders = load_frames(history).orders
    # Gaps 7, 7, 45, 7, 3, 4, 7 -> median 7.
    assert replenish.order_gap_days(orders, date(2025, 3, 24)) == 7.0
    assert replenish.order_gap_days(orders, date(2025, 1, 1)) is None


def test_suggest_order(history: Engine) -> None:
    suggestion = replenish.suggest_order(history, today="2025-03-24", min_confidence=0)
    assert suggestion.columns == list(replenish.SUGGESTION_SCHEMA)
    # Horizon = median gap between order days (7): coffee (due in 5) and bread (overdue 2);
    # the snack overdue by 61 days (> 1.5 x its 7-day cycle) is no longer bought.
    assert suggestion.get_column("product_id").to_list() == [BREAD, COFFEE]
    bread = suggestion.row(0, named=True)
    assert bread["quantity"] == 2.0 and bread["unit_price"] == 3.20 and bread["line_total"] == 6.40
    narrow = replenish.suggest_order(history, today="2025-03-24", horizon_days=3, min_confidence=0)
    assert narrow.get_column("product_id").to_list() == [BREAD]
    patient = replenish.suggest_order(
        history, today="2025-03-24", max_overdue_cycles=10, min_confidence=0
    )
    assert patient.get_column("product_id").to_list() == [STOPPED, BREAD, COFFEE]
    # Default threshold 0.6: coffee (0.75) stays, bread (0.415, irregular gaps) goes.
    default = replenish.suggest_order(history, today="2025-03-24")
    assert default.get_column("product_id").to_list() == [COFFEE]
    with pytest.raises(ValueError, match="must not be negative"):
        replenish.suggest_order(history, horizon_days=-1)


def test_backtest_by_hand(history: Engine) -> None:
    one = replenish.backtest(history, last_k=1, min_confidence=0)
    # Mar 22 predicted from Mar 21: coffee and bread due (Mar 22); bought coffee and New.
    assert one.orders.rows() == [(date(2025, 3, 22), 2, 2, 1)]
    assert (one.precision, one.recall, one.f1) == (0.5, 0.5, 0.5)
    repeat = replenish.backtest(history, last_k=1, only_repeat_products=True, min_confidence=0)
    assert (repeat.precision, repeat.recall) == (0.5, 1.0)  # New had no cycle to predict
    two = replenish.backtest(history, last_k=2, min_confidence=0)
    # Mar 15: nothing has three purchase days yet (0 predicted; coffee, bread, rare bought).
    assert two.orders.rows()[0] == (date(2025, 3, 15), 0, 3, 0)
    assert two.precision == 0.5 and two.recall == pytest.approx(1 / 5)
    assert two.f1 == pytest.approx(2 * 0.5 * 0.2 / 0.7)
    assert two.as_dict() == {"precision": 0.5, "recall": 0.2, "f1": 0.2857}
    # With the default threshold only coffee (3 equal gaps: 0.75 > 0.6) is predicted on Mar 22.
    assert replenish.backtest(history, last_k=1).orders.rows() == [(date(2025, 3, 22), 1, 2, 1)]


def test_backtest_needs_history(sqlite_engine: Engine) -> None:
    with pytest.raises(LookupError, match="at least two order days"):
        replenish.backtest(sqlite_engine)
    with pytest.raises(ValueError, match="last_k"):
        replenish.backtest(sqlite_engine, last_k=0)


def test_sample_staples_have_cycles_and_backtest(sample_engine: Engine) -> None:
    cycles = replenish.purchase_cycles(sample_engine)
    names = cycles.get_column("product_name").to_list()
    for staple in ("Whole Vitamin D Milk", "Large White Eggs", "Banana", "White Bread"):
        assert any(staple in n for n in names), staple
    assert (cycles.get_column("purchases") >= 3).all()
    result = replenish.backtest(sample_engine, last_k=10)
    assert result.orders.height == 10
    assert 0 < result.precision <= 1 and 0 < result.recall <= 1
    hits = result.orders.get_column("hits").sum()
    assert result.precision == hits / result.orders.get_column("predicted").sum()
