"""Product matching: the same ``usItemId`` is the same product; otherwise names are matched.

Names without an item id are compared on their normalised key (:func:`name_key`): an exact
key match first, then rapidfuzz's ``token_sort_ratio`` at :data:`FUZZY_THRESHOLD` or above —
but only between names carrying the same numbers, so "2%" never matches "whole", nor 12 count
an 18 count. The threshold is tested on real name variants in tests/test_ingest_matching.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

__all__ = ["FUZZY_THRESHOLD", "ProductIndex", "same_numbers"]

FUZZY_THRESHOLD = 90.0
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")


def same_numbers(key_a: str, key_b: str) -> bool:
    """True when both keys carry the same numbers (sizes, counts, percentages)."""
    return sorted(_NUMBER_RE.findall(key_a)) == sorted(_NUMBER_RE.findall(key_b))


@dataclass
class ProductIndex:
    """In-memory lookup of the products table: by item id, by name key, and fuzzy by key."""

    by_item_id: dict[str, int] = field(default_factory=dict)
    by_key: dict[str, int] = field(default_factory=dict)
    #: product id -> its us_item_id (None when the product has none yet).
    item_id_of: dict[int, str | None] = field(default_factory=dict)
    _keys: list[str] = field(default_factory=list)
    _key_ids: list[int] = field(default_factory=list)

    def add(self, product_id: int, key: str, us_item_id: str | None) -> None:
        if us_item_id:
            self.by_item_id[us_item_id] = product_id
        self.by_key.setdefault(key, product_id)
        self.item_id_of[product_id] = us_item_id
        self._keys.append(key)
        self._key_ids.append(product_id)

    def find(self, key: str, us_item_id: str | None) -> int | None:
        """The matching product id, or None for a new product."""
        if us_item_id:
            found = self.by_item_id.get(us_item_id)
            if found is not None:
                return found
        candidate = self.by_key.get(key)
        if candidate is None:
            candidate = self._fuzzy(key)
        if candidate is None:
            return None
        # A different item id means a different product, however alike the names.
        other = self.item_id_of.get(candidate)
        if us_item_id and other and other != us_item_id:
            return None
        return candidate

    def _fuzzy(self, key: str) -> int | None:
        if not self._keys:
            return None
        for match, score, index in process.extract(
            key,
            self._keys,
            scorer=fuzz.token_sort_ratio,
            limit=5,
            score_cutoff=FUZZY_THRESHOLD,
        ):
            if same_numbers(key, match):
                del score
                return self._key_ids[index]
        return None

    def adopt_item_id(self, product_id: int, us_item_id: str) -> None:
        """Record that a name-matched product now has a Walmart item id."""
        self.item_id_of[product_id] = us_item_id
        self.by_item_id[us_item_id] = product_id
