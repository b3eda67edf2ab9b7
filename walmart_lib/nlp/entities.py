"""Entity extraction: quantities, units, money, dates, categories, stores and the product phrase.

Everything here is deterministic text processing, fast enough to run on every utterance.
Numbers are read from digits or words ("two", "a dozen" = 12, "half a dozen" = 6, "a loaf" =
1); units are normalised ("lbs" -> "lb", "gallons" -> "gallon"); money is "$4.99", "450
dollars", "5 bucks" or "five hundred dollars", always in dollars. Dates come from
:mod:`walmart_lib.nlp.dates`. Categories are the core taxonomy
(``walmart_lib.ingest.taxonomy.CATEGORIES``) recognised from the words people use for them.
Stores are matched against the stores the caller knows (city or store name, tolerating a
typo). The product phrase is what is left once those spans and the request's scaffolding
("can you add", "to my list", "how much is", ...) are removed: the longest run of content words,
allowing connectors inside it ("mac and cheese", "cream of mushroom"), with known brand names
kept whole. That works for products never seen in training, because it looks at the words
around a product, not at a list of products.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from walmart_lib.ingest.taxonomy import BRANDS, CATEGORIES
from walmart_lib.nlp.dates import find_dates

__all__ = [
    "StoreRef",
    "UNITS",
    "extract_entities",
    "parse_number",
]


@dataclass(frozen=True)
class StoreRef:
    """A store the parser can recognise: its name (what ``entities["store"]`` holds) and city."""

    name: str
    city: str | None = None


#: surface form -> canonical unit.
UNITS: dict[str, str] = {}
for _canon, _forms in {
    "lb": ("lb", "lbs", "pound", "pounds"),
    "oz": ("oz", "ounce", "ounces"),
    "fl oz": ("fl oz", "fluid ounce", "fluid ounces"),
    "gallon": ("gallon", "gallons", "gal", "gals"),
    "half gallon": ("half gallon", "half gallons", "half-gallon", "half-gallons"),
    "quart": ("quart", "quarts", "qt"),
    "pint": ("pint", "pints"),
    "liter": ("liter", "liters", "litre", "litres", "l"),
    "kg": ("kg", "kilo", "kilos", "kilogram", "kilograms"),
    "g": ("g", "gram", "grams"),
    "ct": ("ct", "count"),
    "pack": ("pack", "packs", "pk", "package", "packages", "pkg", "packet", "packets"),
    "case": ("case", "cases"),
    "box": ("box", "boxes"),
    "bag": ("bag", "bags"),
    "can": ("can", "cans", "tin", "tins"),
    "bottle": ("bottle", "bottles"),
    "jar": ("jar", "jars"),
    "jug": ("jug", "jugs"),
    "carton": ("carton", "cartons"),
    "tub": ("tub", "tubs"),
    "container": ("container", "containers"),
    "loaf": ("loaf", "loaves"),
    "bunch": ("bunch", "bunches"),
    "head": ("head", "heads"),
    "roll": ("roll", "rolls"),
    "stick": ("stick", "sticks"),
    "dozen": ("dozen", "dozens"),
    "each": ("each",),
}.items():
    for _form in _forms:
        UNITS[_form] = _canon

_ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORD = "|".join(sorted([*_ONES, *_TENS, *_SCALES, "and", "a"], key=len, reverse=True))
_WORD_NUM = rf"(?:(?:{'|'.join([*_ONES, *_TENS])})(?:[\s-]+(?:{_NUMBER_WORD}))*)"
_DIGITS = r"\d+(?:,\d{3})*(?:\.\d+)?"

_B, _E = r"(?<![\w'$%])", r"(?![\w'%])"
_UNIT_ALT = "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))

MONEY_RE = re.compile(
    rf"\$\s?(?P<d1>{_DIGITS})(?:\s?(?P<k1>k))?"
    rf"|{_B}(?P<d2>{_DIGITS}|{_WORD_NUM})\s*(?:dollars?|bucks?|usd){_E}"
)
#: "a dozen", "half a dozen", "2 dozen", "a couple of", "a few" (quantity only, no unit).
DOZEN_RE = re.compile(
    rf"{_B}(?:(?P<half>half\s+(?:a\s+)?)|(?P<n>{_DIGITS}|{_WORD_NUM}|a|an)\s+)dozen{_E}"
)
QTY_UNIT_RE = re.compile(
    rf"{_B}(?P<n>{_DIGITS}|{_WORD_NUM}|an|a|another|the|half\s+a|half)\s*[- ]?\s*"
    rf"(?:(?:big|large|small|little|huge|giant|family[- ]size|whole|full)\s+)?"
    rf"(?P<unit>{_UNIT_ALT}){_E}(?:\s+of\b)?"
)
PER_UNIT_RE = re.compile(
    rf"{_B}(?:per|a|an|each|by\s+the)\s+(?P<unit>lb|lbs|pound|oz|ounce|gallon|dozen){_E}"
)
QTY_RE = re.compile(rf"{_B}(?P<n>{_DIGITS}|{_WORD_NUM}){_E}")
TIMES_RE = re.compile(rf"(?:{_B}x\s?(?P<a>\d+){_E})|(?:{_B}(?P<b>\d+)\s?x{_E})")
OF_THEM_RE = re.compile(rf"{_B}(?P<n>{_DIGITS}|{_WORD_NUM})\s+of\s+(?:them|those|these|the){_E}")
COUPLE_RE = re.compile(rf"{_B}a\s+(?P<w>couple|few)(?:\s+of)?{_E}")

#: words for a category -> taxonomy category (longest phrases first when matching).
CATEGORY_WORDS: dict[str, str] = {
    "produce": "produce", "fresh produce": "produce", "vegetables": "produce",
    "veggies": "produce", "veggie": "produce", "fruit": "produce", "fruits": "produce",
    "dairy": "dairy & eggs", "dairy products": "dairy & eggs", "dairy & eggs": "dairy & eggs",
    "dairy and eggs": "dairy & eggs", "meat": "meat & seafood", "meats": "meat & seafood",
    "seafood": "meat & seafood", "meat and seafood": "meat & seafood",
    "meat & seafood": "meat & seafood", "bakery": "bakery & bread",
    "baked goods": "bakery & bread", "bakery items": "bakery & bread",
    "pantry": "pantry", "pantry staples": "pantry", "pantry items": "pantry",
    "canned goods": "pantry", "dry goods": "pantry", "frozen food": "frozen",
    "frozen foods": "frozen", "frozen stuff": "frozen", "frozen items": "frozen",
    "frozen aisle": "frozen", "snacks": "snacks", "snack": "snacks", "snack food": "snacks",
    "beverages": "beverages", "beverage": "beverages", "drinks": "beverages",
    "household": "household", "household stuff": "household", "household items": "household",
    "household supplies": "household", "cleaning supplies": "household",
    "cleaning stuff": "household", "cleaning products": "household",
    "personal care": "personal care", "toiletries": "personal care", "hygiene": "personal care",
    "baby stuff": "baby", "baby items": "baby", "baby products": "baby",
    "baby supplies": "baby", "pet food": "pets", "pet stuff": "pets", "pet supplies": "pets",
    "pets": "pets", "pet": "pets", "alcohol": "alcohol", "booze": "alcohol",
    "beer and wine": "alcohol", "wine and beer": "alcohol", "liquor": "alcohol",
}  # fmt: skip
CATEGORY_WORDS.update({c: c for c in CATEGORIES if c != "other"})
_CATEGORY_RE = re.compile(
    _B + "(" + "|".join(sorted(map(re.escape, CATEGORY_WORDS), key=len, reverse=True)) + ")" + _E
)

#: Words that frame a request rather than name a product. A product phrase never starts or
#: ends with one of these; inside a phrase they end it (except the connectors below).
SCAFFOLD = set(
    """
    i i'm im i'd i'll i've ive me my mine myself we we're we've us our ours you u ya y'all your
    yours he she they them their it it's its that that's this these those there there's here
    the a an some any anything all every each more another other others else few much many
    lot lots bit couple to on in at for from with about by off out up down into onto over than
    then or but so if as is are was were be been being am do does did done doing have has had
    having get got gets getting go going goes gone went gonna wanna gotta want wants need needs
    needed like would could can can't cannot should will won't shall may might must please pls
    plz thanks thank ty hey hi hello yo ok okay oh oops um just also too again still yet
    already now right currently current today tonight days day week weeks month months year
    years lately recently usually usual normally regular regularly always ever never not no
    don't dont doesn't didn't isn't aren't wasn't anymore after before what what's whats wat
    which who where where's when how how's why whether way kind kinds sort sorts type types
    option options brand brands version versions stuff things thing item items product
    products one ones add adding added put putting stick throw toss pop slap jot write note
    mark place include remember forget buy buying bought purchase purchased purchases order
    ordered orders ordering pick picked grab list lists listed grocery groceries shopping cart
    remove removing delete deleting take taking taken drop scratch cross crossed strike nix
    erase cancel skip uncheck lose scrap rid un-add un-list price prices priced pricing cost
    costs costing paid pay paying charge charged charges expensive pricier pricey cheap
    cheaper cheapest worth total spend spent spending budget find finding search searching
    look looking lookup locate show showing see browse pull display tell give check carry
    carried sell sells selling stock stocked stocks available sale sales deal deals discount
    discounted rollback rollbacks alternative alternatives substitute substitutes replace
    replacement swap instead similar comparable equivalent dupe dupes sub store stores
    walmart location shelves shelf aisle compare comparison history trend changed change
    time since last per running run around roughly about expect expecting these days anyway
    actually maybe probably really good great nice best better decent cool awesome wonderful
    help lemme let let's gimme trying try tryna hunting after want wish name generic
    favorite favourite same whatever both such something stock catalog results result
    read back through everything anything nothing big small large huge little money cash
    come comes came breakdown broken dropped drop drops average weekly monthly daily bill
    bills category categories set setting left cap capped keep kept stay stayed under below
    above budgets raise lower limit limits within remaining remain exceed exceeded make made
    most least recent recently times time placed past biggest often low restock restocking
    due rebought rebuy suggest suggestion suggestions reorder predict prediction overdue fill
    shop shops shopping least overall use used beats beat rest rank ranked priciest between
    bargain bargains normal normally discounts markdown markdowns marked savings saving save
    crept creep climbed climb climbing rise rose risen jumped increase increased decrease
    decreased higher highest lowest low lower chart graph plot track tracking found find
    locate hunting trip trips run runs fast fastest quick quickly total totals subtotal tax
    taxes fee fees delivery pickup ready finalize finish finished complete export download
    send ring wrap wrapped owe calculate calculated including include spreadsheet csv point
    excel file bought gonna able tonight morning yesterday tomorrow soon later first next
    previous latest newest oldest new old grab picking pick-up go-to regulars usuals staple
    staples reorder rebuying repurchase replenish replenishing refill fill stocked
    much many any anyone someone somebody something everything else elsewhere
    value deal special specials promo promos coupon coupons clearance on-sale
    difference gap versus vs vs. compared comparing cheaply pricewise price-wise
    spend spends spent spending expense expenses expensive costly pricy overpriced
    history historical moved move movement changes changing fluctuate fluctuated stable
    volatile percent percentage inflation went gone come down up trending trend trends
    cuts cut stocking restocked worth usual regular point sure
    r nevermind mind gotten less fewer question questions rate rates makes
    far open estimate estimated contents grand remind review print empty recap loud details
    refunded unavailable substituted substitution substitutions in-store receipts receipt
    once twice today's week's month's year's while steal unusually alert alerts miss missed
    buys ran update updated knock weekend included includes evolved evolve jump spike spiked
    swing swings creeping feel feeling trajectory trended hit damage charging unit units
    hot long kids across
    append missing chance matching selection section ideas idea single plenty quantity tag
    """.split()
)
#: Scaffolding words that also begin product names ("everything bagels", "kind bars", "hot
#: sauce", "long grain rice", "kids snacks"): right before a content word they are part of
#: the product ("what kind of cereal", "the hot deals" are not: "of" / "deals" follows).
PRODUCT_LEADS = {"everything", "kind", "hot", "long", "kids"}
#: A phrase right before one of these names a place ("the anderson store"), not a product.
PLACE_WORDS = {"store", "stores", "location", "supercenter", "walmart"}
#: Words that may join two content words inside one product phrase.
CONNECTORS = {"and", "&", "n", "'n'", "of", "with", "without", "in", ","}
_TOKEN_RE = re.compile(r"\d+(?:\.\d+)?%|[a-z0-9]+(?:['’.\-+][a-z0-9]+)*|&|,")
_BRAND_RE = re.compile(
    r"(?<![\w'])("
    + "|".join(sorted((re.escape(b.lower()) for b in BRANDS), key=len, reverse=True))
    + r")(?![\w'])"
)


#: Intents whose requests never name a product (so no phrase is guessed for them).
NO_PRODUCT_INTENTS = frozenset({"help", "out_of_scope", "list_clear", "budget", "checkout"})


def parse_number(text: str) -> float | None:
    """Digits ("1,200", "4.5") or English number words ("twenty five", "a hundred")."""
    s = text.strip().lower().replace(",", "")
    if not s:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    if s in ("a", "an", "another"):
        return 1.0
    if s in ("half", "half a"):
        return 0.5
    total, current, seen = 0, 0, False
    for word in re.split(r"[\s-]+", s):
        if word in ("and", ""):
            continue
        if word == "a" and not seen:
            current = 1
        elif word in _ONES:
            current += _ONES[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
        else:
            return None
        seen = True
    return float(total + current) if seen else None


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class _Spans:
    """Character positions already explained by an entity (never part of the product)."""

    def __init__(self, n: int) -> None:
        self.used = [False] * n

    def free(self, start: int, end: int) -> bool:
        return not any(self.used[start:end])

    def take(self, start: int, end: int) -> None:
        for i in range(start, min(end, len(self.used))):
            self.used[i] = True


def _money(text: str, spans: _Spans) -> float | None:
    amount = None
    for m in MONEY_RE.finditer(text):
        raw = m["d1"] or m["d2"]
        value = parse_number(raw)
        if value is None:
            continue
        if m["k1"]:
            value *= 1000
        spans.take(m.start(), m.end())
        if amount is None:
            amount = value
    return amount


def _quantity_unit(text: str, spans: _Spans) -> tuple[float | None, str | None]:
    qty: float | None = None
    unit: str | None = None
    for m in DOZEN_RE.finditer(text):
        if not spans.free(m.start(), m.end()):
            continue
        n = 0.5 if m["half"] else parse_number(m["n"] or "a")
        if n is not None:
            spans.take(m.start(), m.end())
            of = re.match(r"\s+of\b", text[m.end() :])
            if of:
                spans.take(m.end(), m.end() + of.end())
            return n * 12, None
    for m in QTY_UNIT_RE.finditer(text):
        if not spans.free(m.start(), m.end()):
            continue
        if m["n"] == "the":
            # "the big tub of": a unit without a count (only when "of" follows).
            if not m.group(0).endswith("of"):
                continue
            unit = UNITS[m["unit"]]
            spans.take(m.start(), m.end())
            break
        n = parse_number(m["n"])
        if n is None:
            continue
        qty, unit = n, UNITS[m["unit"]]
        spans.take(m.start(), m.end())
        break
    if unit is None:
        for m in PER_UNIT_RE.finditer(text):
            if spans.free(m.start(), m.end()):
                unit = UNITS[m["unit"]]
                spans.take(m.start(), m.end())
                break
    if qty is None:
        for rx in (TIMES_RE, OF_THEM_RE):
            for m in rx.finditer(text):
                if spans.free(m.start(), m.end()):
                    raw = m.groupdict().get("n") or m.groupdict().get("a") or m["b"]
                    qty = parse_number(raw)
                    spans.take(m.start(), m.end())
                    break
            if qty is not None:
                break
    if qty is None:
        for m in QTY_RE.finditer(text):
            if not spans.free(m.start(), m.end()):
                continue
            before = text[: m.start()].rstrip()
            after = text[m.end() :]
            # Order numbers, sizes and percentages are not quantities.
            if re.search(r"(?:order|size|#|number|no\.?|item)$", before):
                continue
            if after.startswith(("%", "st ", "nd ", "rd ", "th ")):
                continue
            if len(m["n"]) > 4 and m["n"].isdigit():
                continue
            n = parse_number(m["n"])
            if n == 0:
                continue  # "coke zero": nobody asks for none of something
            qty = n
            spans.take(m.start(), m.end())
            break
    if qty is None:
        few = COUPLE_RE.search(text)
        if few and spans.free(few.start(), few.end()):
            qty = 2.0 if few["w"] == "couple" else 3.0
            spans.take(few.start(), few.end())
    return qty, unit


def _category(text: str) -> str | None:
    m = _CATEGORY_RE.search(text)
    return CATEGORY_WORDS[m.group(1)] if m else None


@lru_cache(maxsize=32)
def _store_patterns(stores: tuple[StoreRef, ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """One compiled pattern per store name and city (cached: the store list rarely changes)."""
    out = []
    for store in stores:
        for key in sorted({k.lower() for k in (store.city, store.name) if k}):
            out.append((re.compile(r"(?<![\w'])" + re.escape(key) + r"(?![\w'])"), store.name))
    return tuple(out)


def _stores(text: str, stores: Sequence[StoreRef], spans: _Spans) -> str | None:
    """The first store whose city or name appears (a one-letter typo allowed in long names)."""
    if not stores:
        return None
    patterns = _store_patterns(tuple(stores))
    best: tuple[int, int, str] | None = None
    for pattern, name in patterns:
        for m in pattern.finditer(text):
            if best is None or m.start() < best[0]:
                best = (m.start(), m.end(), name)
    if best is None:
        # Typos ("greenvile"): compare each word with the city names.
        for store in stores:
            if not store.city or len(store.city) < 5:
                continue
            city = store.city.lower()
            for m in re.finditer(r"[a-z]+", text):
                cand = m.group(0)
                if len(cand) >= 5 and cand[0] == city[0] and fuzz.ratio(cand, city) >= 88:
                    best = (m.start(), m.end(), store.name)
                    break
            if best:
                break
    if best is None:
        return None
    start, end, name = best
    # Every store mentioned is explained (the entity is the first one named).
    for pattern, _name in patterns:
        for m in pattern.finditer(text):
            spans.take(m.start(), m.end())
    spans.take(start, end)
    # "at the greer store", "the anderson walmart": the frame words go too.
    tail = re.match(r"\s+(?:walmart|store|location|supercenter|one)\b", text[end:])
    if tail:
        spans.take(end, end + tail.end())
    head = re.search(r"(?:\b(?:at|in|from|for)\s+)?(?:the\s+)?$", text[:start])
    if head and head.group(0).strip():
        spans.take(head.start(), start)
    return name


def _product(text: str, spans: _Spans) -> str | None:
    protected = [(m.start(), m.end()) for m in _BRAND_RE.finditer(text)]
    toks: list[tuple[str, bool]] = []  # (token, is_content)
    branded: list[bool] = []
    for m in _TOKEN_RE.finditer(text):
        if not spans.free(m.start(), m.end()):
            toks.append(("|", False))  # an entity span breaks a phrase
            branded.append(False)
            continue
        tok = m.group(0)
        in_brand = any(s <= m.start() and m.end() <= e for s, e in protected)
        content = in_brand or (tok not in SCAFFOLD and tok not in CONNECTORS)
        if tok.isdigit() and len(tok) >= 5:
            content = False  # an order or item number ("what's in order 2000123")
        toks.append((tok, content))
        branded.append(in_brand)
    for i in range(len(toks) - 2, -1, -1):  # right to left: a lead before a lead before content
        # Not before a brand: "everything great value makes" is every product of the brand.
        if toks[i][0] in PRODUCT_LEADS and toks[i + 1][1] and not branded[i + 1]:
            toks[i] = (toks[i][0], True)
    runs: list[list[str]] = []
    cur: list[str] = []
    for i, (tok, content) in enumerate(toks):
        if content and not cur and i and toks[i - 1][0] == "at":
            # "at greer": a place (a store the database does not list), not a product.
            toks[i] = (tok, False)
            continue
        if content:
            cur.append(tok)
        elif cur and tok in CONNECTORS and i + 1 < len(toks) and toks[i + 1][1]:
            cur.append(tok)
        else:
            if cur and tok not in PLACE_WORDS:
                runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    if not runs:
        return None
    best = max(runs, key=len)  # longest; max keeps the first of equals
    if len(best) > 2 and best[0] in UNITS and best[1] == "of":
        best = best[2:]  # "a 5 lb bag of flour": the count took "5 lb", "bag of" is left
    phrase = " ".join(best).replace(" ,", ",")
    phrase = re.sub(r"^(?:and|of|with|in)\s+|\s+(?:and|of|with|in)$", "", phrase).strip(" ,")
    if not phrase:
        return None
    # A phrase that is only category words ("dairy products", "snacks") names a category.
    if _CATEGORY_RE.fullmatch(phrase) or phrase in ("food", "groceries"):
        return None
    return phrase


def extract_entities(
    text: str, today: date, stores: Sequence[StoreRef] = (), intent: str | None = None
) -> dict[str, Any]:
    """The entities in ``text`` (keys as in DESIGN.md; absent keys were not mentioned)."""
    lower = text.lower()[:1000].replace("’", "'")
    spans = _Spans(len(lower))
    out: dict[str, Any] = {}

    found = find_dates(lower, today)
    if found:
        out["date_from"] = min(d.date_from for d in found).isoformat()
        out["date_to"] = max(d.date_to for d in found).isoformat()
        for d in found:
            spans.take(d.start, d.end)

    amount = _money(lower, spans)
    if amount is None and intent == "budget":
        # "change the budget to 425": in a budget request a bare number is money.
        bare = QTY_RE.search(lower)
        if bare and spans.free(bare.start(), bare.end()):
            amount = parse_number(bare["n"])
            spans.take(bare.start(), bare.end())
    if amount is not None:
        out["amount"] = _num(amount)

    store = _stores(lower, stores, spans)
    if store is not None:
        out["store"] = store

    qty, unit = _quantity_unit(lower, spans)
    if qty is not None:
        out["quantity"] = _num(qty)
    if unit is not None:
        out["unit"] = unit

    category = _category(lower)
    if category is not None:
        out["category"] = category

    if intent not in NO_PRODUCT_INTENTS:
        product = _product(lower, spans)
        if product is not None:
            out["product"] = product
    return out
