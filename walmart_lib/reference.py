"""US average retail prices from the Bureau of Labor Statistics, for "your price vs the US average".

The bundled files in ``data/reference/`` are BLS Average Price Data (series ``APU0000…``, U.S.
city average, monthly, not seasonally adjusted; public domain) as compiled by
github.com/cbs-news-data/price_tracker: a wide CSV with one column per item, headed by a
newsroom label (``"MILK (HALF GALLON)"``), and a TSV of series ids and exact BLS titles.
:data:`BLS_ITEMS` ties each CSV column to its series id, title, unit and a *measure* (how much
of a product the quoted price buys, in the size units of :mod:`walmart_lib.ingest.taxonomy`),
so a product's price can be converted to the BLS unit. The labels are not always the unit:
``MILK (HALF GALLON)`` is series APU0000709112, priced **per gallon**, and ``SOFT DRINKS
(12 PACK)`` is APU0000FN1102, priced **per 12 oz can**; the measures follow the series titles.
:func:`load_bls_prices` returns the data in long form, one row per item and month, without the
months the BLS did not publish (``NA`` in the CSV).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from walmart_lib.config import REFERENCE_DIR

__all__ = [
    "BLS_ITEMS",
    "BLS_PRICES_FILE",
    "BLS_SOURCE",
    "BLS_TITLES_FILE",
    "BlsItem",
    "bls_item_for_series",
    "load_bls_prices",
    "load_bls_titles",
]

BLS_PRICES_FILE = REFERENCE_DIR / "bls_average_prices_monthly.csv"
BLS_TITLES_FILE = REFERENCE_DIR / "bls_series_titles.tsv"
BLS_SOURCE = (
    "U.S. Bureau of Labor Statistics, Average Price Data, U.S. city average (public domain), "
    "compiled by github.com/cbs-news-data/price_tracker"
)

#: Ounces per unit for converting weight measures (weight never converts to volume).
_WEIGHT_OZ = {"oz": 1.0, "lb": 16.0}


@dataclass(frozen=True, slots=True)
class BlsItem:
    """One BLS average-price series and how to compare a product's price with it."""

    key: str
    column: str
    series_id: str
    title: str
    #: The unit the price is quoted for, in words ("lb", "dozen", "gallon", "12 oz can", ...).
    unit: str
    #: How much the quoted price buys: (size unit, amount), e.g. ("fl oz", 128) per gallon.
    measure: tuple[str, float]
    category: str
    #: False for the two household utilities the CSV also carries (electricity, piped gas).
    grocery: bool = True

    def amount_in(self, size_unit: str) -> float | None:
        """How many ``size_unit`` the quoted price buys (``None`` when the units don't mix).

        ``BLS_ITEMS["bananas"].amount_in("oz") == 16.0``: a per-lb price buys 16 oz.
        """
        unit, amount = self.measure
        if unit == size_unit:
            return amount
        if unit in _WEIGHT_OZ and size_unit in _WEIGHT_OZ:
            return amount * _WEIGHT_OZ[unit] / _WEIGHT_OZ[size_unit]
        return None


def _item(
    key: str,
    column: str,
    series_id: str,
    title: str,
    unit: str,
    measure: tuple[str, float],
    category: str,
    grocery: bool = True,
) -> BlsItem:
    return BlsItem(key, column, series_id, title, unit, measure, category, grocery)


_LB = ("lb", 1.0)

#: The 40 series in the CSV, keyed by a short item name. Series ids as in the compiler's
#: script (scripts/prices_monthly.R); titles verbatim from bls_series_titles.tsv.
BLS_ITEMS: dict[str, BlsItem] = {
    item.key: item
    for item in (
        _item(
            "flour",
            "FLOUR",
            "APU0000701111",
            "Flour, white, all purpose, per lb. (453.6 gm)",
            "lb",
            _LB,
            "pantry",
        ),
        _item(
            "rice",
            "RICE",
            "APU0000701312",
            "Rice, white, long grain, uncooked, per lb. (453.6 gm)",
            "lb",
            _LB,
            "pantry",
        ),
        _item(
            "pasta",
            "SPAGHETTI AND MACARONI",
            "APU0000701322",
            "Spaghetti and macaroni, per lb. (453.6 gm)",
            "lb",
            _LB,
            "pantry",
        ),
        _item(
            "white_bread",
            "WHITE BREAD",
            "APU0000702111",
            "Bread, white, pan, per lb. (453.6 gm)",
            "lb",
            _LB,
            "bakery & bread",
        ),
        _item(
            "wheat_bread",
            "WHEAT BREAD",
            "APU0000702212",
            "Bread, whole wheat, pan, per lb. (453.6 gm)",
            "lb",
            _LB,
            "bakery & bread",
        ),
        _item(
            "cookies",
            "COOKIES",
            "APU0000702421",
            "Cookies, chocolate chip, per lb. (453.6 gm)",
            "lb",
            _LB,
            "snacks",
        ),
        _item(
            "ground_beef",
            "GROUND BEEF",
            "APU0000703112",
            "Ground beef, 100% beef, per lb. (453.6 gm)",
            "lb",
            _LB,
            "meat & seafood",
        ),
        _item(
            "round_roast",
            "ROUND ROAST",
            "APU0000703311",
            "Round roast, USDA Choice, boneless, per lb. (453.6 gm)",
            "lb",
            _LB,
            "meat & seafood",
        ),
        _item(
            "beef_stew",
            "BEEF FOR STEW",
            "APU0000703432",
            "Beef for stew, boneless, per lb. (453.6 gm)",
            "lb",
            _LB,
            "meat & seafood",
        ),
        _item(
            "steak",
            "STEAK",
            "APU0000703511",
            "Steak, round, USDA Choice, boneless, per lb. (453.6 gm)",
            "lb",
            _LB,
            "meat & seafood",
        ),
        _item(
            "bacon",
            "BACON",
            "APU0000704111",
            "Bacon, sliced, per lb. (453.6 gm)",
            "lb",
            _LB,
            "meat & seafood",
        ),
        _item(
            "boneless_ham",
            "BONELESS HAM",
            "APU0000704312",
            "Ham, boneless, excluding canned, per lb. (453.6 gm)",
            "lb",
            _LB,
            "meat & seafood",
        ),
        _item(
            "eggs",
            "DOZEN EGGS",
            "APU0000708111",
            "Eggs, grade A, large, per doz.",
            "dozen",
            ("ct", 12.0),
            "dairy & eggs",
        ),
        # The CSV label says half gallon; the series is priced per gallon (3.8 l).
        _item(
            "milk",
            "MILK (HALF GALLON)",
            "APU0000709112",
            "Milk, fresh, whole, fortified, per gal. (3.8 lit)",
            "gallon",
            ("fl oz", 128.0),
            "dairy & eggs",
        ),
        _item(
            "american_cheese",
            "PROCESSED AMERICAN CHEESE",
            "APU0000710211",
            "American processed cheese, per lb. (453.6 gm)",
            "lb",
            _LB,
            "dairy & eggs",
        ),
        _item(
            "cheddar_cheese",
            "CHEDDAR CHEESE",
            "APU0000710212",
            "Cheddar cheese, natural, per lb. (453.6 gm)",
            "lb",
            _LB,
            "dairy & eggs",
        ),
        _item(
            "ice_cream",
            "ICE CREAM (HALF GALLON)",
            "APU0000710411",
            "Ice cream, prepackaged, bulk, regular, per 1/2 gal. (1.9 lit)",
            "half gallon",
            ("fl oz", 64.0),
            "frozen",
        ),
        _item(
            "bananas",
            "BANANAS",
            "APU0000711211",
            "Bananas, per lb. (453.6 gm)",
            "lb",
            _LB,
            "produce",
        ),
        _item(
            "oranges",
            "ORANGES",
            "APU0000711311",
            "Oranges, Navel, per lb. (453.6 gm)",
            "lb",
            _LB,
            "produce",
        ),
        _item(
            "grapefruit",
            "GRAPEFRUIT",
            "APU0000711411",
            "Grapefruit, per lb. (453.6 gm)",
            "lb",
            _LB,
            "produce",
        ),
        _item(
            "lemons",
            "LEMONS",
            "APU0000711412",
            "Lemons, per lb. (453.6 gm)",
            "lb",
            _LB,
            "produce",
        ),
        _item(
            "strawberries",
            "STRAWBERRIES (PINT)",
            "APU0000711415",
            "Strawberries, dry pint, per 12 oz. (340.2 gm)",
            "12 oz",
            ("oz", 12.0),
            "produce",
        ),
        _item(
            "potatoes",
            "POTATOES",
            "APU0000712112",
            "Potatoes, white, per lb. (453.6 gm)",
            "lb",
            _LB,
            "produce",
        ),
        _item(
            "lettuce",
            "LETTUCE",
            "APU0000712211",
            "Lettuce, iceberg, per lb. (453.6 gm)",
            "lb",
            _LB,
            "produce",
        ),
        _item(
            "tomatoes",
            "TOMATOES",
            "APU0000712311",
            "Tomatoes, field grown, per lb. (453.6 gm)",
            "lb",
            _LB,
            "produce",
        ),
        _item(
            "frozen_orange_juice",
            "FROZEN ORANGE JUICE",
            "APU0000713111",
            "Orange juice, frozen concentrate, 12 oz. can, per 16 oz. (473.2 ml)",
            "16 fl oz",
            ("fl oz", 16.0),
            "frozen",
        ),
        _item(
            "canned_corn",
            "CANNED CORN",
            "APU0000714221",
            "Corn, canned, any style, all sizes, per lb. (453.6 gm)",
            "lb",
            _LB,
            "pantry",
        ),
        _item(
            "dried_beans",
            "DRIED BEANS",
            "APU0000714233",
            "Beans, dried, any type, all sizes, per lb. (453.6 gm)",
            "lb",
            _LB,
            "pantry",
        ),
        _item(
            "sugar",
            "SUGAR",
            "APU0000715211",
            "Sugar, white, all sizes, per lb. (453.6 gm)",
            "lb",
            _LB,
            "pantry",
        ),
        _item(
            "coffee",
            "COFFEE",
            "APU0000717311",
            "Coffee, 100%, ground roast, all sizes, per lb. (453.6 gm)",
            "lb",
            _LB,
            "beverages",
        ),
        _item(
            "beer",
            "MALT BEVERAGES",
            "APU0000720111",
            "Malt beverages, all types, all sizes, any origin, per 16 oz. (473.2 ml)",
            "16 fl oz",
            ("fl oz", 16.0),
            "alcohol",
        ),
        _item(
            "wine",
            "TABLE WINE",
            "APU0000720311",
            "Wine, red and white table, all sizes, any origin, per 1 liter (33.8 oz)",
            "liter",
            ("fl oz", 33.8),
            "alcohol",
        ),
        _item(
            "electricity",
            "ELECTRICITY (KW HOUR)",
            "APU000072610",
            "Electricity per KWH",
            "kWh",
            ("kWh", 1.0),
            "other",
            grocery=False,
        ),
        _item(
            "utility_gas",
            "UTILITY GAS",
            "APU000072620",
            "Utility (piped) gas per therm",
            "therm",
            ("therm", 1.0),
            "other",
            grocery=False,
        ),
        _item(
            "pork_chops",
            "PORK CHOPS",
            "APU0000FD3101",
            "All Pork Chops, per lb. (453.6 gm)",
            "lb",
            _LB,
            "meat & seafood",
        ),
        _item(
            "chicken_breast",
            "CHICKEN BREAST",
            "APU0000FF1101",
            "Chicken breast, boneless, per lb. (453.6 gm)",
            "lb",
            _LB,
            "meat & seafood",
        ),
        _item(
            "yogurt",
            "YOGURT (8 OUNCES)",
            "APU0000FJ4101",
            "Yogurt, per 8 oz. (226.8 gm)",
            "8 oz",
            ("oz", 8.0),
            "dairy & eggs",
        ),
        _item(
            "soft_drinks_2l",
            "SOFT DRINKS (2 LITER)",
            "APU0000FN1101",
            "All soft drinks, per 2 liters (67.6 oz)",
            "2 liters",
            ("fl oz", 67.6),
            "beverages",
        ),
        # The CSV label says 12 pack; the series is priced per 12 oz can of a 12-pack.
        _item(
            "soft_drinks_12pk",
            "SOFT DRINKS (12 PACK)",
            "APU0000FN1102",
            "All soft drinks, 12 pk, 12 oz., cans, per 12 oz. (354.9 ml)",
            "12 oz can",
            ("fl oz", 12.0),
            "beverages",
        ),
        _item(
            "butter",
            "BUTTER",
            "APU0000FS1101",
            "Butter, stick, per lb. (453.6 gm)",
            "lb",
            _LB,
            "dairy & eggs",
        ),
    )
}

_BY_SERIES = {item.series_id: item for item in BLS_ITEMS.values()}


def bls_item_for_series(series_id: str) -> BlsItem | None:
    """The item priced by a BLS series id, or ``None`` if the bundled data lacks it."""
    return _BY_SERIES.get(series_id)


def load_bls_titles(path: Path | None = None) -> dict[str, str]:
    """Series id -> exact BLS title, from the tab-separated titles file (no header row)."""
    titles: dict[str, str] = {}
    text = (path or BLS_TITLES_FILE).read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip():
            series_id, title = line.split("\t", 1)
            titles[series_id.strip()] = title.strip()
    return titles


@lru_cache(maxsize=4)
def _load(path: Path) -> pl.DataFrame:
    wide = pl.read_csv(path, null_values=["NA"], try_parse_dates=False)
    columns = {item.column: item for item in BLS_ITEMS.values()}
    unknown = [c for c in wide.columns if c != "DATE" and c not in columns]
    if unknown:
        raise ValueError(f"{path.name}: columns without a known BLS series: {unknown}")
    labels = pl.DataFrame(
        {
            "column": [item.column for item in BLS_ITEMS.values()],
            "series_id": [item.series_id for item in BLS_ITEMS.values()],
            "item": [item.key for item in BLS_ITEMS.values()],
            "unit": [item.unit for item in BLS_ITEMS.values()],
        }
    )
    return (
        wide.with_columns(pl.col("DATE").str.to_date("%Y-%m-%d").alias("month"))
        .drop("DATE")
        .unpivot(index="month", variable_name="column", value_name="price")
        .drop_nulls("price")
        .join(labels, on="column", how="left")
        .select(
            "month", "series_id", "item", "unit", pl.col("price").cast(pl.Float64).alias("price")
        )
        .sort("item", "month")
    )


def load_bls_prices(path: Path | None = None) -> pl.DataFrame:
    """BLS monthly US average prices in long form, one row per item and published month.

    Columns: ``month`` (``pl.Date``, first of the month), ``series_id``, ``item`` (a key of
    :data:`BLS_ITEMS`), ``unit`` (what the price is quoted for) and ``price`` (dollars,
    float: these are published statistics, not money we store). Months the BLS did not
    publish are absent rather than null.
    """
    return _load((path or BLS_PRICES_FILE).resolve())
