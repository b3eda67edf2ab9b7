"""The fuzzy-name threshold on real name variants: same product matches, different does not."""

from __future__ import annotations

import pytest

from walmart_lib.ingest.matching import FUZZY_THRESHOLD, ProductIndex, same_numbers
from walmart_lib.ingest.normalize import name_key

STORED = [
    "Great Value Whole Vitamin D Milk, 1 Gallon, 128 fl oz",
    "Great Value 2% Reduced Fat Milk, 1 Gallon, 128 fl oz",
    "Great Value Large White Eggs, 12 Count",
    "Great Value Large White Eggs, 18 Count",
    "Nature's Own Honey Wheat Bread, 20 oz",
    "Chobani Greek Yogurt Strawberry, 5.3 oz",
]


@pytest.fixture
def index() -> ProductIndex:
    idx = ProductIndex()
    for pid, name in enumerate(STORED, start=1):
        idx.add(pid, name_key(name), None)
    return idx


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("GREAT VALUE WHOLE VITAMIN D MILK, 1 GALLON, 128 FL OZ", 1),  # case
        ("Great Value Whole Vitamin D Milk 1 Gallon 128 fl. oz.", 1),  # punctuation
        ("Great Value Whole Vitamin D Milk, 1 gal, 128 fluid ounces", 1),  # unit wording
        ("Great Value Large White Eggs, 12 ct", 3),  # pack-size wording
        ("Great Value Large White Eggs 12-Count", 3),
        ("Natures Own Honey Wheat Bread 20oz", 5),  # apostrophe and spacing
        ("Great Value Large White Eggs, 18 Count", 4),
    ],
)
def test_variants_of_the_same_product_match(
    index: ProductIndex, variant: str, expected: int
) -> None:
    assert index.find(name_key(variant), None) == expected


@pytest.mark.parametrize(
    "different",
    [
        "Great Value Large White Eggs, 24 Count",  # other size
        "Great Value 1% Low Fat Milk, 1 Gallon, 128 fl oz",  # other variant, numbers differ
        "Great Value Fat Free Skim Milk, 1 Gallon, 128 fl oz",  # other variant, words differ
        "Chobani Greek Yogurt Blueberry, 5.3 oz",  # other flavour
        "Marketside Baby Spinach",  # unrelated
    ],
)
def test_different_products_do_not_match(index: ProductIndex, different: str) -> None:
    assert index.find(name_key(different), None) is None


def test_item_id_decides_over_names(index: ProductIndex) -> None:
    index.adopt_item_id(3, "111")
    # Same name, different Walmart item id: a different product.
    assert index.find(name_key(STORED[2]), "222") is None
    assert index.find("anything at all", "111") == 3


def test_threshold_and_number_guard() -> None:
    assert 80 <= FUZZY_THRESHOLD <= 100
    assert same_numbers("eggs 12ct", "12ct eggs")
    assert not same_numbers("milk 2%", "milk 1%")
