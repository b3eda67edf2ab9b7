"""Normalisation of product names: brand, package size and unit, category, and a match key.

Walmart names carry their own metadata ("Great Value Whole Vitamin D Milk, 1 Gallon, 128 fl oz",
"Chobani Greek Yogurt, 5.3 oz, 6 Count", "Fresh Banana, each", "Fresh Gala Apples, per lb").
These functions read it once per distinct name (results are cached), so the importers stay fast.
Sizes are canonicalised to the units in :data:`walmart_lib.ingest.taxonomy.SIZE_UNITS`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from walmart_lib.ingest.taxonomy import BRANDS

__all__ = ["NameInfo", "brand_of", "category_of", "describe", "name_key", "size_of"]

_VOLUME_FLOZ = {
    "fl oz": 1.0,
    "gal": 128.0,
    "half gal": 64.0,
    "qt": 32.0,
    "pt": 16.0,
    "l": 33.814022702,
    "ml": 0.033814022702,
}
_WEIGHT_OZ = {"oz": 1.0, "lb": 16.0, "g": 1 / 28.349523125, "kg": 35.27396195}

_NUM = r"(\d+(?:\.\d+)?|\.\d+)"
_VOLUME_RE = re.compile(
    _NUM + r"\s*-?\s*(fl\.?\s*oz|fluid\s+ounces?|half\s+gallons?|gallons?|gal|quarts?|qt|"
    r"pints?|pt|liters?|litres?|ml|l)\b",
    re.IGNORECASE,
)
_HALF_GALLON_RE = re.compile(r"\bhalf\s+gallon\b", re.IGNORECASE)
_WEIGHT_RE = re.compile(
    _NUM + r"\s*-?\s*(oz|ounces?|lbs?|pounds?|kg|g|grams?)\b(?!\s*\.?\s*fl)", re.IGNORECASE
)
_COUNT_RE = re.compile(
    _NUM + r"\s*-?\s*(count|ct|pack|pk|pcs|pieces|rolls?|bags?|cans?|bottles?|eggs)\b",
    re.IGNORECASE,
)
_DOZEN_RE = re.compile(r"\b(?:(\d+)\s+)?dozen\b", re.IGNORECASE)
_PER_LB_RE = re.compile(r"(?:\bper\s+(?:lb|pound)\b|/\s*lb\b|\bby\s+the\s+pound\b)", re.IGNORECASE)
_EACH_RE = re.compile(r"(?:,\s*each\b|\beach\s*$|\(each\))", re.IGNORECASE)


def _volume_unit(raw: str) -> str:
    raw = raw.lower().replace(".", "")
    if raw.startswith("fl") or raw.startswith("fluid"):
        return "fl oz"
    if raw.startswith("half"):
        return "half gal"
    if raw.startswith("gal"):
        return "gal"
    if raw.startswith("q"):
        return "qt"
    if raw.startswith("p"):
        return "pt"
    if raw.startswith("ml"):
        return "ml"
    return "l"


def _weight_unit(raw: str) -> str:
    raw = raw.lower()
    if raw.startswith("o"):
        return "oz"
    if raw.startswith("l") or raw.startswith("p"):
        return "lb"
    if raw.startswith("k"):
        return "kg"
    return "g"


@lru_cache(maxsize=65536)
def size_of(name: str, sold_by_weight: bool = False) -> tuple[float | None, str | None]:
    """Package size from a name, canonical units: ``(128.0, "fl oz")``, ``(31.8, "oz")``, ...

    A multipack ("5.3 oz, 6 Count", "12 fl oz cans, 12 pack") is the per-item size times the
    count. Weighed items ("per lb", or ``sold_by_weight``) are ``(1.0, "lb")``.
    """
    if sold_by_weight or _PER_LB_RE.search(name):
        return 1.0, "lb"
    count: float | None = None
    counts = [float(m.group(1)) for m in _COUNT_RE.finditer(name)]
    dozen = _DOZEN_RE.search(name)
    if counts:
        count = max(counts)
    elif dozen:
        count = 12.0 * float(dozen.group(1) or 1)
    volumes = [(float(m.group(1)), _volume_unit(m.group(2))) for m in _VOLUME_RE.finditer(name)]
    if not volumes and _HALF_GALLON_RE.search(name):
        volumes = [(1.0, "half gal")]
    if volumes:
        # Prefer the explicit fl oz figure ("1 Gallon, 128 fl oz"): it is what Walmart prices by.
        explicit = [v for v in volumes if v[1] == "fl oz"]
        value, unit = (explicit or volumes)[0]
        total = value * _VOLUME_FLOZ[unit] * (count if count and count > 1 else 1.0)
        return round(total, 3), "fl oz"
    weights = [(float(m.group(1)), _weight_unit(m.group(2))) for m in _WEIGHT_RE.finditer(name)]
    if weights:
        explicit = [w for w in weights if w[1] == "oz"]
        value, unit = (explicit or weights)[0]
        total = value * _WEIGHT_OZ[unit] * (count if count and count > 1 else 1.0)
        return round(total, 3), "oz"
    if count:
        return count, "ct"
    if _EACH_RE.search(name):
        return 1.0, "each"
    return None, None


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.lower().replace("\u2019", "'")


_BRAND_KEYS = sorted(((re.sub(r"[^a-z0-9+&]", "", _fold(b)), b) for b in BRANDS), reverse=True)


@lru_cache(maxsize=65536)
def brand_of(name: str) -> str | None:
    """The brand a name starts with, from the curated list (longest match wins), else None."""
    squashed = re.sub(r"[^a-z0-9+&]", "", _fold(name))
    best: str | None = None
    for key, brand in _BRAND_KEYS:
        if squashed.startswith(key) and (best is None or len(key) > len(_squash(best))):
            best = brand
    return best


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9+&]", "", _fold(text))


# Ordered: the first category with a matching keyword wins, so specific phrases come first
# ("ice cream" is frozen, not dairy; "hot dog buns" are bread, not pets; "chicken noodle soup"
# is pantry). Keywords are "|"-separated whole words; a plain plural ("s"/"es") also matches.
_CATEGORY_RULES: tuple[tuple[str, str], ...] = (
    (
        "frozen",
        "frozen|ice cream|pizza|lean cuisine|stouffer's|marie callender's|totino's|"
        "steamers|nuggets|burrito|ice cubes|pot pie|popsicle|waffle|tater tots|hot pockets|"
        "digiorno|eggo|ice pops",
    ),
    ("dairy & eggs", "creamer|coffee creamer"),
    ("bakery & bread", "hot dog buns|hamburger buns"),
    ("meat & seafood", "hot dog|pepperoni"),
    (
        "pantry",
        "pancake mix|cake mix|baking mix|baking soda|baking powder|cooking spray|"
        "peanut butter|penne|rigate|rotini|linguine|fettuccine|macaroni & cheese|"
        "macaroni and cheese|mac & cheese|soup|broth|sauce|ketchup|jelly|preserves|tuna|ramen|"
        "rice sides|garlic powder|black pepper|chocolate chips|cereal|canned|diced tomatoes",
    ),
    ("snacks", "breakfast bars|applesauce|granola bar"),
    ("produce", "baby spinach|baby carrots|baby bella|baby kale|spring mix"),
    (
        "alcohol",
        "beer|wine|vodka|whiskey|tequila|rum|hard seltzer|bud light|budweiser|"
        "michelob|coors|ipa|lager|merlot|cabernet|chardonnay|pinot",
    ),
    (
        "pets",
        "dog|cat food|cat litter|kitty|puppy|kitten|pet|litter|purina|pedigree|"
        "friskies|meow mix|ol' roy|bird seed",
    ),
    (
        "baby",
        "diaper|baby wipes|baby food|baby formula|baby shampoo|baby lotion|baby wash|"
        "baby powder|infant|toddler|pampers|huggies|gerber|formula|parent's choice",
    ),
    (
        "personal care",
        "shampoo|conditioner|toothpaste|toothbrush|deodorant|body wash|"
        "bar soap|hand soap|beauty bar|body bar|lotion|razor|floss|mouthwash|vitamins|"
        "multivitamin|ibuprofen|acetaminophen|sunscreen|cotton swabs|bandage|equate|tampons|pads",
    ),
    (
        "household",
        "paper towel|toilet paper|bath tissue|facial tissue|tissues|kleenex|"
        "detergent|dish soap|dishwasher|trash bag|garbage bag|kitchen bags|aluminum foil|foil|"
        "plastic wrap|cleaner|disinfecting|disinfectant|bleach|sponge|batteries|battery|"
        "light bulb|napkins|paper plates|zip|storage bags|fabric softener|dryer sheets|"
        "air freshener|ziploc|sandwich bags|mainstays|lysol|clorox|tide|bounty|charmin",
    ),
    (
        "snacks",
        "chips|cookie|cracker|popcorn|pretzel|candy|chocolate|snack|oreo|doritos|"
        "cheetos|pringles|goldfish|gummy|gummies|trail mix|jerky|nuts|almonds|peanuts|cashews",
    ),
    (
        "beverages",
        "water|soda|juice|coffee|tea|cola|sprite|gatorade|lemonade|energy|monster|"
        "sparkling|k-cup|pepsi|dr pepper|coca-cola",
    ),
    (
        "bakery & bread",
        "bread|bagel|bun|tortilla|muffin|croissant|cake|donut|rolls|"
        "english muffin|pita|brioche|loaf",
    ),
    (
        "meat & seafood",
        "chicken|beef|pork|turkey|bacon|sausage|ham|salmon|shrimp|tilapia|"
        "steak|ground beef|ground turkey|franks|lunch meat|deli meat|fish|cod|ribs|wings|"
        "drumsticks|thighs",
    ),
    (
        "dairy & eggs",
        "milk|egg|cheese|yogurt|butter|cream|sour cream|half & half|half and half|cottage cheese",
    ),
    (
        "produce",
        "banana|apple|lettuce|tomato|potato|onion|avocado|strawberry|strawberries|"
        "blueberry|blueberries|raspberry|raspberries|grape|orange|lemon|lime|carrot|broccoli|"
        "spinach|cucumber|bell pepper|pepper|celery|salad|cilantro|garlic|mushroom|zucchini|"
        "corn on the cob|peach|pear|watermelon|cantaloupe|pineapple|mango|kale|mandarin|"
        "clementine|cuties|cherries|fresh|marketside",
    ),
    (
        "pantry",
        "rice|pasta|spaghetti|macaroni|noodle|flour|sugar|oats|oatmeal|beans|oil|jam|"
        "salt|spice|seasoning|ketchup|mustard|mayonnaise|mayo|syrup|honey|vinegar|baking|"
        "cheerios|corn|dressing|salsa",
    ),
)
_CATEGORY_PATTERNS = tuple(
    (
        cat,
        re.compile(
            r"(?<![\w'])(?:" + "|".join(re.escape(k) for k in kws.split("|")) + r")(?:e?s)?\b"
        ),
    )
    for cat, kws in _CATEGORY_RULES
)


@lru_cache(maxsize=65536)
def category_of(name: str) -> str:
    """A category from the fixed taxonomy, by ordered keyword rules; ``other`` if none fits."""
    folded = _fold(name)
    for category, pattern in _CATEGORY_PATTERNS:
        if pattern.search(folded):
            return category
    return "other"


_PACK_WORDS = (
    (re.compile(r"\b(\d+)\s*-?\s*(?:count|ct|pack|pk|pcs|pieces)\b"), r"\1 ct"),
    (re.compile(r"\bfl\.?\s*oz\b|\bfluid\s+ounces?\b"), "floz"),
    (re.compile(r"\b(?:gallons?|gal)\b"), "gal"),
    (re.compile(r"\b(?:ounces?)\b"), "oz"),
    (re.compile(r"\b(?:lbs|pounds?)\b"), "lb"),
    (re.compile(r"(\d)\s+(?=(?:oz|lb|gal|floz|ct|g|kg|ml|l)\b)"), r"\1"),
)


@lru_cache(maxsize=65536)
def name_key(name: str) -> str:
    """A match key: case, accents, punctuation and pack-size wording folded away.

    ``"Great Value Large White Eggs, 12 Count"`` and ``"great value large white eggs 12ct"``
    share a key; different sizes or variants do not.
    """
    text = _fold(name).replace("&", " and ")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"[^a-z0-9%.\s]", " ", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    for pattern, repl in _PACK_WORDS:
        text = pattern.sub(repl, text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class NameInfo:
    """Everything we read out of one product name."""

    key: str
    brand: str | None
    size_value: float | None
    size_unit: str | None
    category: str


@lru_cache(maxsize=65536)
def describe(name: str, sold_by_weight: bool = False) -> NameInfo:
    """Brand, size, category and match key of a product name."""
    size_value, size_unit = size_of(name, sold_by_weight)
    return NameInfo(name_key(name), brand_of(name), size_value, size_unit, category_of(name))
