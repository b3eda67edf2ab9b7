"""Brand, size/unit, category and match key from real-style Walmart product names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from walmart_lib.ingest.normalize import brand_of, category_of, describe, name_key, size_of
from walmart_lib.ingest.taxonomy import CATEGORIES


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("Great Value Whole Vitamin D Milk, 1 Gallon, 128 fl oz", (128.0, "fl oz")),
        ("Great Value Milk 1 Gallon", (128.0, "fl oz")),
        ("Great Value 2% Reduced Fat Milk, Half Gallon, 64 fl oz", (64.0, "fl oz")),
        ("Chobani Greek Yogurt, 5.3 oz, 6 Count", (31.8, "oz")),
        ("Bananas, each", (1.0, "each")),
        ("Fresh Gala Apples, per lb", (1.0, "lb")),
        ("Great Value Large White Eggs, 12 Count", (12.0, "ct")),
        ("Eggland's Best Large Eggs, 1 Dozen", (12.0, "ct")),
        ("Coca-Cola Soda, 12 fl oz cans, 12 pack", (144.0, "fl oz")),
        ("Great Value Ground Beef 80/20, 1 lb", (16.0, "oz")),
        ("Great Value All Purpose Flour, 5 lbs", (80.0, "oz")),
        ("Dasani Water, 16.9 fl oz, 24 Count", (405.6, "fl oz")),
        ("Coke 2 Liter", (67.628, "fl oz")),
        ("AA Batteries 8-pack", (8.0, "ct")),
        ("Great Value Paper Towels", (None, None)),
    ],
)
def test_size_of(name: str, size: tuple[float | None, str | None]) -> None:
    value, unit = size_of(name)
    assert unit == size[1]
    if size[0] is None:
        assert value is None
    else:
        assert value == pytest.approx(size[0], rel=1e-4)


def test_size_of_weighed_items() -> None:
    assert size_of("Roma Tomatoes", sold_by_weight=True) == (1.0, "lb")


@pytest.mark.parametrize(
    ("name", "brand"),
    [
        ("Great Value Whole Milk, 1 Gallon", "Great Value"),
        ("great value whole milk", "Great Value"),
        ("Equate Ibuprofen Tablets, 200 mg, 100 Count", "Equate"),
        ("Marketside Fresh Spinach, 10 oz", "Marketside"),
        ("Freshness Guaranteed Cinnamon Rolls", "Freshness Guaranteed"),
        ("Sam's Choice Italia Pizza", "Sam's Choice"),
        ("Sams Choice Italia Pizza", "Sam's Choice"),
        ("bettergoods Oat Milk", "bettergoods"),
        ("Mainstays Storage Bin", "Mainstays"),
        ("Ben & Jerry's Ice Cream", "Ben & Jerry's"),
        ("Kraft Heinz Ketchup", "Kraft Heinz"),
        ("Bananas, each", None),
    ],
)
def test_brand_of(name: str, brand: str | None) -> None:
    assert brand_of(name) == brand


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("Great Value Whole Vitamin D Milk, 1 Gallon", "dairy & eggs"),
        ("Bananas, each", "produce"),
        ("Blue Bell Homemade Vanilla Ice Cream, Half Gallon", "frozen"),
        ("Great Value 80/20 Ground Beef, 1 lb", "meat & seafood"),
        ("Nature's Own Honey Wheat Bread, 20 oz", "bakery & bread"),
        ("Purina Dog Chow, 18 lb", "pets"),
        ("Pampers Baby Dry Diapers Size 3", "baby"),
        ("Bud Light Beer, 12 pack", "alcohol"),
        ("Tide Liquid Laundry Detergent", "household"),
        ("Great Value Aluminum Foil, 75 sq ft", "household"),
        ("Colgate Toothpaste", "personal care"),
        ("Lay's Classic Potato Chips", "snacks"),
        ("Great Value Long Grain White Rice, 5 lb", "pantry"),
        ("Coca-Cola Soda, 12 pack", "beverages"),
        ('=HYPERLINK Product "Deal", 2-pack', "other"),
    ],
)
def test_category_of(name: str, category: str) -> None:
    assert category_of(name) == category


@given(st.text(max_size=80))
def test_describe_never_fails_and_stays_in_taxonomy(name: str) -> None:
    info = describe(name)
    assert info.category in CATEGORIES
    assert info.size_unit in (None, "oz", "fl oz", "ct", "each", "lb")


def test_name_key_folds_case_punctuation_and_pack_wording() -> None:
    assert name_key("Great Value Large White Eggs, 12 Count") == name_key(
        "great value large white eggs 12ct"
    )
    assert name_key("Great Value Milk 1 Gallon") == name_key("GREAT VALUE MILK, 1 gal")
    assert name_key("Coke 12 fl. oz") == name_key("Coke 12 fl oz")
    assert name_key("Great Value 2% Milk") != name_key("Great Value 1% Milk")


def test_categories_agree_with_the_generator_catalogue() -> None:
    """344 realistic names whose true category the generator records (written independently)."""
    from walmart_lib.ingest.generate import CATALOGUE

    wrong = [
        (p.name, p.category, category_of(p.name))
        for p in CATALOGUE
        if category_of(p.name) != p.category
    ]
    assert len(wrong) <= len(CATALOGUE) // 50, wrong  # at least 98% right


def test_sizes_agree_with_the_generator_catalogue() -> None:
    from walmart_lib.ingest.generate import CATALOGUE

    disagreements = []
    for product in CATALOGUE:
        value, unit = size_of(product.name, sold_by_weight=product.sold_by_weight)
        if unit != product.size_unit or (
            value is not None
            and product.size_value is not None
            and abs(value - product.size_value) > 0.01 * product.size_value
        ):
            disagreements.append(
                (product.name, (value, unit), (product.size_value, product.size_unit))
            )
    assert len(disagreements) <= len(CATALOGUE) // 50, disagreements


@given(
    st.sampled_from(["Great Value Whole Milk", "Chobani Yogurt", "Dasani Water", "Cheerios"]),
    st.decimals(min_value="0.5", max_value="500", places=1),
    st.sampled_from(
        [
            ("oz", "oz", 1.0),
            ("fl oz", "fl oz", 1.0),
            ("lb", "oz", 16.0),
            ("Gallon", "fl oz", 128.0),
            ("ml", "fl oz", 0.033814022702),
        ]
    ),
)
def test_size_in_name_property(product: str, amount: object, unit: tuple[str, str, float]) -> None:
    written, canonical, factor = unit
    value, size_unit = size_of(f"{product}, {amount} {written}")
    assert size_unit == canonical
    assert value == pytest.approx(float(str(amount)) * factor, rel=1e-3, abs=1e-3)  # 3 places


@given(st.integers(min_value=2, max_value=48), st.decimals(min_value="1", max_value="40", places=1))
def test_multipack_size_property(count: int, each: object) -> None:
    value, unit = size_of(f"Yogurt Cups, {each} oz, {count} Count")
    assert unit == "oz"
    assert value == pytest.approx(float(str(each)) * count, rel=1e-3)
