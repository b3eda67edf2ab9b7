"""Semantic product search and linking over products the tests insert, and on the sample."""

from __future__ import annotations

from sqlalchemy import Engine

from walmart_lib.db import Product, bump_data_version, session_scope
from walmart_lib.nlp.search import (
    ProductIndex,
    expand_query,
    get_product_index,
    link_products,
    search_products,
)

CATALOGUE = [
    ("Great Value Whole Milk, 1 Gallon", "Great Value", "dairy & eggs"),
    ("Horizon Organic Whole Milk, 64 fl oz", "Horizon Organic", "dairy & eggs"),
    ("Silk Unsweetened Almond Milk, Half Gallon", "Silk", "dairy & eggs"),
    ("Great Value Large White Eggs, 12 Count", "Great Value", "dairy & eggs"),
    ("Honey Nut Cheerios Cereal, 10.8 oz", "Cheerios", "pantry"),
    ("Fresh Banana, Each", None, "produce"),
    ("Bounty Select-A-Size Paper Towels, 6 Rolls", "Bounty", "household"),
    ("Tide Original Liquid Laundry Detergent, 92 fl oz", "Tide", "household"),
    ("Folgers Classic Roast Ground Coffee, 30.5 oz", "Folgers", "beverages"),
    ("Lay's Classic Potato Chips, 8 oz", "Lay's", "snacks"),
    ("Great Value Creamy Peanut Butter, 40 oz", "Great Value", "pantry"),
    ("Purina Dog Chow Complete Adult Dry Dog Food, 18 lb", "Purina", "pets"),
]


def _insert(engine: Engine, rows: list[tuple[str, str | None, str]]) -> None:
    with session_scope(engine) as s:
        for name, brand, category in rows:
            s.add(Product(name=name, name_key=name.lower(), brand=brand, category=category))


def test_expand_query() -> None:
    assert expand_query("GV Milk") == "great value milk"
    assert expand_query("pb and j") == "peanut butter and j"


def test_gv_milk_finds_great_value_milk(engine: Engine) -> None:
    _insert(engine, CATALOGUE)
    top = search_products("gv milk", engine, limit=3)
    assert top[0].name == "Great Value Whole Milk, 1 Gallon"
    assert top[0].brand == "Great Value" and 0.0 < top[0].score <= 1.0
    assert [c.score for c in top] == sorted((c.score for c in top), reverse=True)


def test_something_for_breakfast_finds_cereal_and_eggs(sqlite_engine: Engine) -> None:
    _insert(sqlite_engine, CATALOGUE)
    names = [c.name for c in search_products("something for breakfast", sqlite_engine, limit=3)]
    assert "Honey Nut Cheerios Cereal, 10.8 oz" in names
    assert "Great Value Large White Eggs, 12 Count" in names


def test_meaning_and_spelling(sqlite_engine: Engine) -> None:
    _insert(sqlite_engine, CATALOGUE)
    assert search_products("cheerio", sqlite_engine)[0].name.startswith("Honey Nut Cheerios")
    assert search_products("detergent", sqlite_engine)[0].brand == "Tide"
    assert search_products("kibble for my dog", sqlite_engine)[0].brand == "Purina"
    assert search_products("pb", sqlite_engine)[0].name.startswith("Great Value Creamy Peanut")


def test_link_products_ranks_and_drops_non_matches(sqlite_engine: Engine) -> None:
    _insert(sqlite_engine, CATALOGUE)
    linked = link_products("whole milk", sqlite_engine)
    assert {c.name for c in linked[:2]} == {
        "Great Value Whole Milk, 1 Gallon",
        "Horizon Organic Whole Milk, 64 fl oz",
    }
    assert link_products("kombucha", sqlite_engine) == []
    assert link_products("", sqlite_engine) == []
    assert linked[0].as_dict()["product_id"] == linked[0].product_id


def test_empty_catalogue(sqlite_engine: Engine) -> None:
    assert search_products("milk", sqlite_engine) == []


def test_index_refreshes_after_an_import(sqlite_engine: Engine) -> None:
    _insert(sqlite_engine, CATALOGUE[:3])
    index = get_product_index(sqlite_engine)
    assert get_product_index(sqlite_engine) is index
    assert search_products("coffee", sqlite_engine)[0].name != CATALOGUE[8][0]
    assert not index.refresh()  # nothing changed: the cached matrix is kept
    _insert(sqlite_engine, [CATALOGUE[8]])
    with sqlite_engine.begin() as conn:
        bump_data_version(conn)
    assert search_products("coffee", sqlite_engine)[0].name == CATALOGUE[8][0]
    assert len(index) == 4


def test_fresh_index_object(sqlite_engine: Engine) -> None:
    _insert(sqlite_engine, CATALOGUE)
    index = ProductIndex(sqlite_engine)
    assert index.refresh() and len(index) == len(CATALOGUE)
    assert index.refresh(force=True)


def test_on_the_bundled_sample(sample_engine: Engine) -> None:
    top = search_products("gv milk", sample_engine, limit=3)
    assert top[0].brand == "Great Value" and "Milk" in top[0].name
    assert search_products("oat milk", sample_engine)[0].brand == "Oatly"
    breakfast = search_products("something for breakfast", sample_engine, limit=5)
    assert any("Eggs" in c.name or "Bacon" in c.name or "Pancake" in c.name for c in breakfast)
    assert link_products("aluminum foil", sample_engine)[0].brand == "Reynolds"
