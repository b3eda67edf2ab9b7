"""Tests for walmart_lib.reference: the BLS loader against values read from the bundled CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from walmart_lib.reference import (
    BLS_ITEMS,
    BLS_PRICES_FILE,
    bls_item_for_series,
    load_bls_prices,
    load_bls_titles,
)


def _price(df: pl.DataFrame, item: str, month: date) -> float:
    row = df.filter((pl.col("item") == item) & (pl.col("month") == month))
    assert row.height == 1
    return float(row["price"][0])


def test_long_format_schema_and_size() -> None:
    df = load_bls_prices()
    assert df.schema == pl.Schema(
        {
            "month": pl.Date,
            "series_id": pl.String,
            "item": pl.String,
            "unit": pl.String,
            "price": pl.Float64,
        }
    )
    # 40 items x 40 months, minus the 57 NA cells (oranges 1, grapefruit 18, lemons 1,
    # lettuce 16, canned corn 21).
    assert df.height == 40 * 40 - 57
    assert df["item"].n_unique() == 40
    assert df["month"].min() == date(2022, 1, 1)
    assert df["month"].max() == date(2025, 4, 1)
    assert df["price"].null_count() == 0


def test_real_values_from_the_csv() -> None:
    df = load_bls_prices()
    # Read off the CSV by hand: DOZEN EGGS 2025-03 = 6.227 (the record high), 2022-01 = 1.929.
    assert _price(df, "eggs", date(2025, 3, 1)) == pytest.approx(6.227)
    assert _price(df, "eggs", date(2022, 1, 1)) == pytest.approx(1.929)
    assert _price(df, "milk", date(2022, 1, 1)) == pytest.approx(3.787)
    assert _price(df, "bananas", date(2025, 4, 1)) == pytest.approx(0.635)
    assert _price(df, "butter", date(2025, 4, 1)) == pytest.approx(4.78)
    assert _price(df, "soft_drinks_12pk", date(2022, 1, 1)) == pytest.approx(0.449)
    eggs = df.filter(pl.col("item") == "eggs").row(0, named=True)
    assert eggs["series_id"] == "APU0000708111"
    assert eggs["unit"] == "dozen"


def test_na_months_are_absent() -> None:
    df = load_bls_prices()
    grapefruit = df.filter(pl.col("item") == "grapefruit")
    assert grapefruit.height == 40 - 18
    # GRAPEFRUIT is NA in 2022-01 and 2024-10 and published in 2024-11 (1.713).
    months = set(grapefruit["month"].to_list())
    assert date(2022, 1, 1) not in months
    assert date(2024, 10, 1) not in months
    assert _price(df, "grapefruit", date(2024, 11, 1)) == pytest.approx(1.713)


def test_items_match_the_titles_file() -> None:
    titles = load_bls_titles()
    assert len(titles) == 64
    for item in BLS_ITEMS.values():
        assert titles[item.series_id] == item.title
        assert bls_item_for_series(item.series_id) is item
    assert bls_item_for_series("APU000074714") is None  # gasoline: in the titles, not the CSV


def test_labels_that_are_not_the_unit() -> None:
    # The CSV says half gallon / 12 pack; the series titles say per gallon / per 12 oz can.
    milk = BLS_ITEMS["milk"]
    assert milk.column == "MILK (HALF GALLON)"
    assert "per gal." in milk.title and "1/2" not in milk.title
    assert milk.measure == ("fl oz", 128.0)
    assert BLS_ITEMS["ice_cream"].measure == ("fl oz", 64.0)
    assert BLS_ITEMS["soft_drinks_12pk"].measure == ("fl oz", 12.0)
    assert BLS_ITEMS["eggs"].measure == ("ct", 12.0)


def test_amount_in_converts_weights_only() -> None:
    assert BLS_ITEMS["bananas"].amount_in("lb") == 1.0
    assert BLS_ITEMS["bananas"].amount_in("oz") == 16.0
    assert BLS_ITEMS["strawberries"].amount_in("lb") == pytest.approx(0.75)
    assert BLS_ITEMS["milk"].amount_in("fl oz") == 128.0
    assert BLS_ITEMS["milk"].amount_in("oz") is None
    assert BLS_ITEMS["eggs"].amount_in("ct") == 12.0
    assert BLS_ITEMS["eggs"].amount_in("lb") is None


def test_every_csv_column_is_mapped() -> None:
    header = BLS_PRICES_FILE.read_text(encoding="utf-8").splitlines()[0]
    columns = [c.strip('"') for c in header.split(",")][1:]
    assert sorted(columns) == sorted(item.column for item in BLS_ITEMS.values())
    assert sum(not item.grocery for item in BLS_ITEMS.values()) == 2


def test_unknown_column_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "prices.csv"
    bad.write_text('"DATE","FLOUR","CAVIAR"\n2022-01-01,0.4,99\n', encoding="utf-8")
    with pytest.raises(ValueError, match="CAVIAR"):
        load_bls_prices(bad)
