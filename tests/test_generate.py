"""Tests for walmart_lib.ingest.generate: determinism, format invariants and the bundled sample.

The sample is checked by parsing the committed JSON directly (not through the importer), so
these tests hold the generator to the counts the rest of the product relies on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from walmart_lib.cli import main as cli_main
from walmart_lib.config import SAMPLE_DIR
from walmart_lib.ingest import generate as gen
from walmart_lib.ingest.generate import (
    CATALOGUE,
    SAMPLE_COUNTS,
    STORES,
    build_sample,
    generate_orders,
    write_dataset,
)
from walmart_lib.ingest.taxonomy import CATEGORIES, SIZE_UNITS
from walmart_lib.reference import BLS_ITEMS, load_bls_prices

MONEY = re.compile(r"^\d+\.\d{2}$")
DISPLAY = re.compile(r"^\$\d{1,3}(,\d{3})*\.\d{2}$")
SAMPLE_CITIES = {"Spartanburg", "Greenville", "Greer", "Simpsonville", "Anderson", "Mount Pleasant"}
FULFILLED = {"Delivered", "Picked up", "Purchased in store"}
GROUP_STATUS = {
    "Delivered": "charged",
    "Picked up": "charged",
    "Purchased in store": "charged",
    "Unavailable": "unavailable",
    "Canceled": "canceled",
    "Refunded": "refunded",
}
BY_ID = {p.us_item_id: p for p in CATALOGUE}


def _d(money: str) -> Decimal:
    return Decimal(money)


def _dv(value: dict[str, str]) -> Decimal:
    text = value["displayValue"]
    assert DISPLAY.match(text), text
    return Decimal(text[1:].replace(",", ""))


def _read_canonical(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        header = json.loads(f.readline())
        assert header == {"format": "walmart-grocery-canonical", "version": 1}
        return [json.loads(line) for line in f]


def _read_pages(folder: Path) -> list[dict[str, Any]]:
    return [
        json.loads(p.read_text(encoding="utf-8"))["props"]["pageProps"]["initialData"]["data"][
            "order"
        ]
        for p in sorted(folder.glob("order-*.json"))
    ]


def _page_lines(order: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(line status, item) for every item of every group of an order page."""
    out = []
    for group in order["groups_2101"]:
        status = GROUP_STATUS[group["status"]["message"]["parts"][0]["text"]]
        out.extend((status, item) for item in group["items"])
    return out


# ---------------------------------------------------------------------------------------------
# Catalogue


def test_catalogue_is_several_hundred_realistic_products() -> None:
    assert len(CATALOGUE) >= 300
    assert len({p.us_item_id for p in CATALOGUE}) == len(CATALOGUE)
    assert all(re.fullmatch(r"\d{8,9}", p.us_item_id) for p in CATALOGUE)
    assert {p.category for p in CATALOGUE} <= set(CATEGORIES)
    assert {p.size_unit for p in CATALOGUE if p.size_unit} <= set(SIZE_UNITS)
    names = {p.name for p in CATALOGUE}
    assert "Great Value Whole Vitamin D Milk, 1 Gallon, 128 fl oz" in names
    assert "Great Value Large White Eggs, 12 Count" in names
    assert "Fresh Banana Fruit, Each" in names and "Fresh Bananas, per lb" in names
    for brand in ("Great Value", "Equate", "Marketside", "Freshness Guaranteed", "Mainstays"):
        assert any(n.startswith(brand) for n in names), brand
    # Every "per lb" product is sold by weight and vice versa.
    assert all(p.sold_by_weight == p.name.endswith("per lb") for p in CATALOGUE)
    assert {p.bls_item for p in CATALOGUE if p.bls_item} <= set(BLS_ITEMS)
    assert len({p.bls_item for p in CATALOGUE if p.bls_item}) >= 25


# ---------------------------------------------------------------------------------------------
# Determinism and the writer


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = write_dataset(tmp_path / "a.jsonl", orders=300, seed=7)
    b = write_dataset(tmp_path / "b.jsonl", orders=300, seed=7)
    c = write_dataset(tmp_path / "c.jsonl", orders=300, seed=8)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.path.read_bytes() != c.path.read_bytes()
    assert (a.orders, a.lines) == (b.orders, b.lines)


def test_walmart_json_is_deterministic(tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", orders=15, seed=3, fmt="walmart-json")
    write_dataset(tmp_path / "b", orders=15, seed=3, fmt="walmart-json")
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(files) == 15
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_result_counts_match_file(tmp_path: Path) -> None:
    result = write_dataset(tmp_path / "out.jsonl", orders=120, seed=1)
    orders = _read_canonical(result.path)
    assert result.orders == len(orders) == 120
    assert result.lines == sum(len(o["lines"]) for o in orders)
    assert orders == generate_orders(120, seed=1)


def test_folder_path_gets_a_file_name(tmp_path: Path) -> None:
    result = write_dataset(tmp_path, orders=5, seed=0)
    assert result.path == tmp_path / "orders.jsonl"
    assert len(_read_canonical(result.path)) == 5


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        write_dataset(tmp_path / "x", orders=5, fmt="csv")
    with pytest.raises(ValueError, match="at least 1"):
        write_dataset(tmp_path / "x", orders=0)
    with pytest.raises(ValueError, match="after end"):
        generate_orders(5, start=date(2025, 5, 1), end=date(2025, 4, 1))


def test_ten_thousand_orders(tmp_path: Path) -> None:
    result = write_dataset(tmp_path / "big.jsonl", orders=10_000, seed=42)
    assert result.orders == 10_000
    # About ten lines per order: a million lines for 100,000 orders.
    assert 8 * 10_000 < result.lines < 12 * 10_000
    with result.path.open(encoding="utf-8") as f:
        assert sum(1 for _ in f) == 10_001


def test_cli_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.jsonl"
    assert cli_main(["generate", "--orders", "40", "--seed", "5", "--out", str(out), "-q"]) == 0
    assert "wrote 40 orders" in capsys.readouterr().out
    assert out.read_bytes() == write_dataset(tmp_path / "lib.jsonl", 40, seed=5).path.read_bytes()
    pages = tmp_path / "pages"
    code = cli_main(
        ["generate", "--orders", "4", "--out", str(pages), "--format", "walmart-json", "-q"]
    )
    assert code == 0 and len(list(pages.glob("order-*.json"))) == 4


# ---------------------------------------------------------------------------------------------
# Canonical invariants


@pytest.fixture(scope="module")
def history() -> list[dict[str, Any]]:
    """Three and a half years of a household (2022-01 to 2025-08), 2,500 orders."""
    return generate_orders(2500, seed=11)


def test_canonical_invariants(history: list[dict[str, Any]]) -> None:
    ids = [o["order_id"] for o in history]
    assert len(set(ids)) == len(ids)
    statuses: Counter[str] = Counter()
    for order in history:
        for key in ("subtotal", "savings", "tax", "fees", "tip", "grand_total"):
            assert MONEY.match(order[key]), (key, order[key])
        charged = [x for x in order["lines"] if x["status"] == "charged"]
        assert charged, order["order_id"]
        assert _d(order["subtotal"]) == sum(_d(x["line_total"]) for x in charged)
        assert _d(order["savings"]) == sum(_d(x["savings"] or "0") for x in charged)
        assert _d(order["grand_total"]) == _d(order["subtotal"]) + _d(order["tax"]) + _d(
            order["fees"]
        )
        unavailable = {x["us_item_id"] for x in order["lines"] if x["status"] == "unavailable"}
        for line in order["lines"]:
            statuses[line["status"]] += 1
            assert line["quantity"] > 0
            assert MONEY.match(line["unit_price"]) and MONEY.match(line["line_total"])
            if line["substitute_for_us_item_id"] is not None:
                assert line["status"] == "charged"
                assert line["substitute_for_us_item_id"] in unavailable
            if line["original_price"] is not None:
                assert _d(line["original_price"]) > _d(line["unit_price"])
                assert _d(line["savings"]) > 0
            else:
                assert line["savings"] is None
    assert set(statuses) == {"charged", "unavailable", "canceled", "refunded"}
    assert statuses["charged"] / sum(statuses.values()) > 0.95


def test_order_shapes(history: list[dict[str, Any]]) -> None:
    tz = ZoneInfo("America/New_York")
    kinds: Counter[str] = Counter()
    for order in history:
        when = datetime.fromisoformat(order["order_date"])
        assert date(2022, 1, 1) <= when.date() <= date(2025, 8, 31)
        # The stated offset is New York's on that date (EST -05:00, EDT -04:00).
        assert when.utcoffset() == when.replace(tzinfo=tz).utcoffset()
        kinds[order["fulfillment_type"]] += 1
        if order["order_type"] == "IN_STORE":
            assert order["fulfillment_type"] == "IN_STORE"
            assert len(order["order_id"]) == 20 and order["display_id"] == order["order_id"]
            assert order["status"] == "Purchased in store"
        else:
            assert len(order["order_id"]) == 15
            assert order["display_id"] == f"{order['order_id'][:7]}-{order['order_id'][7:]}"
        if order["fulfillment_type"] == "DELIVERY":
            expected_fee = "9.95" if _d(order["subtotal"]) < 35 else "0.00"
            assert order["fees"] == expected_fee
        else:
            assert order["fees"] == "0.00" and order["tip"] == "0.00"
        assert order["store"]["state"] == "SC"
    assert set(kinds) == {"IN_STORE", "PICKUP", "DELIVERY"}


def test_tax_uses_store_rates(history: list[dict[str, Any]]) -> None:
    stores = {s.walmart_store_id: s for s in STORES}
    for order in history[:300]:
        store = stores[order["store"]["walmart_store_id"]]
        food = general = Decimal(0)
        for line in order["lines"]:
            if line["status"] != "charged":
                continue
            if BY_ID[line["us_item_id"]].category in gen._GENERAL_MERCHANDISE:
                general += _d(line["line_total"])
            else:
                food += _d(line["line_total"])
        expected = food * Decimal(str(store.food_tax_rate)) + general * Decimal(str(store.tax_rate))
        # Within half a cent (the generator rounds the sum once, in cents).
        assert abs(_d(order["tax"]) - expected) <= Decimal("0.005") + Decimal("1e-9")


def test_weighed_and_weight_adjusted_lines(history: list[dict[str, Any]]) -> None:
    adjusted = 0
    for order in history:
        for line in order["lines"]:
            product = BY_ID[line["us_item_id"]]
            if product.sold_by_weight:
                assert isinstance(line["quantity"], float)
                assert line["unit_pricing"] == f"${line['unit_price']}/lb"
            else:
                assert isinstance(line["quantity"], int)
                assert not line["weight_adjusted"]
            if line["weight_adjusted"]:
                adjusted += 1
                assert order["order_type"] == "GLASS" and line["status"] == "charged"
    assert adjusted > 0


def test_staples_recur(history: list[dict[str, Any]]) -> None:
    kinds: Counter[str] = Counter()
    for order in history:
        seen = {BY_ID[x["us_item_id"]].kind for x in order["lines"] if x["status"] == "charged"}
        kinds.update(seen)
    # Milk and bananas come about every 8 days on a weekly-ish rhythm: most orders.
    assert kinds["milk"] > 0.6 * len(history)
    assert kinds["bananas"] > 0.6 * len(history)
    assert kinds["eggs"] > 0.4 * len(history)
    assert kinds["toilet_paper"] < 0.35 * len(history)


def test_prices_follow_bls_series_and_store_offsets(history: list[dict[str, Any]]) -> None:
    """Off rollback, a BLS product's shelf price is its March 2025 price times the series'
    ratio to March 2025 times the store's factor, rounded to the cent."""
    bls = load_bls_prices()
    series = {
        (row["item"], row["month"]): row["price"]
        for row in bls.filter(bls["item"].is_in(["eggs", "milk"])).iter_rows(named=True)
    }
    stores = {s.walmart_store_id: s for s in STORES}
    checked = Counter[str]()
    for order in history:
        when = datetime.fromisoformat(order["order_date"]).date()
        month = date(when.year, when.month, 1)
        for line in order["lines"]:
            product = BY_ID[line["us_item_id"]]
            if product.bls_item not in ("eggs", "milk") or line["original_price"] is not None:
                continue
            if (product.bls_item, month) not in series or month > date(2025, 4, 1):
                continue
            ratio = series[(product.bls_item, month)] / series[(product.bls_item, date(2025, 3, 1))]
            factor = stores[order["store"]["walmart_store_id"]].price_factor
            expected = round(product.price_cents * ratio * factor)
            assert abs(_d(line["unit_price"]) * 100 - expected) <= 1, (product.name, month)
            checked[product.bls_item] += 1
    assert checked["eggs"] > 100 and checked["milk"] > 100


def test_egg_prices_peak_in_march_2025(history: list[dict[str, Any]]) -> None:
    paid: dict[date, list[Decimal]] = {}
    for order in history:
        if order["store"]["walmart_store_id"] != "1284":
            continue
        when = datetime.fromisoformat(order["order_date"]).date()
        for line in order["lines"]:
            if line["name"] == "Great Value Large White Eggs, 12 Count" and not line["savings"]:
                paid.setdefault(date(when.year, when.month, 1), []).append(_d(line["unit_price"]))
    assert paid[date(2025, 3, 1)][0] == Decimal("4.97")  # the catalogue price, Spartanburg
    # BLS eggs: 1.929 in 2022-01 vs 6.227 in 2025-03.
    assert paid[date(2022, 1, 1)][0] == Decimal("1.54")  # 497 * 1.929 / 6.227 = 153.96


def test_custom_window() -> None:
    orders = generate_orders(12, seed=2, start=date(2024, 6, 1), end=date(2024, 6, 30))
    days = [datetime.fromisoformat(o["order_date"]).date() for o in orders]
    assert min(days) == date(2024, 6, 1) and max(days) == date(2024, 6, 30)
    assert days == sorted(days)


def test_single_order() -> None:
    (order,) = generate_orders(1, seed=0)
    assert datetime.fromisoformat(order["order_date"]).date() == date(2025, 8, 31)


def test_walmart_json_matches_canonical(tmp_path: Path) -> None:
    canonical = generate_orders(60, seed=9)
    write_dataset(tmp_path / "pages", orders=60, seed=9, fmt="walmart-json")
    pages = {o["id"]: o for o in _read_pages(tmp_path / "pages")}
    assert len(pages) == 60
    for record in canonical:
        page = pages[record["order_id"]]
        assert page["displayId"] == record["display_id"]
        assert datetime.fromisoformat(page["orderDate"]) == datetime.fromisoformat(
            record["order_date"]
        )
        details = page["priceDetails"]
        assert _dv(details["subTotal"]) == _d(record["subtotal"])
        assert _dv(details["taxTotal"]) == _d(record["tax"])
        assert _dv(details["grandTotal"]) == _d(record["grand_total"])
        assert _dv(details["grandTotalWithTips"]) == _d(record["grand_total"]) + _d(record["tip"])
        assert sum((_dv(f) for f in details["fees"]), Decimal(0)) == _d(record["fees"])
        items = _page_lines(page)
        assert page["itemCount"] == len(items) == len(record["lines"])
        assert [(s, i["productInfo"]["usItemId"]) for s, i in items] == [
            (x["status"], x["us_item_id"]) for x in record["lines"]
        ]
        for (_, item), line in zip(items, record["lines"], strict=True):
            assert item["quantity"] == line["quantity"]
            assert _dv(item["priceInfo"]["linePrice"]) == _d(line["line_total"])
            assert _dv(item["priceInfo"]["unitPrice"]) == _d(line["unit_price"])
            assert item["priceInfo"].get("weightAdjusted", False) == line["weight_adjusted"]
            sub = item.get("substitution", {}).get("originalItem", {}).get("usItemId")
            assert sub == line["substitute_for_us_item_id"]


# ---------------------------------------------------------------------------------------------
# The bundled sample


@pytest.fixture(scope="module")
def sample() -> list[dict[str, Any]]:
    return _read_pages(SAMPLE_DIR)


def test_sample_counts(sample: list[dict[str, Any]]) -> None:
    assert len(sample) == SAMPLE_COUNTS["orders"] == 25
    lines = [item for order in sample for _, item in _page_lines(order)]
    assert len(lines) == SAMPLE_COUNTS["lines"] == 229
    products = {item["productInfo"]["usItemId"] for item in lines}
    assert len(products) == SAMPLE_COUNTS["products"] == 161
    stores = {
        (g["store"]["id"], g["store"]["address"]["city"]) for o in sample for g in o["groups_2101"]
    }
    assert len(stores) == SAMPLE_COUNTS["stores"] == 6
    assert {city for _, city in stores} == SAMPLE_CITIES
    assert all(g["store"]["address"]["state"] == "SC" for o in sample for g in o["groups_2101"])


def test_sample_dates_and_ids(sample: list[dict[str, Any]]) -> None:
    ids = [o["id"] for o in sample]
    assert len(set(ids)) == 25
    for order in sample:
        when = datetime.fromisoformat(order["orderDate"])
        assert date(2025, 3, 1) <= when.date() <= date(2025, 8, 31)
        assert when.utcoffset() is not None


def test_sample_sums_to_the_cent(sample: list[dict[str, Any]]) -> None:
    for order in sample:
        details = order["priceDetails"]
        charged = [i for s, i in _page_lines(order) if s == "charged"]
        assert charged
        assert sum(_dv(i["priceInfo"]["linePrice"]) for i in charged) == _dv(details["subTotal"])
        fees = sum((_dv(f) for f in details["fees"]), Decimal(0))
        grand = _dv(details["subTotal"]) + _dv(details["taxTotal"]) + fees
        assert _dv(details["grandTotal"]) == grand
        assert _dv(details["grandTotalWithTips"]) == grand + _dv(details["driverTip"])
        assert _dv(details["strikethroughSubTotal"]) == _dv(details["subTotal"]) + _dv(
            details["savings"]
        )


def test_sample_has_every_status_substitutions_and_weights(sample: list[dict[str, Any]]) -> None:
    statuses = Counter(s for order in sample for s, _ in _page_lines(order))
    assert set(statuses) == {"charged", "unavailable", "canceled", "refunded"}
    substitutions = weighed = 0
    for order in sample:
        items = _page_lines(order)
        unavailable = {i["productInfo"]["usItemId"] for s, i in items if s == "unavailable"}
        for status, item in items:
            if "substitution" in item:
                substitutions += 1
                assert status == "charged"
                assert item["substitution"]["originalItem"]["usItemId"] in unavailable
            if item["priceInfo"].get("weightAdjusted"):
                weighed += 1
                assert item["productInfo"]["salesUnitType"] == "WEIGHT"
                assert item["quantity"] != int(item["quantity"])
    assert substitutions >= 3 and weighed >= 3


def test_sample_staples_have_price_histories(sample: list[dict[str, Any]]) -> None:
    bought: Counter[str] = Counter()
    for order in sample:
        for status, item in _page_lines(order):
            if status == "charged":
                bought[BY_ID[item["productInfo"]["usItemId"]].kind] += 1
    for kind in ("milk", "eggs", "bananas", "bread"):
        assert bought[kind] >= 8, kind


def test_sample_has_no_personal_data() -> None:
    for path in SAMPLE_DIR.glob("order-*.json"):
        text = path.read_text(encoding="utf-8")
        for key in ("paymentMethods", "deliveryAddress", "fullName", "cardType", "pickupPerson"):
            assert key not in text, (path.name, key)


def test_committed_sample_is_the_generators_output(tmp_path: Path) -> None:
    result = build_sample(tmp_path)
    assert (result.orders, result.lines) == (25, 229)
    built = sorted(p.name for p in tmp_path.glob("order-*.json"))
    assert built == sorted(p.name for p in SAMPLE_DIR.glob("order-*.json"))
    for name in built:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), name


def test_sample_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "order-stale.json").write_text("{}", encoding="utf-8")
    assert gen._main(["--sample", "--out", str(tmp_path)]) == 0
    assert "wrote 25 orders, 229 lines" in capsys.readouterr().out
    assert not (tmp_path / "order-stale.json").exists()
    assert len(list(tmp_path.glob("order-*.json"))) == 25


def test_catalogue_text_is_validated() -> None:
    with pytest.raises(ValueError, match="not in the taxonomy"):
        gen._parse_catalogue("## toys\nball|Ball, Each|1.00|1|each|-|1")
    with pytest.raises(ValueError, match="unknown BLS item"):
        gen._parse_catalogue("## snacks\nchips|Chips, 8 oz|1.00|8|oz|caviar|1")
    with pytest.raises(ValueError, match="unique"):
        gen._parse_catalogue(
            "## snacks\nchips|Chips, 8 oz|1.00|8|oz|-|1\nchips|Chips, 8 oz|2|8|oz|-|1"
        )


def test_large_histories_fit_the_default_window() -> None:
    from datetime import date

    from walmart_lib.ingest.generate import _default_window

    # 7 days x 120,000 orders reaches past year 1; the window is capped instead of overflowing.
    assert _default_window(120_000, None, None) == (date(2022, 1, 1), date(2025, 8, 31))
    assert _default_window(10, None, None) == (date(2025, 6, 22), date(2025, 8, 31))
