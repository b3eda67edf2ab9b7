"""Grocery lists: CRUD and merging, totals with tax and fees by hand, safe exports.

Prices come from analytics_helpers.build_household. Observed tax rates: Spartanburg
(0.50 + 0.37 + 0.60) / (9.29 + 6.07 + 9.70) = 147 / 2506 -> 0.058659; Greenville 43 / 712 ->
0.060393; Greer has no orders (configured default); all stores 190 / 3218 -> 0.059043.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import polars as pl
import pytest
from analytics_helpers import (
    AVOCADO,
    BANANA,
    EGGS,
    GREENVILLE,
    GREER,
    MILK_GAL,
    MILK_HALF,
    SPARTANBURG,
    add_order,
    add_products,
    build_household,
)
from markdown_it import MarkdownIt
from sqlalchemy import Engine

from walmart_lib import lists
from walmart_lib.config import get_settings

FIXTURE_NAME = '=HYPERLINK Product "Deal", 2-pack'


@pytest.fixture
def household(sqlite_engine: Engine) -> Engine:
    build_household(sqlite_engine)
    return sqlite_engine


@pytest.fixture
def weekly(household: Engine) -> Engine:
    lists.create_list(household, "Weekly")
    lists.add_item(household, "Weekly", product_id=MILK_GAL, quantity=2)
    lists.add_item(household, "Weekly", product_id=MILK_HALF)
    lists.add_item(household, "Weekly", product_id=BANANA, quantity=1.5, unit="lb")
    lists.add_item(household, "Weekly", text="paper towels")
    return household


# ---------------------------------------------------------------------------- CRUD


def test_create_rename_delete(household: Engine) -> None:
    info = lists.create_list(household, "  Weekly   shop ")
    assert info.name == "Weekly shop" and info.items == 0
    with pytest.raises(ValueError, match="already exists"):
        lists.create_list(household, "weekly SHOP")
    with pytest.raises(ValueError, match="needs a name"):
        lists.create_list(household, "   ")
    with pytest.raises(ValueError, match="at most 100"):
        lists.create_list(household, "x" * 101)
    lists.create_list(household, "Party")
    renamed = lists.rename_list(household, "weekly shop", "Groceries")
    assert renamed.list_id == info.list_id and lists.get_list(household, info.list_id).name == (
        "Groceries"
    )
    with pytest.raises(ValueError, match="already exists"):
        lists.rename_list(household, "Groceries", "party")
    assert lists.lists(household).get_column("name").to_list() == ["Groceries", "Party"]
    lists.delete_list(household, "Party")
    with pytest.raises(LookupError, match="no grocery list 'Party'"):
        lists.get_list(household, "Party")
    with pytest.raises(LookupError):
        lists.delete_list(household, 999)


def test_add_merges_same_product_and_same_text(household: Engine) -> None:
    lists.create_list(household, "L")
    first = lists.add_item(household, "L", product_id=MILK_GAL, quantity=2)
    again = lists.add_item(household, "L", product_id=MILK_GAL, quantity=1.5)
    assert again.item_id == first.item_id and again.quantity == 3.5
    assert first.text == "Great Value Whole Milk, 1 Gallon, 128 fl oz"  # text from the product
    towel = lists.add_item(household, "L", text="Paper  Towels")
    same = lists.add_item(household, "L", text="paper towels", quantity=2)
    assert same.item_id == towel.item_id and same.quantity == 3.0 and same.text == "Paper Towels"
    items = lists.list_items(household, "L")
    assert items.columns == list(lists.ITEMS_SCHEMA)
    assert items.select("product_id", "quantity", "matched").rows() == [
        (MILK_GAL, 3.5, True),
        (None, 3.0, False),
    ]
    with pytest.raises(ValueError, match="positive"):
        lists.add_item(household, "L", product_id=MILK_GAL, quantity=0)
    with pytest.raises(ValueError, match="product_id or some text"):
        lists.add_item(household, "L", text="  ")
    with pytest.raises(LookupError, match="no product with id 999"):
        lists.add_item(household, "L", product_id=999)


def test_set_quantity_remove_clear(weekly: Engine) -> None:
    items = lists.list_items(weekly, "Weekly")
    gallon_item = items.get_column("item_id")[0]
    assert lists.set_quantity(weekly, "Weekly", gallon_item, 4).quantity == 4.0
    with pytest.raises(ValueError, match="positive"):
        lists.set_quantity(weekly, "Weekly", gallon_item, -1)
    with pytest.raises(LookupError, match="has no item 12345"):
        lists.set_quantity(weekly, "Weekly", 12345, 1)
    lists.remove_item(weekly, "Weekly", gallon_item)
    assert lists.get_list(weekly, "Weekly").items == 3
    assert lists.clear_list(weekly, "weekly") == 3
    assert lists.list_items(weekly, "Weekly").is_empty()


def test_match_item_and_auto_match(weekly: Engine) -> None:
    lists.add_item(weekly, "Weekly", text="bananas")
    lists.add_item(weekly, "Weekly", text="eggs large white")
    matched = lists.auto_match(weekly, "Weekly")
    assert matched.select("text", "product_id").rows() == [
        ("bananas", BANANA),
        ("eggs large white", EGGS),
    ]
    items = lists.list_items(weekly, "Weekly")
    # "bananas" merged into the banana item already on the list (1.5 + 1).
    banana = items.filter(pl.col("product_id") == BANANA)
    assert banana.height == 1 and banana.get_column("quantity")[0] == 2.5
    towels = items.filter(~pl.col("matched"))
    assert towels.get_column("text").to_list() == ["paper towels"]  # nothing close enough
    item_id = towels.get_column("item_id")[0]
    tied = lists.match_item(weekly, "Weekly", item_id, AVOCADO)
    assert tied.product_id == AVOCADO and tied.item_id == item_id


# ---------------------------------------------------------------------------- totals


def test_totals_at_store_by_hand(weekly: Engine) -> None:
    totals = lists.list_totals(weekly, "Weekly", store_id=SPARTANBURG)
    # 2 x 3.00 + 2.20 + 1.5 lb x 0.58 = 6.00 + 2.20 + 0.87 = 9.07
    assert totals.items.get_column("line_total").to_list() == [6.00, 2.20, 0.87, None]
    assert totals.items.get_column("price_source").to_list() == ["store", "store", "store", "none"]
    assert totals.subtotal == Decimal("9.07") and totals.unpriced_items == 1
    assert totals.tax_rate == Decimal("0.058659") and totals.tax_rate_source == "observed at store"
    assert totals.tax == Decimal("0.53")  # 9.07 x 0.058659 = 0.532
    assert totals.delivery_fee == Decimal("9.95")  # configured default, below $35
    assert totals.needed_for_free_delivery == Decimal("25.93")
    assert totals.total == Decimal("19.55")


def test_totals_other_store_fallback_and_default_rate(weekly: Engine) -> None:
    green = lists.list_totals(weekly, "Weekly", store_id=GREENVILLE)
    # Greenville's own gallon price (4.00); the others were never bought there.
    assert green.items.get_column("price_source").to_list()[:3] == [
        "store",
        "other store",
        "other store",
    ]
    assert green.subtotal == Decimal("11.07") and green.tax_rate == Decimal("0.060393")
    assert green.tax == Decimal("0.67") and green.total == Decimal("21.69")
    greer = lists.list_totals(weekly, "Weekly", store_id=GREER)
    assert greer.tax_rate == Decimal("0.06") and greer.tax_rate_source == "configured default"
    assert greer.tax == Decimal("0.54")  # 9.07 x 0.06 = 0.5442
    anywhere = lists.list_totals(weekly, "Weekly")
    assert anywhere.items.get_column("price_source").to_list()[0] == "latest"
    assert anywhere.tax_rate == Decimal("0.059043") and anywhere.tax == Decimal("0.54")
    with pytest.raises(LookupError, match="no store with id 9"):
        lists.list_totals(weekly, "Weekly", store_id=9)


def test_totals_threshold_pickup_and_settings(
    weekly: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = lists.list_totals(weekly, "Weekly", store_id=SPARTANBURG, free_delivery_threshold="9.07")
    assert at.delivery_fee == 0 and at.needed_for_free_delivery == 0  # free at the threshold
    below = lists.list_totals(
        weekly, "Weekly", store_id=SPARTANBURG, free_delivery_threshold="9.08"
    )
    assert below.delivery_fee == Decimal("9.95") and below.needed_for_free_delivery == Decimal(
        "0.01"
    )
    pickup = lists.list_totals(weekly, "Weekly", store_id=SPARTANBURG, fulfillment="pickup")
    assert pickup.delivery_fee == 0 and pickup.total == Decimal("9.60")
    given = lists.list_totals(weekly, "Weekly", store_id=SPARTANBURG, tax_rate="0.1")
    assert given.tax == Decimal("0.91") and given.tax_rate_source == "given"
    monkeypatch.setenv("WALMART_DELIVERY_FEE", "7.95")
    monkeypatch.setenv("WALMART_DEFAULT_TAX_RATE", "0.07")
    get_settings.cache_clear()
    configured = lists.list_totals(weekly, "Weekly", store_id=GREER)
    assert configured.delivery_fee == Decimal("7.95") and configured.tax == Decimal("0.63")
    with pytest.raises(ValueError, match="fulfillment"):
        lists.list_totals(weekly, "Weekly", fulfillment="drone")
    with pytest.raises(ValueError, match="between 0 and 1"):
        lists.list_totals(weekly, "Weekly", tax_rate=7)


def test_effective_tax_rates(household: Engine) -> None:
    rates = lists.effective_tax_rates(household)
    assert rates.select("store_id", "orders", "subtotal", "tax").rows() == [
        (SPARTANBURG, 3, 25.06, 1.47),
        (GREENVILLE, 1, 7.12, 0.43),
    ]
    assert rates.get_column("tax_rate").to_list() == pytest.approx([147 / 2506, 43 / 712])


def test_list_store_comparison(weekly: Engine) -> None:
    table = lists.list_store_comparison(weekly, "Weekly")
    assert table.get_column("store_id").to_list() == [SPARTANBURG, GREENVILLE]
    spart = table.row(0, named=True)
    assert spart["basket_total"] == 9.07 and spart["coverage"] == 1.0 and spart["is_cheapest"]
    lists.create_list(weekly, "Only text")
    lists.add_item(weekly, "Only text", text="something nice")
    assert lists.list_store_comparison(weekly, "Only text").is_empty()
    nothing = lists.list_totals(weekly, "Only text")
    assert nothing.subtotal == 0 and nothing.delivery_fee == 0 and nothing.total == 0
    assert nothing.needed_for_free_delivery == Decimal("35.00") and nothing.unpriced_items == 1


# ---------------------------------------------------------------------------- exports


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FIXTURE_NAME, "'" + FIXTURE_NAME),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Milk = good", "Milk = good"),
    ],
)
def test_neutralize_formula(value: str, expected: str) -> None:
    assert lists.neutralize_formula(value) == expected


@pytest.fixture
def risky(weekly: Engine) -> Engine:
    add_products(
        weekly,
        (FIXTURE_NAME, "other", 2.0, "ct"),
        ("<script>alert(1)</script> [x](javascript:alert(1)) *bold* | pipe", "other", None, None),
    )
    add_order(weekly, "o9", "2025-04-16", SPARTANBURG, [(7, 1, 199), (8, 1, 100)])
    lists.add_item(weekly, "Weekly", product_id=7)
    lists.add_item(weekly, "Weekly", product_id=8)
    return weekly


def test_export_csv_neutralises_and_totals(risky: Engine) -> None:
    text = lists.export_csv(risky, "Weekly", store_id=SPARTANBURG)
    assert text.startswith("item,quantity,unit,unit_price,line_total,price_source\r\n")
    assert '"\'=HYPERLINK Product ""Deal"", 2-pack"' in text
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert "'" + FIXTURE_NAME in cells and FIXTURE_NAME not in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    by_item = {row[0]: row for row in rows if row}
    assert by_item["Great Value Whole Milk, 1 Gallon, 128 fl oz"][1:5] == ["2", "", "3.00", "6.00"]
    assert by_item["Fresh Banana, per lb"][1:3] == ["1.5", "lb"]
    # 9.07 + 1.99 + 1.00 = 12.06; tax 12.06 x 0.058659 = 0.707 -> 0.71; + 9.95 = 22.72
    assert by_item["subtotal"][4] == "12.06" and by_item["tax"][4] == "0.71"
    assert by_item["total"][4] == "22.72"


def test_export_markdown_escapes(risky: Engine) -> None:
    text = lists.export_markdown(risky, "Weekly", store_id=SPARTANBURG)
    assert text.startswith("# Weekly\n")
    assert "- **Total: $22\\.72**" not in text and "- **Total: $22.72**" in text
    cells = [
        c.strip() for line in text.splitlines() if line.startswith("|") for c in line.split("|")
    ]
    assert not any(c.startswith(("=", "+", "-", "@")) and not set(c) <= {"-", ":"} for c in cells)
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<script" not in html and "<a " not in html and "<em>" not in html
    assert "=HYPERLINK Product &amp;quot;Deal&amp;quot;, 2-pack" not in html
    assert "=HYPERLINK Product &quot;Deal&quot;, 2-pack" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Six data rows: the pipe inside a name did not split a cell.
    assert html.count("<tr>") == 1 + 6
    assert "Add $22.94 for free delivery" in text  # 35.00 - 12.06
    assert "1 item(s) without a known price" in text


def test_lists_on_sqlite_and_postgresql(engine: Engine) -> None:
    build_household(engine)
    lists.create_list(engine, "Weekly")
    lists.add_item(engine, "weekly", product_id=MILK_GAL, quantity=2)
    lists.add_item(engine, "Weekly", product_id=MILK_GAL)
    totals = lists.list_totals(engine, "Weekly", store_id=SPARTANBURG)
    assert totals.subtotal == Decimal("9.00") and totals.tax == Decimal("0.53")
    lists.delete_list(engine, "Weekly")
    assert lists.lists(engine).is_empty()


def test_sample_list_priced_at_every_store(sample_copy_engine: Engine) -> None:
    lists.create_list(sample_copy_engine, "Staples")
    for text in ("whole vitamin d milk half gallon", "large white eggs", "banana", "tofu"):
        lists.add_item(sample_copy_engine, "Staples", text=text)
    matched = lists.auto_match(sample_copy_engine, "Staples")
    assert matched.height == 3  # tofu was never bought
    comparison = lists.list_store_comparison(sample_copy_engine, "Staples")
    assert comparison.get_column("is_cheapest").sum() == 1
    cheapest = comparison.filter(pl.col("is_cheapest")).get_column("store_id")[0]
    totals = lists.list_totals(sample_copy_engine, "Staples", store_id=cheapest)
    assert totals.unpriced_items == 1 and totals.subtotal > 0
    assert totals.tax_rate_source == "observed at store"
    assert totals.total == totals.subtotal + totals.tax + totals.delivery_fee
    assert "tofu" in lists.export_markdown(sample_copy_engine, "Staples")


def test_writes_through_a_connection(household: Engine) -> None:
    with household.begin() as conn:  # the caller's transaction: committed by the caller
        lists.create_list(conn, "In a transaction")
    with household.connect() as conn:  # no transaction open: the library commits its own
        lists.create_list(conn, "Autocommitted")
        from walmart_lib import spending

        spending.set_budget(conn, "all", 100)
    with household.connect() as conn:
        conn.begin()
        lists.create_list(conn, "Rolled back")
        conn.rollback()
    assert lists.lists(household).get_column("name").to_list() == [
        "Autocommitted",
        "In a transaction",
    ]
    from walmart_lib import spending

    assert spending.budgets(household).rows() == [("all", 100.0)]
