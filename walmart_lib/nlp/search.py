"""Semantic product search and product linking over the ``products`` table.

Each product is embedded once (name plus category, with the same MiniLM encoder as the intent
parser) and the matrix is cached per database; the cache is rebuilt when
``walmart_lib.db.data_version`` or the products table's size changes, so imports are picked up
without a restart. A query is scored against every product as a blend of cosine similarity
(meaning: "something for breakfast" finds cereal and eggs) and rapidfuzz lexical similarity
(spelling: "cheerio" finds Cheerios), after expanding store-brand abbreviations ("gv milk" ->
"great value milk"). :func:`link_products` ranks catalogue candidates for a product phrase from
the parser; :func:`search_products` is the same ranking for free-text search.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process, utils
from sqlalchemy import Engine, func, select

from walmart_lib.db.models import Product
from walmart_lib.db.state import data_version
from walmart_lib.nlp.threads import single_threaded_blas

__all__ = [
    "ABBREVIATIONS",
    "ProductCandidate",
    "ProductIndex",
    "expand_query",
    "get_product_index",
    "link_products",
    "search_products",
]

#: Shorthand people type for store brands (whole words only).
ABBREVIATIONS: dict[str, str] = {
    "gv": "great value",
    "ms": "marketside",
    "mkts": "marketside",
    "fg": "freshness guaranteed",
    "sc": "sam's choice",
    "mm": "member's mark",
    "pc": "parent's choice",
    "eq": "equate",
    "bg": "bettergoods",
    "oj": "orange juice",
    "pb": "peanut butter",
    "tp": "toilet paper",
    "evoo": "extra virgin olive oil",
    "pj": "peanut butter and jelly",
}
#: Occasions and needs -> the products people mean by them. A small sentence encoder knows
#: that "breakfast" is food but not which product names are breakfast; this spells it out.
CONCEPTS: dict[str, str] = {
    "breakfast": "cereal eggs bacon oatmeal pancake mix waffles bagels",
    "morning": "cereal eggs coffee oatmeal bagels",
    "lunch": "sandwich bread deli turkey ham cheese slices soup",
    "dinner": "chicken beef pasta rice vegetables",
    "supper": "chicken beef pasta rice vegetables",
    "snack": "chips crackers cookies popcorn pretzels nuts",
    "snacks": "chips crackers cookies popcorn pretzels nuts",
    "party": "chips soda salsa dip cookies",
    "movie": "popcorn candy chips soda",
    "sweet": "cookies candy chocolate ice cream",
    "dessert": "ice cream cookies cake chocolate",
    "baking": "flour sugar baking soda butter eggs",
    "bake": "flour sugar baking soda butter eggs",
    "cleaning": "cleaner wipes bleach dish soap detergent",
    "clean": "cleaner wipes bleach dish soap detergent",
    "laundry": "laundry detergent fabric softener",
    "grill": "burgers hot dogs charcoal steak buns",
    "bbq": "burgers hot dogs charcoal steak buns",
    "tacos": "tortillas ground beef shredded cheese salsa",
    "salad": "lettuce spring mix tomatoes cucumbers dressing",
    "sandwich": "bread deli turkey ham cheese slices",
    "healthy": "fruit vegetables yogurt oats",
    "drink": "water juice soda milk coffee",
    "baby": "diapers wipes formula baby food",
    "dog": "dog food dog treats",
    "cat": "cat food cat litter",
}
#: Filler that says nothing about which product ("something for", "some kind of").
FILLER = {"something", "anything", "stuff", "things", "some", "kind", "sort", "of", "for", "a",
          "an", "the", "to", "good", "nice", "me", "i", "need", "want", "with"}  # fmt: skip
#: Weight of meaning vs spelling in the blended score.
COSINE_WEIGHT = 0.6
LEXICAL_WEIGHT = 0.4


@dataclass(frozen=True)
class ProductCandidate:
    """One ranked product: ``score`` in [0, 1] blends ``cosine`` and ``lexical``."""

    product_id: int
    name: str
    brand: str | None
    category: str
    score: float
    cosine: float
    lexical: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def expand_query(text: str) -> str:
    """Lower-case, with store-brand and common abbreviations spelled out."""
    words = re.findall(r"[\w'&%.+-]+", text.lower())
    return " ".join(ABBREVIATIONS.get(w, w) for w in words)


def _concept_text(expanded: str) -> str | None:
    """For a descriptive query ("something for breakfast"), the products it stands for."""
    words = expanded.split()
    content = [w for w in words if w not in FILLER]
    hits = [CONCEPTS[w] for w in content if w in CONCEPTS]
    # Only when the query is about the occasion, not when it names a product ("dog food").
    if hits and len(content) <= 2 and all(w in CONCEPTS for w in content):
        return " ".join(hits)
    return None


class ProductIndex:
    """Product embeddings for one database, rebuilt when its data changes."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._key: tuple[int, int, int] | None = None
        self._ids: list[int] = []
        self._names: list[str] = []
        self._lower: list[str] = []
        self._brands: list[str | None] = []
        self._categories: list[str] = []
        self._matrix = np.zeros((0, 384), dtype=np.float32)

    def _current_key(self) -> tuple[int, int, int]:
        with self.engine.connect() as conn:
            count, top = conn.execute(select(func.count(Product.id), func.max(Product.id))).one()
            version = data_version(conn)
        return version, int(count or 0), int(top or 0)

    def refresh(self, force: bool = False) -> bool:
        """Re-embed the products if the data changed; returns whether it rebuilt."""
        key = self._current_key()
        with self._lock:
            if not force and key == self._key:
                return False
            stmt = select(Product.id, Product.name, Product.brand, Product.category).order_by(
                Product.id
            )
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
            from walmart_lib.nlp.encoder import get_encoder

            texts = [f"{r.name} ({r.category})" for r in rows]
            self._matrix = get_encoder().encode(texts) if rows else self._matrix[:0]
            self._ids = [int(r.id) for r in rows]
            self._names = [str(r.name) for r in rows]
            # rapidfuzz's default processor: lower-case, punctuation to spaces ("Milk," -> "milk").
            self._lower = [utils.default_process(str(r.name)) for r in rows]
            self._brands = [r.brand for r in rows]
            self._categories = [str(r.category) for r in rows]
            self._key = key
            return True

    def __len__(self) -> int:
        return len(self._ids)

    def rank(self, query: str, limit: int = 10, min_score: float = 0.0) -> list[ProductCandidate]:
        """Products best matching ``query``, best first."""
        with single_threaded_blas():
            return self._rank(query, limit, min_score)

    def _rank(self, query: str, limit: int, min_score: float) -> list[ProductCandidate]:
        self.refresh()
        expanded = expand_query(query)
        if not expanded or not self._ids:
            return []
        from walmart_lib.nlp.encoder import get_encoder

        with self._lock:
            matrix, ids, names = self._matrix, self._ids, self._names
            lower, brands, cats = self._lower, self._brands, self._categories
        concept = _concept_text(expanded)
        encoder = get_encoder()
        if concept is None:
            cosine = matrix @ encoder.encode([expanded])[0]
            # token_set_ratio: every query word present anywhere in the name scores 100.
            lexical = (
                process.cdist(
                    [utils.default_process(expanded)],
                    lower,
                    scorer=fuzz.token_set_ratio,
                    dtype=np.float32,
                )[0]
                / 100.0
            )
        else:
            # An occasion: score each product by the concept word it matches best.
            terms = concept.split()
            cosine = np.max(matrix @ encoder.encode([expanded, *terms]).T, axis=1)
            lexical = (
                process.cdist(
                    terms, lower, scorer=fuzz.partial_token_set_ratio, dtype=np.float32
                ).max(axis=0)
                / 100.0
            )
        score = COSINE_WEIGHT * np.clip(cosine, 0.0, 1.0) + LEXICAL_WEIGHT * lexical
        order = np.argsort(-score, kind="stable")[:limit]
        return [
            ProductCandidate(
                product_id=ids[i],
                name=names[i],
                brand=brands[i],
                category=cats[i],
                score=round(float(score[i]), 4),
                cosine=round(float(cosine[i]), 4),
                lexical=round(float(lexical[i]), 4),
            )
            for i in order
            if score[i] >= min_score
        ]


_INDEXES: dict[int, ProductIndex] = {}
_INDEX_LOCK = threading.Lock()


def get_product_index(engine: Engine | None = None) -> ProductIndex:
    """The cached index for ``engine`` (default: the configured database)."""
    if engine is None:
        from walmart_lib.db.engine import get_engine

        engine = get_engine()
    with _INDEX_LOCK:
        index = _INDEXES.get(id(engine))
        if index is None or index.engine is not engine:
            index = _INDEXES[id(engine)] = ProductIndex(engine)
        return index


def search_products(
    query: str, engine: Engine | None = None, limit: int = 10
) -> list[ProductCandidate]:
    """Semantic + fuzzy product search ("something for breakfast", "gv milk")."""
    return get_product_index(engine).rank(query, limit=limit)


def link_products(
    phrase: str, engine: Engine | None = None, limit: int = 5, min_score: float = 0.35
) -> list[ProductCandidate]:
    """Catalogue candidates for a product phrase from the parser, best first.

    Candidates scoring below ``min_score`` are dropped, so a phrase naming nothing in the
    catalogue links to nothing rather than to the least bad product.
    """
    return get_product_index(engine).rank(phrase, limit=limit, min_score=min_score)
