"""Spending and budgets on the hand-built household (analytics_helpers.build_household).

Order totals: o1 9.29 (Mar 1), o2 7.12 (Mar 8), o3 6.07 (Mar 15), o4 9.70 (Apr 15) = 32.18.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from analytics_helpers import GREENVILLE, MILK_GAL, MILK_HALF, SPARTANBURG, build_household
from sqlalchemy import Engine

from walmart_lib import spending
from walmart_lib.db import OVERALL_BUDGET


@pytest.fixture
def household(sqlite_engine: Engine) -> Engine:
    build_household(sqlite_engine)
    return sqlite_engine


def test_money_rounds_half_up() -> None:
    assert spending.money(32.18 / 4) == 8.05  # float 8.045 would round to 8.04
    assert spending.money(Decimal("2.675")) == 2.68


def test_parse_month() -> None:
    assert spending.parse_month("2025-03") == date(2025, 3, 1)
    assert spending.parse_month("2025-03-19") == date(2025, 3, 1)
    assert spending.parse_month(date(2025, 12, 31)) == date(2025, 12, 1)
    with pytest.raises(ValueError, match="YYYY-MM"):
        spending.parse_month("March")


def test_spend_by_month(household: Engine) -> None:
    months = spending.spend_by(household, "month")
    assert months.columns == ["period", "spend", "orders", "lines", "share_pct"]
    assert months.get_column("period").to_list() == [date(2025, 3, 1), date(2025, 4, 1)]
    assert months.get_column("spend").to_list() == [22.48, 9.70]
    assert months.get_column("orders").to_list() == [3, 1]
    assert months.get_column("lines").to_list() == [8, 3]  # the unavailable eggs not counted
    assert months.get_column("share_pct").to_list() == pytest.approx(
        [22.48 / 32.18 * 100, 9.70 / 32.18 * 100]
    )


def test_spend_by_week_and_day_zero_filled(household: Engine) -> None:
    weeks = spending.spend_by(household, "week")
    # Mondays from the week of Sat Mar 1 (Feb 24) to the week of Tue Apr 15 (Apr 14).
    assert weeks.height == 8
    assert weeks.get_column("period")[0] == date(2025, 2, 24)
    assert weeks.get_column("spend").to_list() == [9.29, 7.12, 6.07, 0, 0, 0, 0, 9.70]
    days = spending.spend_by(household, "day")
    assert days.height == 46  # Mar 1 .. Apr 15
    assert days.get_column("spend").sum() == pytest.approx(32.18)


def test_spend_by_category_store_product(household: Engine) -> None:
    cats = spending.spend_by(household, "category")
    assert cats.rows() == [
        ("dairy & eggs", 30.35, 4, 9, pytest.approx(30.35 / 32.18 * 100)),
        ("produce", 1.83, 2, 2, pytest.approx(1.83 / 32.18 * 100)),
    ]
    stores = spending.spend_by(household, "store")
    assert stores.select("store_id", "store_name", "spend", "orders").rows() == [
        (SPARTANBURG, "Spartanburg Supercenter", 25.06, 3),
        (GREENVILLE, "Greenville Supercenter", 7.12, 1),
    ]
    products = spending.spend_by(household, "product")
    assert products.get_column("product_id").to_list()[:2] == [MILK_GAL, MILK_HALF]
    assert products.get_column("spend").to_list()[:2] == [14.34, 8.39]


def test_spend_by_month_and_category_with_filters(household: Engine) -> None:
    table = spending.spend_by(household, ["month", "category"])
    assert table.select("period", "category", "spend").rows() == [
        (date(2025, 3, 1), "dairy & eggs", 20.65),
        (date(2025, 3, 1), "produce", 1.83),
        (date(2025, 4, 1), "dairy & eggs", 9.70),
    ]
    produce = spending.spend_by(household, "month", category="produce")
    assert produce.get_column("spend").to_list() == [1.83]
    greenville = spending.spend_by(household, "store", store_id=GREENVILLE)
    assert greenville.get_column("spend").to_list() == [7.12]
    mid = spending.spend_by(household, "month", date_from="2025-03-08", date_to="2025-03-15")
    assert mid.get_column("spend").to_list() == [13.19]


def test_spend_by_bad_params_and_empty(household: Engine) -> None:
    with pytest.raises(ValueError, match="cannot group spend by 'year'"):
        spending.spend_by(household, "year")
    with pytest.raises(ValueError, match="dimension name or a list"):
        spending.spend_by(household, 2025)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at most one period"):
        spending.spend_by(household, ["day", "month"])
    with pytest.raises(ValueError, match="after date_to"):
        spending.spend_by(household, "month", date_from="2025-05-01", date_to="2025-04-01")
    empty = spending.spend_by(household, "category", date_from="2024-01-01", date_to="2024-12-31")
    assert empty.is_empty() and empty.columns == [
        "category",
        "spend",
        "orders",
        "lines",
        "share_pct",
    ]


def test_spending_summary(household: Engine) -> None:
    summary = spending.spending_summary(household)
    assert (summary.spend, summary.orders, summary.lines) == (32.18, 4, 11)
    assert summary.average_per_order == 8.05  # 32.18 / 4 = 8.045, half up
    assert summary.months == 2 and summary.average_per_month == 16.09
    assert summary.tax == 1.90  # 0.50 + 0.43 + 0.37 + 0.60
    assert (summary.date_from, summary.date_to) == (date(2025, 3, 1), date(2025, 4, 15))
    march = spending.spending_summary(household, date_from="2025-03-01", date_to="2025-03-31")
    assert march.spend == 22.48 and march.orders == 3 and march.average_per_order == 7.49
    none = spending.spending_summary(household, date_from="2030-01-01")
    assert none.spend == 0 and none.orders == 0 and none.average_per_month == 0


def test_top_products(household: Engine) -> None:
    top = spending.top_products(household, 2)
    assert top.get_column("product_id").to_list() == [MILK_GAL, MILK_HALF]
    gallon = top.row(0, named=True)
    assert gallon["spend"] == 14.34 and gallon["quantity"] == 4 and gallon["orders"] == 4
    assert gallon["average_price"] == pytest.approx(14.34 / 4, abs=0.006)
    by_qty = spending.top_products(household, 3, rank_by="quantity")
    assert by_qty.get_column("quantity").to_list() == [4.0, 4.0, 3.5]  # banana 2.5 + 1 lb
    with pytest.raises(ValueError, match="rank_by"):
        spending.top_products(household, rank_by="price")


def test_month_over_month(household: Engine) -> None:
    april = spending.month_over_month(household, "2025-04")
    assert april.rows() == [
        ("dairy & eggs", 9.70, 20.65, -10.95, pytest.approx(-10.95 / 20.65 * 100)),
        ("produce", 0.0, 1.83, -1.83, pytest.approx(-100.0)),
    ]
    assert spending.month_over_month(household).equals(april)  # default: newest month
    march = spending.month_over_month(household, "2025-03", by="store")
    assert march.get_column("previous_spend").to_list() == [0.0, 0.0]
    assert march.get_column("pct_change").null_count() == 2  # nothing in February
    assert spending.month_over_month(household, "2024-01").is_empty()
    with pytest.raises(ValueError, match="by must be"):
        spending.month_over_month(household, by="week")


# ---------------------------------------------------------------------------- budgets


def test_budget_crud(household: Engine) -> None:
    assert spending.budgets(household).is_empty()
    spending.set_budget(household, "produce", 5)
    spending.set_budget(household, OVERALL_BUDGET, "30")
    spending.set_budget(household, "produce", Decimal("6.50"))  # updates, not a second row
    assert spending.budgets(household).rows() == [("all", 30.0), ("produce", 6.5)]
    spending.delete_budget(household, "produce")
    assert spending.budgets(household).rows() == [("all", 30.0)]
    with pytest.raises(LookupError, match="no budget"):
        spending.delete_budget(household, "produce")
    with pytest.raises(ValueError, match="unknown budget category 'candy'"):
        spending.set_budget(household, "candy", 10)
    with pytest.raises(ValueError, match="positive"):
        spending.set_budget(household, "produce", -1)
    with pytest.raises(ValueError, match="not an amount"):
        spending.set_budget(household, "produce", "ten dollars")


def test_budget_status_mid_month_projection(household: Engine) -> None:
    spending.set_budget(household, OVERALL_BUDGET, 30)
    spending.set_budget(household, "dairy & eggs", 20)
    spending.set_budget(household, "produce", 5)
    status = spending.budget_status(household, "2025-03", today="2025-03-10")
    rows = {r["category"]: r for r in status.rows(named=True)}
    overall = rows["all"]
    # By Mar 10: o1 9.29 + o2 7.12 = 16.41 in 10 of 31 days -> 16.41 / 10 x 31 = 50.871.
    assert overall["spent"] == 16.41 and overall["remaining"] == 13.59
    assert overall["pct_used"] == pytest.approx(16.41 / 30 * 100)
    assert (overall["days_in_month"], overall["days_elapsed"], overall["days_left"]) == (31, 10, 21)
    assert overall["projected"] == 50.87
    assert overall["at_risk"] and not overall["over"] and overall["status"] == "at risk"
    dairy = rows["dairy & eggs"]
    assert dairy["spent"] == 15.16 and dairy["projected"] == 47.0  # 15.16 / 10 x 31 = 46.996
    produce = rows["produce"]
    assert produce["spent"] == 1.25 and produce["projected"] == 3.88
    assert produce["status"] == "on track"


def test_budget_status_past_future_and_defaults(household: Engine) -> None:
    spending.set_budget(household, OVERALL_BUDGET, 30)
    spending.set_budget(household, "dairy & eggs", 20)
    past = {r["category"]: r for r in spending.budget_status(household, "2025-03").rows(named=True)}
    # Today defaults to the newest order (Apr 15): March is over, all 31 days elapsed.
    assert past["all"]["days_left"] == 0 and past["all"]["projected"] == 22.48
    assert past["all"]["status"] == "on track"
    assert past["dairy & eggs"]["spent"] == 20.65 and past["dairy & eggs"]["over"]
    future = spending.budget_status(household, "2025-05")
    assert future.get_column("spent").to_list() == [0.0, 0.0]
    assert future.get_column("days_elapsed").to_list() == [0, 0]
    current = spending.budget_status(household)  # April, as of Apr 15
    assert current.get_column("month").to_list() == [date(2025, 4, 1)] * 2
    assert current.get_column("spent").to_list() == [9.70, 9.70]
    assert current.get_column("projected").to_list() == [19.40, 19.40]  # 9.70 / 15 x 30


def test_budget_status_without_budgets_is_empty(household: Engine) -> None:
    status = spending.budget_status(household, "2025-03")
    assert status.is_empty() and status.columns == list(spending.BUDGET_STATUS_SCHEMA)


def test_spending_on_sqlite_and_postgresql(engine: Engine) -> None:
    build_household(engine)
    assert spending.spend_by(engine, "month").get_column("spend").to_list() == [22.48, 9.70]
    spending.set_budget(engine, "all", 25)
    status = spending.budget_status(engine, "2025-03", today="2025-03-31")
    assert status.select("spent", "status").rows() == [(22.48, "on track")]
    assert isinstance(spending.spend_by(engine, "store"), pl.DataFrame)


def test_sample_spend_matches_stated_subtotals(sample_engine: Engine) -> None:
    from sqlalchemy import func, select

    from walmart_lib.db import Order

    with sample_engine.connect() as conn:
        subtotal_cents, tax_cents, orders = conn.execute(
            select(func.sum(Order.subtotal_cents), func.sum(Order.tax_cents), func.count())
        ).one()
    summary = spending.spending_summary(sample_engine)
    # Every sample order's subtotal is the sum of its charged lines (data/sample/README.md).
    assert summary.spend == subtotal_cents / 100 and summary.orders == orders == 25
    assert summary.tax == tax_cents / 100
    months = spending.spend_by(sample_engine, "month")
    assert months.get_column("period").to_list() == [date(2025, m, 1) for m in range(3, 9)]
    assert months.get_column("spend").sum() == pytest.approx(summary.spend)
    assert spending.spend_by(sample_engine, "store").height == 6
    cats = spending.spend_by(sample_engine, ["month", "category"])
    assert cats.get_column("spend").sum() == pytest.approx(summary.spend)


def test_empty_database(sqlite_engine: Engine) -> None:
    assert spending.spend_by(sqlite_engine, "month").is_empty()
    assert spending.month_over_month(sqlite_engine).is_empty()
    assert spending.top_products(sqlite_engine).columns == list(spending.TOP_SCHEMA)
    summary = spending.spending_summary(sqlite_engine)
    assert (summary.spend, summary.orders, summary.months, summary.date_from) == (0, 0, 0, None)
