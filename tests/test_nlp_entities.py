"""Entity extraction and date resolution (pure text processing: no model, no database)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from walmart_lib.ingest.taxonomy import CATEGORIES
from walmart_lib.nlp.dates import find_dates, resolve_dates
from walmart_lib.nlp.entities import StoreRef, extract_entities, parse_number

TODAY = date(2025, 9, 15)  # a Monday
STORES = [
    StoreRef("Greer Supercenter", "Greer"),
    StoreRef("Greenville Supercenter", "Greenville"),
    StoreRef("Anderson Supercenter", "Anderson"),
    StoreRef("Mount Pleasant Supercenter", "Mount Pleasant"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how much did i spend last month", ("2025-08-01", "2025-08-31")),
        ("spending in july", ("2025-07-01", "2025-07-31")),
        ("has butter gone up since march", ("2025-03-01", "2025-09-15")),
        ("what did i spend this year", ("2025-01-01", "2025-09-15")),
        ("orders from last week", ("2025-09-08", "2025-09-14")),
        ("what did i buy on june 5th", ("2025-06-05", "2025-06-05")),
        ("the 5th of june", ("2025-06-05", "2025-06-05")),
        ("this month so far", ("2025-09-01", "2025-09-15")),
        ("last year", ("2024-01-01", "2024-12-31")),
        ("yesterday", ("2025-09-14", "2025-09-14")),
        ("today", ("2025-09-15", "2025-09-15")),
        ("the last 30 days", ("2025-08-16", "2025-09-15")),
        ("past 3 months", ("2025-06-15", "2025-09-15")),
        ("two weeks ago", ("2025-09-01", "2025-09-07")),
        ("between march and may", ("2025-03-01", "2025-05-31")),
        ("from june 1 to july 15", ("2025-06-01", "2025-07-15")),
        ("over the summer", ("2025-06-01", "2025-08-31")),
        ("since spring", ("2025-03-01", "2025-09-15")),
        ("last tuesday", ("2025-09-09", "2025-09-09")),
        ("on the 12th", ("2025-09-12", "2025-09-12")),
        ("in q2", ("2025-04-01", "2025-06-30")),
        ("in 2024", ("2024-01-01", "2024-12-31")),
        ("in may", ("2025-05-01", "2025-05-31")),
        # A month that has not come yet this year means last year's.
        ("in december", ("2024-12-01", "2024-12-31")),
        ("july 4, 2024", ("2024-07-04", "2024-07-04")),
    ],
)
def test_dates_resolve_against_today(text: str, expected: tuple[str, str]) -> None:
    found = resolve_dates(text, TODAY)
    assert found is not None, text
    assert (found[0].isoformat(), found[1].isoformat()) == expected


@pytest.mark.parametrize(
    "text",
    ["may i have some milk", "spring water", "did prices fall", "order 2000123", "add milk"],
)
def test_words_that_are_not_dates(text: str) -> None:
    assert resolve_dates(text, TODAY) is None


def test_current_month_range_stops_at_today() -> None:
    assert resolve_dates("in september", TODAY) == (date(2025, 9, 1), TODAY)


def test_date_spans_point_at_the_phrase() -> None:
    text = "what did i spend since march at greer"
    (match,) = find_dates(text, TODAY)
    assert text[match.start : match.end] == "since march"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12.0),
        ("1,200", 1200.0),
        ("4.5", 4.5),
        ("two", 2.0),
        ("twenty five", 25.0),
        ("five hundred", 500.0),
        ("a hundred", 100.0),
        ("one thousand two hundred", 1200.0),
        ("banana", None),
        ("", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("i want to buy 5 gallons of milk", "list_add",
         {"quantity": 5, "unit": "gallon", "product": "milk"}),
        ("what does a dozen eggs cost", "price_check", {"quantity": 12, "product": "eggs"}),
        ("put half a dozen bagels on my list", "list_add", {"quantity": 6, "product": "bagels"}),
        ("add two loaves of sourdough", "list_add",
         {"quantity": 2, "unit": "loaf", "product": "sourdough"}),
        ("add a loaf of bread", "list_add", {"quantity": 1, "unit": "loaf", "product": "bread"}),
        ("add 3 lbs of ground beef", "list_add",
         {"quantity": 3, "unit": "lb", "product": "ground beef"}),
        ("stick 3 yogurts on my list", "list_add", {"quantity": 3, "product": "yogurts"}),
        ("add chicken breast x2", "list_add", {"quantity": 2, "product": "chicken breast"}),
        ("add greek yogurt, 6 of them", "list_add", {"quantity": 6, "product": "greek yogurt"}),
        ("add mac and cheese", "list_add", {"product": "mac and cheese"}),
        ("how much is 2% milk per gallon", "price_check", {"unit": "gallon", "product": "2% milk"}),
        ("add the great value whole milk", "list_add", {"product": "great value whole milk"}),
        ("how much do eggland's best eggs cost", "price_check",
         {"product": "eggland's best eggs"}),
    ],
)  # fmt: skip
def test_quantities_units_and_products(text: str, intent: str, expected: dict) -> None:
    got = extract_entities(text, TODAY, STORES, intent)
    for key, value in expected.items():
        assert got.get(key) == value, (text, key, got)
    assert set(got) <= set(expected) | {"category"}


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("cap groceries at $450 a month", 450),
        ("set my budget to 600 dollars", 600),
        ("is it under $4.99", 4.99),
        ("keep it under 5 bucks", 5),
        ("a budget of five hundred dollars", 500),
        ("$1,200 for the year", 1200),
    ],
)
def test_money(text: str, amount: float) -> None:
    got = extract_entities(text, TODAY, (), "budget")
    assert got["amount"] == amount
    assert "quantity" not in got  # the money's number is not also a quantity


def test_bare_number_is_money_only_in_a_budget_request() -> None:
    assert extract_entities("change the budget to 425", TODAY, (), "budget")["amount"] == 425
    got = extract_entities("add 425 napkins", TODAY, (), "list_add")
    assert "amount" not in got and got["quantity"] == 425


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("what did produce cost me in may", "produce"),
        ("show me organic vegetables", "produce"),
        ("how much on dairy", "dairy & eggs"),
        ("is greer cheaper than anderson for meat", "meat & seafood"),
        ("cleaning supplies spending", "household"),
        ("any deals on baby stuff", "baby"),
        ("budget for pet food", "pets"),
        ("frozen food this month", "frozen"),
    ],
)
def test_categories_are_the_core_taxonomy(text: str, category: str) -> None:
    got = extract_entities(text, TODAY, STORES, "spending")
    assert got["category"] == category
    assert got["category"] in CATEGORIES


def test_category_words_alone_are_not_a_product() -> None:
    got = extract_entities("show me dairy products", TODAY, (), "product_search")
    assert got == {"category": "dairy & eggs"}
    got = extract_entities("show me organic vegetables", TODAY, (), "product_search")
    assert got["product"] == "organic vegetables"


def test_stores_by_city_name_and_typo() -> None:
    got = extract_entities("is greer cheaper than anderson for meat", TODAY, STORES, "x")
    assert got["store"] == "Greer Supercenter"
    assert "product" not in got  # both store names are explained, "meat" is the category
    assert (
        extract_entities("spent at Greenville Supercenter", TODAY, STORES, "spending")["store"]
        == "Greenville Supercenter"
    )
    assert extract_entities("prices in greenvile", TODAY, STORES, "x")["store"] == (
        "Greenville Supercenter"
    )
    assert extract_entities("milk at mount pleasant", TODAY, STORES, "x")["store"] == (
        "Mount Pleasant Supercenter"
    )


def test_no_store_without_a_store_list_and_no_place_as_product() -> None:
    got = extract_entities("how much did i spend at greer last month", TODAY, (), "spending")
    assert "store" not in got and "product" not in got
    assert got["date_from"] == "2025-08-01"


def test_full_spending_request() -> None:
    got = extract_entities(
        "how much did I spend on snacks at the Anderson store since March?", TODAY, STORES, "x"
    )
    assert got == {
        "category": "snacks",
        "store": "Anderson Supercenter",
        "date_from": "2025-03-01",
        "date_to": "2025-09-15",
    }


@pytest.mark.parametrize("intent", ["help", "out_of_scope", "list_clear", "budget", "checkout"])
def test_no_product_for_intents_without_one(intent: str) -> None:
    assert "product" not in extract_entities("clear the milk list", TODAY, (), intent)


def test_products_never_seen_before() -> None:
    # Nothing about these words is in any vocabulary: the frame around them finds them.
    cases = {
        "add 2 jars of zhoug to my list": "zhoug",
        "do you carry gochujang": "gochujang",
        "how much is the frobnicated kelp crisps": "frobnicated kelp crisps",
        "take the quux off my list": "quux",
    }
    for text, product in cases.items():
        assert extract_entities(text, TODAY, (), "list_add").get("product") == product, text


@pytest.mark.parametrize(
    ("text", "intent", "product"),
    [
        # Text-speak and filler are framing, not the product.
        ("how much r the blueberries right now", "price_check", "blueberries"),
        ("nevermind the cilantro", "list_remove", "cilantro"),
        ("never mind the chips", "list_remove", "chips"),
        ("quick question, what does a loaf of sourdough cost", "price_check", "sourdough"),
        ("what's the going rate for avocados today", "price_check", "avocados"),
        ("has almond milk gotten pricier since summer", "price_history", "almond milk"),
        ("does the greer walmart charge less for milk", "store_compare", "milk"),
        # "zero" is part of a name, never a quantity of nothing.
        ("alternative to coke zero", "substitute", "coke zero"),
        # "everything" and "kind" begin some product names...
        ("could you see whether you stock everything bagels", "product_search",
         "everything bagels"),
        ("something similar to kind bars", "substitute", "kind bars"),
        # ... but not when they frame the request.
        ("what kind of cereal do you have", "product_search", "cereal"),
        ("remove everything but the milk", "list_remove", "milk"),
        ("show me everything great value makes", "product_search", "great value"),
        ("add hot sauce", "list_add", "hot sauce"),
        ("add long grain rice", "list_add", "long grain rice"),
        # Request words are not products, whatever the request.
        ("what are the hot deals", "deals", None),
        ("what do i have on the list so far", "list_show", None),
        ("read my list out loud", "list_show", None),
        ("what was refunded in my last order", "order_history", None),
        ("what's in order 2000123", "order_history", None),
        ("how has the cost of cheddar evolved", "price_history", "cheddar"),
        ("show orders that included eggs", "order_history", "eggs"),
        ("how much does a 5 lb bag of flour cost", "price_check", "flour"),
        # A word before "store" is a place, even one the store list lacks.
        ("what's on special at the anderson store", "deals", None),
        ("is the spartanburg walmart cheaper", "store_compare", None),
        ("compare prices for bread across stores", "store_compare", "bread"),
    ],
)  # fmt: skip
def test_framing_words_around_the_product(text: str, intent: str, product: str | None) -> None:
    got = extract_entities(text, TODAY, STORES, intent)
    assert got.get("product") == product, (text, got)
    assert "quantity" not in got or "zero" not in text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_extraction_never_crashes_and_ranges_are_ordered(text: str) -> None:
    got = extract_entities(text, TODAY, STORES, "spending")
    if "date_from" in got:
        assert got["date_from"] <= got["date_to"] <= TODAY.isoformat()
    for key in got:
        assert key in {"product", "quantity", "unit", "store", "category", "amount",
                       "date_from", "date_to"}  # fmt: skip
