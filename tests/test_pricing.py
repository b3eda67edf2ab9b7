"""Pricing on a hand-built household (see analytics_helpers.build_household) and the sample.

Expected values are computed by hand from the few prices in the helper's table.
"""

from __future__ import annotations

import csv
import math
from datetime import date

import polars as pl
import pytest
from analytics_helpers import (
    AVOCADO,
    BANANA,
    EGGS,
    GREENVILLE,
    GREER,
    HORIZON_HALF,
    MILK_GAL,
    MILK_HALF,
    SPARTANBURG,
    add_order,
    add_products,
    add_stores,
    build_household,
)
from sqlalchemy import Engine

from walmart_lib import analytics_frames as af
from walmart_lib import pricing
from walmart_lib.config import REFERENCE_DIR


@pytest.fixture
def household(sqlite_engine: Engine) -> Engine:
    build_household(sqlite_engine)
    return sqlite_engine


# ---------------------------------------------------------------------------- unit conversion


def test_convert_unit_price_gallon_half_gallon_lb_dozen() -> None:
    # $3.84 a gallon is 3.84/128 per fl oz; a half gallon at $2.10 is $4.20 per gallon.
    assert af.convert_unit_price(3.84 / 128, "fl oz", "gallon") == pytest.approx(3.84)
    assert af.convert_unit_price(2.10 / 64, "fl oz", "gallon") == pytest.approx(4.20)
    assert af.convert_unit_price(2.10 / 64, "fl oz", "half gallon") == pytest.approx(2.10)
    assert af.convert_unit_price(0.50 / 16, "oz", "lb") == pytest.approx(0.50)
    assert af.convert_unit_price(3.12 / 12, "ct", "dozen") == pytest.approx(3.12)
    with pytest.raises(ValueError, match="cannot convert"):
        af.convert_unit_price(1.0, "oz", "gallon")
    with pytest.raises(ValueError, match="unknown unit 'cup'"):
        af.convert_unit_price(1.0, "cup", "oz")


def test_charged_lines_dollars_and_per_unit(household: Engine) -> None:
    lines = af.charged_lines(household)
    assert lines.schema == pl.Schema(af.LINE_SCHEMA)
    # 11 charged lines; the unavailable eggs line is not among them.
    assert lines.height == 11
    assert lines.filter(pl.col("product_id") == EGGS).get_column("unit_price").to_list() == [3.12]
    half = lines.filter(pl.col("order_id") == "o1", pl.col("product_id") == MILK_HALF).row(
        0, named=True
    )
    assert half["unit_price"] == 2.10 and half["line_total"] == 4.20 and half["quantity"] == 2
    assert half["per_unit"] == "fl oz" and half["price_per_unit"] == pytest.approx(2.10 / 64)
    banana = lines.filter(pl.col("order_id") == "o1", pl.col("product_id") == BANANA).row(
        0, named=True
    )
    # Sold by weight: $0.50 per lb, 2.5 lb -> $1.25; per oz = 0.50 / 16.
    assert banana["line_total"] == 1.25
    assert banana["per_unit"] == "oz" and banana["price_per_unit"] == pytest.approx(0.50 / 16)
    eggs = lines.filter(pl.col("product_id") == EGGS).row(0, named=True)
    assert eggs["per_unit"] == "ct" and eggs["price_per_unit"] == pytest.approx(0.26)


def test_sql_fast_path_equals_cached_frame(household: Engine) -> None:
    af.clear_cache()
    fast = af.charged_lines(household, product_ids=[MILK_GAL], date_from="2025-03-05")
    af.load_frames(household)
    cached = af.charged_lines(household, product_ids=[MILK_GAL], date_from="2025-03-05")
    # order_no is a grouping key numbered per read, so it differs; everything else is equal.
    assert fast.drop("order_no").equals(cached.drop("order_no"))
    assert fast.get_column("unit_price").to_list() == [4.00, 3.50, 3.00]


def test_read_with_null_leading_columns(sqlite_engine: Engine) -> None:
    """Columns that start with thousands of NULLs keep their types."""
    from datetime import datetime, timedelta

    from sqlalchemy import insert

    from walmart_lib.db import Order, OrderLine

    add_stores(sqlite_engine, "Anderson")
    add_products(sqlite_engine, ("Gala Apples, per lb", "produce", 1.0, "lb"))
    n = 3000
    start = datetime(2024, 1, 1, 9)
    with sqlite_engine.begin() as conn:
        conn.execute(
            insert(Order),
            [
                {
                    "id": f"n{i}",
                    "order_date": start + timedelta(hours=i),
                    "store_id": 1,
                    "fulfillment_type": None if i < n - 10 else "DELIVERY",
                    "source_format": "canonical",
                    "has_prices": True,
                }
                for i in range(n)
            ],
        )
        conn.execute(
            insert(OrderLine),
            [
                {
                    "order_id": f"n{i}",
                    "line_no": 1,
                    "product_id": 1,
                    "name": "Gala Apples",
                    "quantity": 1.25,
                    "unit_price_cents": 150,
                    "line_total_cents": 188,
                    "original_price_cents": None if i < n - 10 else 175,
                    "status": "charged",
                }
                for i in range(n)
            ],
        )
    af.clear_cache()
    fast = af.load_frames(sqlite_engine)
    assert fast.orders.get_column("fulfillment_type").drop_nulls().to_list() == ["DELIVERY"] * 10
    assert fast.lines.get_column("original_price").drop_nulls().to_list() == [1.75] * 10


def test_two_lines_of_one_product_in_one_order_are_one_purchase(sqlite_engine: Engine) -> None:
    add_stores(sqlite_engine, "Anderson")
    add_products(sqlite_engine, ("Gala Apples, per lb", "produce", 1.0, "lb"))
    add_order(sqlite_engine, "a1", "2025-05-01", 1, [(1, 2.0, 150), (1, 1.0, 120)])
    add_order(sqlite_engine, "a2", "2025-05-08", 1, [(1, 1.0, 140)])
    buys = af.load_frames(sqlite_engine).purchases
    # One purchase per order: quantities and totals summed, unit prices averaged.
    assert buys.select("order_id", "quantity", "unit_price", "line_total").rows() == [
        ("a1", 3.0, pytest.approx(1.35), pytest.approx(4.20)),
        ("a2", 1.0, pytest.approx(1.40), pytest.approx(1.40)),
    ]
    change = pricing.price_changes(sqlite_engine).row(0, named=True)
    assert change["previous_price"] == pytest.approx(1.35)
    assert change["unit_price"] == pytest.approx(1.40) and change["change"] == 0.05


def test_time_order_not_order_id_order(sqlite_engine: Engine) -> None:
    add_stores(sqlite_engine, "Anderson")
    add_products(sqlite_engine, ("Bread 20 oz", "bakery & bread", 20.0, "oz"))
    # Order ids sort the other way round from their dates (in-store ids are 20 digits).
    add_order(sqlite_engine, "9000", "2025-01-01", 1, [(1, 1, 200)])
    add_order(sqlite_engine, "10000000000000000001", "2025-02-01", 1, [(1, 1, 210)])
    add_order(sqlite_engine, "5000", "2025-03-01", 1, [(1, 1, 220)])
    af.clear_cache()
    fast = pricing.price_history(sqlite_engine, 1)  # SQL fast path
    af.load_frames(sqlite_engine)
    cached = pricing.price_history(sqlite_engine, 1)
    for history in (fast, cached):
        assert history.get_column("unit_price").to_list() == [2.00, 2.10, 2.20]
    assert pricing.price_changes(sqlite_engine).get_column("previous_price").to_list() == [2.10]


def test_cache_follows_new_rows(household: Engine) -> None:
    before = af.load_frames(household)
    add_order(household, "o5", "2025-04-20", GREER, [(MILK_GAL, 1, 299)])
    after = af.load_frames(household)
    assert after is not before and after.fingerprint != before.fingerprint
    assert pricing.price_history(household, MILK_GAL).get_column("unit_price")[-1] == 2.99


def test_date_order_is_checked(household: Engine) -> None:
    with pytest.raises(ValueError, match="after date_to"):
        af.charged_lines(household, date_from="2025-04-01", date_to="2025-03-01")
    with pytest.raises(ValueError, match="ISO date"):
        af.charged_lines(household, date_from="first of March")


# ---------------------------------------------------------------------------- history & stats


def test_price_history_overall_store_and_range(household: Engine) -> None:
    history = pricing.price_history(household, MILK_GAL)
    assert history.columns == list(pricing.HISTORY_SCHEMA)
    assert history.get_column("unit_price").to_list() == [3.84, 4.00, 3.50, 3.00]
    assert history.get_column("store_name").to_list() == [
        "Spartanburg Supercenter",
        "Greenville Supercenter",
        "Spartanburg Supercenter",
        "Spartanburg Supercenter",
    ]
    assert history.get_column("price_per_unit").to_list() == pytest.approx(
        [3.84 / 128, 4.00 / 128, 3.50 / 128, 3.00 / 128]
    )
    at_greenville = pricing.price_history(household, MILK_GAL, store_id=GREENVILLE)
    assert at_greenville.get_column("unit_price").to_list() == [4.00]
    march = pricing.price_history(household, MILK_GAL, date_from="2025-03-05", date_to="2025-03-31")
    assert march.get_column("date").to_list() == [date(2025, 3, 8), date(2025, 3, 15)]


def test_price_history_original_price_and_savings(sqlite_engine: Engine) -> None:
    add_stores(sqlite_engine, "Anderson")
    add_products(sqlite_engine, ("Cheerios 18 oz", "pantry", 18.0, "oz"))
    add_order(sqlite_engine, "x1", "2025-05-01", 1, [(1, 2, 398)], original_prices={1: 498})
    row = pricing.price_history(sqlite_engine, 1).row(0, named=True)
    assert row["original_price"] == 4.98 and row["savings"] == 2.00  # (4.98 - 3.98) x 2
    assert row["price_per_unit"] == pytest.approx(3.98 / 18)


def test_price_history_bad_params_and_empty(household: Engine) -> None:
    with pytest.raises(LookupError, match="no product with id 999"):
        pricing.price_history(household, 999)
    with pytest.raises(ValueError, match="product_id must be an integer, got 'milk'"):
        pricing.price_history(household, "milk")  # type: ignore[arg-type]
    with pytest.raises(LookupError, match="no store with id 42"):
        pricing.price_history(household, MILK_GAL, store_id=42)
    never_bought = pricing.price_history(household, AVOCADO)
    assert never_bought.is_empty() and never_bought.columns == list(pricing.HISTORY_SCHEMA)
    assert pricing.price_history(
        household, MILK_GAL, date_from="2024-01-01", date_to="2024-02-01"
    ).is_empty()


def test_store_prices(household: Engine) -> None:
    per_store = pricing.store_prices(household, MILK_GAL)
    first, second = per_store.rows(named=True)
    assert first["store_id"] == SPARTANBURG and first["purchases"] == 3
    assert first["last_price"] == 3.00 and first["min_price"] == 3.00 and first["max_price"] == 3.84
    assert first["mean_price"] == pytest.approx((3.84 + 3.50 + 3.00) / 3)
    assert first["is_cheapest"] and not second["is_cheapest"]
    assert second["store_id"] == GREENVILLE and second["last_price"] == 4.00
    assert pricing.store_prices(household, AVOCADO).is_empty()


def test_price_stats_by_hand(household: Engine) -> None:
    stats = pricing.price_stats(household, MILK_GAL)
    assert stats.as_of == date(2025, 4, 15)  # the newest order
    assert stats.observations == 4
    everything = stats.windows["all"]
    assert (everything.observations, everything.min, everything.max, everything.last) == (
        4,
        3.00,
        4.00,
        3.00,
    )
    assert everything.mean == pytest.approx(14.34 / 4)
    # 7 and 30 days back from Apr 15 reach only the Apr 15 purchase; 90 days reach all four.
    assert stats.windows["7d"].observations == 1 and stats.windows["30d"].mean == 3.00
    assert stats.windows["90d"].observations == 4
    # Least squares through days (0, 7, 14, 45) and prices (3.84, 4.00, 3.50, 3.00):
    # mean day 16.5, mean price 3.585, Sxx = 1181, Sxy = -24.61.
    slope = -24.61 / 1181
    start, end = 3.585 + slope * -16.5, 3.585 + slope * 28.5
    assert stats.trend == "down"
    assert stats.trend_pct == pytest.approx((end - start) / start * 100)
    sd = math.sqrt((0.255**2 + 0.415**2 + 0.085**2 + 0.585**2) / 3)
    assert stats.volatility == pytest.approx(sd / 3.585)
    assert stats.estimate == pytest.approx((3.50 + 3.84) / 2)  # median of the last (four) prices
    assert stats.confidence == pytest.approx(4 / 8 / (1 + 5 * sd / 3.585))
    assert stats.per_unit == "fl oz" and stats.last_price_per_unit == pytest.approx(3.00 / 128)
    frame = stats.windows_frame()
    assert frame.get_column("window").to_list() == ["7d", "30d", "90d", "all"]


def test_price_stats_stable_up_single_and_none(sqlite_engine: Engine) -> None:
    add_stores(sqlite_engine, "Anderson")
    add_products(
        sqlite_engine,
        ("Steady Bread", "bakery & bread", 20.0, "oz"),
        ("Rising Coffee", "beverages", 12.0, "oz"),
        ("Never Bought", "pantry", None, None),
    )
    for i, (day, bread, coffee) in enumerate(
        [("2025-01-01", 200, 500), ("2025-01-11", 202, 525), ("2025-01-21", 204, 550)]
    ):
        add_order(sqlite_engine, f"s{i}", day, 1, [(1, 1, bread), (2, 1, coffee)])
    bread = pricing.price_stats(sqlite_engine, 1)
    assert bread.trend == "stable" and bread.trend_pct == pytest.approx(2.0)  # 2.00 -> 2.04
    coffee = pricing.price_stats(sqlite_engine, 2)
    assert coffee.trend == "up" and coffee.trend_pct == pytest.approx(10.0)  # 5.00 -> 5.50
    assert coffee.estimate == 5.25
    only_one = pricing.price_stats(sqlite_engine, 1, as_of="2025-01-05")
    assert only_one.observations == 1 and only_one.trend == "unknown"
    assert only_one.volatility == 0.0 and only_one.confidence == pytest.approx(1 / 5)
    none = pricing.price_stats(sqlite_engine, 3)
    assert none.observations == 0 and none.estimate is None and none.confidence == 0.0
    assert none.windows["all"].mean is None


# ---------------------------------------------------------------------------- changes & deals


def test_price_changes_newest_first(household: Engine) -> None:
    changes = pricing.price_changes(household)
    assert changes.get_column("product_id").to_list() == [MILK_GAL, MILK_HALF, BANANA]
    gallon, half, banana = changes.rows(named=True)
    assert (gallon["previous_price"], gallon["unit_price"], gallon["change"]) == (3.50, 3.00, -0.50)
    assert gallon["pct_change"] == pytest.approx(-0.50 / 3.50 * 100)
    assert gallon["previous_date"] == date(2025, 3, 15) and gallon["date"] == date(2025, 4, 15)
    assert half["change"] == 0.21 and half["pct_change"] == pytest.approx(0.21 / 1.99 * 100)
    assert banana["change"] == 0.08 and banana["pct_change"] == pytest.approx(16.0)
    up = pricing.price_changes(household, direction="up")
    assert up.get_column("product_id").to_list() == [MILK_HALF, BANANA]
    assert pricing.price_changes(household, min_pct=15).get_column("product_id").to_list() == [
        BANANA
    ]
    since = pricing.price_changes(household, since="2025-04-01")
    assert since.get_column("product_id").to_list() == [MILK_GAL, MILK_HALF]
    assert pricing.price_changes(household, store_id=GREENVILLE).is_empty()
    with pytest.raises(ValueError, match="direction"):
        pricing.price_changes(household, direction="sideways")


def test_deals_typical_median_tier_and_low(household: Engine) -> None:
    found = pricing.deals(household)
    assert found.get_column("product_id").to_list() == [MILK_GAL]
    row = found.row(0, named=True)
    # Latest $3.00 against the median of (3.84, 4.00, 3.50) = 3.84.
    assert row["typical_price"] == 3.84 and row["unit_price"] == 3.00
    assert row["discount_pct"] == pytest.approx(0.84 / 3.84 * 100)
    assert row["tier"] == "20%" and row["historical_low"]
    per_store = pricing.deals(household, by_store=True)
    row = per_store.row(0, named=True)
    # At Spartanburg only: median of (3.84, 3.50) = 3.67.
    assert row["store_id"] == SPARTANBURG and row["typical_price"] == pytest.approx(3.67)
    assert row["tier"] == "10%"
    assert pricing.deals(household, store_id=GREENVILLE).is_empty()


def test_deal_tier_boundaries(sqlite_engine: Engine) -> None:
    add_stores(sqlite_engine, "Anderson")
    latest = {1: 950, 2: 900, 3: 700, 4: 960, 5: 950}
    add_products(sqlite_engine, *[(f"Item {i}", "pantry", 10.0, "oz") for i in latest])
    history = {
        1: [1000, 1000, 1000],
        2: [1000] * 3,
        3: [1000] * 3,
        4: [1000] * 3,
        5: [800, 1000, 1000, 1000],
    }
    for n, day in enumerate(["2025-01-01", "2025-01-08", "2025-01-15", "2025-01-22"]):
        lines = [(p, 1, h[n]) for p, h in history.items() if n < len(h)]
        add_order(sqlite_engine, f"h{n}", day, 1, lines)
    add_order(sqlite_engine, "last", "2025-02-01", 1, [(p, 1, c) for p, c in latest.items()])
    found = {r["product_id"]: r for r in pricing.deals(sqlite_engine).rows(named=True)}
    assert found[1]["tier"] == "5%" and found[2]["tier"] == "10%" and found[3]["tier"] == "30%"
    # 4% below typical: no tier, but the lowest price ever paid -> still listed as a low.
    assert found[4]["tier"] is None and found[4]["historical_low"]
    # 5% below a typical 10.00 but above the 8.00 paid once: a tier, not a historical low.
    assert found[5]["tier"] == "5%" and not found[5]["historical_low"]
    assert found[5]["typical_price"] == 10.00 and found[5]["lowest_price"] == 8.00
    order = pricing.deals(sqlite_engine).get_column("product_id").to_list()
    assert order == [3, 2, 1, 5, 4]  # by discount, then id


# ---------------------------------------------------------------------------- stores & baskets


def test_store_comparison_per_product(household: Engine) -> None:
    table = pricing.store_comparison(household)
    assert table.get_column("product_id").to_list() == [MILK_GAL]
    row = table.row(0, named=True)
    assert row["cheapest_store_name"] == "Spartanburg Supercenter" and row["cheapest_price"] == 3.00
    assert row["priciest_store_id"] == GREENVILLE and row["priciest_price"] == 4.00
    assert row["spread"] == 1.00 and row["spread_pct"] == pytest.approx(100 / 3)
    singles = pricing.store_comparison(household, min_stores=1)
    eggs = singles.filter(pl.col("product_id") == EGGS).row(0, named=True)
    assert eggs["stores"] == 1 and eggs["spread"] == 0.0


def test_basket_comparison_coverage_not_cheapest_by_gap(household: Engine) -> None:
    table = pricing.basket_comparison(household, {MILK_GAL: 1, MILK_HALF: 2, BANANA: 1})
    spart, green = table.rows(named=True)
    # Spartanburg: 3.00 + 2 x 2.20 + 0.58 = 7.98, all three items.
    assert spart["store_id"] == SPARTANBURG and spart["basket_total"] == 7.98
    assert spart["coverage"] == 1.0 and spart["missing_value"] == 0.0 and spart["is_cheapest"]
    # Greenville prices only the gallon (4.00): cheaper on paper, but 1/3 coverage; the missing
    # items at their latest price anywhere (4.40 + 0.58) make it 8.98.
    assert (
        green["basket_total"] == 4.00 and green["items_priced"] == 1 and green["items_total"] == 3
    )
    assert green["missing_value"] == 4.98 and green["estimated_total"] == 8.98
    assert not green["is_cheapest"]
    with pytest.raises(LookupError, match="no product with id 77"):
        pricing.basket_comparison(household, [77])
    with pytest.raises(ValueError, match="positive"):
        pricing.basket_comparison(household, {MILK_GAL: 0})
    assert pricing.basket_comparison(household, [AVOCADO]).is_empty()


def test_usual_basket(household: Engine) -> None:
    usual = pricing.usual_basket(household, size=3)
    assert usual.get_column("product_id").to_list() == [MILK_GAL, MILK_HALF, BANANA]
    assert usual.get_column("orders").to_list() == [4, 3, 2]
    assert usual.get_column("quantity").to_list() == [1.0, 1.0, 1.75]  # medians (2,1,1), (2.5,1)
    default = pricing.basket_comparison(household)  # "my usual basket"
    assert default.get_column("items_total").to_list() == [5, 5]


# ---------------------------------------------------------------------------- inflation


def test_personal_inflation_weights_and_drivers(household: Engine) -> None:
    result = pricing.personal_inflation(
        household,
        base_from="2025-03-01",
        base_to="2025-03-31",
        current_from="2025-04-01",
        current_to="2025-04-30",
    )
    # Bought in both periods: the gallon (base mean 3.78, spend 11.34; now 3.00) and the half
    # gallon (base mean 2.045, spend 6.19; now 2.20).
    w_gal, w_half = 11.34 / 17.53, 6.19 / 17.53
    gal, half = (3.00 / 3.78 - 1) * 100, (2.20 / 2.045 - 1) * 100
    assert result.products_compared == 2 and result.base_spend == 17.53
    assert result.rate_pct == pytest.approx(w_gal * gal + w_half * half)
    first = result.items.row(0, named=True)
    assert first["product_id"] == MILK_GAL and first["contribution"] == pytest.approx(w_gal * gal)
    assert result.items.get_column("contribution").sum() == pytest.approx(result.rate_pct)


def test_personal_inflation_defaults_and_errors(household: Engine) -> None:
    default = pricing.personal_inflation(household, period_days=30)
    # Current = Mar 17 - Apr 15, base = Feb 15 - Mar 16.
    assert (default.current_from, default.current_to) == (date(2025, 3, 17), date(2025, 4, 15))
    assert (default.base_from, default.base_to) == (date(2025, 2, 15), date(2025, 3, 16))
    nothing = pricing.personal_inflation(
        household,
        base_from="2025-03-01",
        base_to="2025-03-31",
        current_from="2025-05-01",
        current_to="2025-05-31",
    )
    assert nothing.rate_pct is None and nothing.items.is_empty()
    with pytest.raises(ValueError, match="before the current period"):
        pricing.personal_inflation(
            household, base_from="2025-03-01", base_to="2025-04-10", current_from="2025-04-01"
        )


def test_personal_inflation_empty_database(sqlite_engine: Engine) -> None:
    with pytest.raises(LookupError, match="no orders"):
        pricing.personal_inflation(sqlite_engine)


# ---------------------------------------------------------------------------- substitutes


def test_substitutes_ranked_by_unit_saving(household: Engine) -> None:
    subs = pricing.substitutes(household, HORIZON_HALF)
    # Horizon half gallon 4.50/64 per fl oz; gallon 3.00/128 and half 2.20/64 are cheaper.
    assert subs.get_column("product_id").to_list() == [MILK_GAL, MILK_HALF]
    assert subs.get_column("saving_pct").to_list() == pytest.approx(
        [(1 - (3.00 / 128) / (4.50 / 64)) * 100, (1 - (2.20 / 64) / (4.50 / 64)) * 100]
    )
    assert (subs.get_column("similarity") >= 50).all()
    # Eggs share the category but are priced per count: never a milk substitute.
    assert EGGS not in subs.get_column("product_id").to_list()
    assert pricing.substitutes(household, MILK_GAL).is_empty()  # already the cheapest per fl oz
    assert pricing.substitutes(household, AVOCADO).is_empty()  # no price yet


# ---------------------------------------------------------------------------- BLS


def _bls(column: str, month: str) -> float:
    with (REFERENCE_DIR / "bls_average_prices_monthly.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["DATE"] == month:
                return float(row[column])
    raise AssertionError(month)


def test_bls_matches(household: Engine) -> None:
    matches = pricing.bls_matches(household)
    by_product = dict(zip(matches["product_id"], matches["item"], strict=True))
    assert by_product == {
        MILK_GAL: "milk",
        MILK_HALF: "milk",
        HORIZON_HALF: "milk",
        BANANA: "bananas",
        EGGS: "eggs",
    }
    units = dict(zip(matches["product_id"], matches["units_per_bls_unit"], strict=True))
    assert units[MILK_HALF] == 128.0 and units[BANANA] == 16.0 and units[EGGS] == 12.0


def test_bls_comparison_month_by_month(household: Engine) -> None:
    table = pricing.bls_comparison(household, item="milk")
    march, april = table.rows(named=True)
    # March, per gallon: 3.84, 2 x 2.10, 4.00, 3.50, 2 x 1.99 -> mean 19.52 / 5.
    assert march["month"] == date(2025, 3, 1) and march["purchases"] == 5
    assert march["your_price"] == pytest.approx(19.52 / 5)
    us = _bls("MILK (HALF GALLON)", "2025-03-01")  # the label is wrong: priced per gallon
    assert march["us_price"] == us and march["us_month"] == date(2025, 3, 1)
    assert march["pct_vs_us"] == pytest.approx((19.52 / 5 / us - 1) * 100)
    assert april["your_price"] == pytest.approx((3.00 + 4.40 + 9.00) / 3)
    assert april["products"] == 3 and april["bls_unit"] == "gallon"
    eggs = pricing.bls_comparison(household, item="eggs").row(0, named=True)
    assert eggs["your_price"] == pytest.approx(3.12) and eggs["us_price"] == _bls(
        "DOZEN EGGS", "2025-03-01"
    )
    with pytest.raises(ValueError, match="unknown BLS item 'caviar'"):
        pricing.bls_comparison(household, item="caviar")


def test_bls_comparison_after_the_series_ends(household: Engine) -> None:
    add_order(household, "o6", "2025-07-02", SPARTANBURG, [(BANANA, 2, 62)])
    july = pricing.bls_comparison(household, item="bananas", date_from="2025-07-01")
    row = july.row(0, named=True)
    # The bundled series end in 2025-04: the latest published month stands in, and says so.
    assert row["us_month"] == date(2025, 4, 1) and row["us_price"] == _bls("BANANAS", "2025-04-01")
    assert row["your_price"] == pytest.approx(0.62)


# ---------------------------------------------------------------------------- both backends


def test_pricing_on_sqlite_and_postgresql(engine: Engine) -> None:
    build_household(engine)
    history = pricing.price_history(engine, MILK_GAL)
    assert history.get_column("unit_price").to_list() == [3.84, 4.00, 3.50, 3.00]
    assert history.get_column("date").to_list()[0] == date(2025, 3, 1)
    assert pricing.deals(engine).get_column("tier").to_list() == ["20%"]
    assert pricing.basket_comparison(engine, [MILK_GAL, MILK_HALF]).get_column(
        "basket_total"
    ).to_list() == [5.20, 4.00]


# ---------------------------------------------------------------------------- bundled sample

SAMPLE_MILK = "Great Value Whole Vitamin D Milk, Half Gallon, 64 fl oz"


def _product_id(engine: Engine, name: str) -> int:
    products = af.products_frame(engine)
    return int(products.filter(pl.col("product_name") == name).get_column("product_id")[0])


def test_sample_milk_history_unit_price_and_bls(sample_engine: Engine) -> None:
    milk = _product_id(sample_engine, SAMPLE_MILK)
    history = pricing.price_history(sample_engine, milk)
    assert history.height >= 8  # a staple (data/sample/README.md)
    assert (history.get_column("per_unit") == "fl oz").all()
    assert history.get_column("price_per_unit").to_list() == pytest.approx(
        [p / 64 for p in history.get_column("unit_price")]
    )
    bls = pricing.bls_comparison(sample_engine, item="milk")
    monthly = (
        history.with_columns(pl.col("date").dt.truncate("1mo").alias("month"))
        .group_by("month")
        .agg((pl.col("unit_price") * 2).mean().alias("per_gallon"))
        .sort("month")
    )
    # Only this half gallon matches "milk" in the sample (almond and oat milk do not).
    assert bls.get_column("month").to_list() == monthly.get_column("month").to_list()
    assert bls.get_column("your_price").to_list() == pytest.approx(
        monthly.get_column("per_gallon").to_list()
    )
    assert bls.get_column("us_month").max() <= date(2025, 4, 1)
    names = set(pricing.bls_matches(sample_engine).get_column("product_name"))
    assert "Silk Original Almond Milk, Half Gallon, 64 fl oz" not in names
    assert "Oatly Original Oat Milk, Half Gallon, 64 fl oz" not in names


def test_sample_stats_changes_stores_baskets(sample_engine: Engine) -> None:
    milk = _product_id(sample_engine, SAMPLE_MILK)
    stats = pricing.price_stats(sample_engine, milk)
    assert stats.as_of == date(2025, 8, 30) and stats.observations >= 8
    assert stats.windows["all"].min <= stats.estimate <= stats.windows["all"].max
    assert 0 < stats.confidence < 1
    changes = pricing.price_changes(sample_engine)
    assert (changes.get_column("change") != 0).all()
    assert changes.get_column("date").is_sorted(descending=True)
    table = pricing.store_comparison(sample_engine)
    assert (table.get_column("cheapest_price") <= table.get_column("priciest_price")).all()
    assert table.get_column("stores").max() <= 6
    baskets = pricing.basket_comparison(sample_engine)
    assert baskets.height == 6 and baskets.get_column("is_cheapest").sum() == 1
    assert (baskets.get_column("items_total") == 30).all()
    totals = baskets.get_column("basket_total") + baskets.get_column("missing_value")
    assert totals.to_list() == pytest.approx(baskets.get_column("estimated_total").to_list())
    inflation = pricing.personal_inflation(sample_engine)
    assert inflation.products_compared > 0
    assert inflation.rate_pct == pytest.approx(inflation.items.get_column("contribution").sum())


def test_concurrent_cold_callers_share_one_read(
    household: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    af.clear_cache()
    reads = []
    real = af._read_frames

    def counting(bind: Engine, current: tuple[int, int, int, int]) -> af.AnalyticsFrames:
        reads.append(current)
        return real(bind, current)

    monkeypatch.setattr(af, "_read_frames", counting)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: af.load_frames(household), range(8)))
    assert len(reads) == 1 and all(r is results[0] for r in results)


def test_empty_database_gives_empty_frames_with_schemas(sqlite_engine: Engine) -> None:
    assert pricing.deals(sqlite_engine).columns == list(pricing.DEALS_SCHEMA)
    assert pricing.price_changes(sqlite_engine).columns == list(pricing.CHANGES_SCHEMA)
    assert pricing.store_comparison(sqlite_engine).columns == list(pricing.COMPARISON_SCHEMA)
    assert pricing.basket_comparison(sqlite_engine).columns == list(pricing.BASKET_SCHEMA)
    assert pricing.bls_comparison(sqlite_engine).columns == list(pricing.BLS_SCHEMA)
    for frame in (
        pricing.deals(sqlite_engine),
        pricing.price_changes(sqlite_engine),
        pricing.usual_basket(sqlite_engine),
        pricing.bls_matches(sqlite_engine),
    ):
        assert frame.is_empty()
