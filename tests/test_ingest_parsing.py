"""Money, unit-pricing, quantity and date parsers: examples and hypothesis properties."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from walmart_lib.ingest.parsing import (
    UnitPricing,
    digits_only,
    parse_date,
    parse_money,
    parse_quantity,
    parse_unit_pricing,
)


@pytest.mark.parametrize(
    ("raw", "cents"),
    [
        ("$1,234.56", 123456),
        ("$7.96", 796),
        ("Free", 0),
        ("", None),
        (None, None),
        ({"displayValue": "$18.53"}, 1853),
        ("-$3.98", -398),
        ("($2.00)", -200),
        ("12", 1200),
        (4.5, 450),
        (3, 300),
        ("0.99", 99),
        (".5", 50),
    ],
)
def test_parse_money_examples(raw: object, cents: int | None) -> None:
    assert parse_money(raw) == cents


@pytest.mark.parametrize("raw", ["abc", "$1.234", "1.2.3", "$", True, [1], "1e5", "$2,00x"])
def test_parse_money_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_money(raw)


@given(st.integers(min_value=0, max_value=99_999_999))
def test_parse_money_roundtrips_display_values(cents: int) -> None:
    text = f"${cents // 100:,}.{cents % 100:02d}"
    assert parse_money(text) == cents
    assert parse_money({"displayValue": text}) == cents
    assert parse_money(f"-{text}") == -cents


@given(st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False))
def test_parse_money_is_exact_for_decimal_strings(amount: Decimal) -> None:
    assert parse_money(str(amount)) == int(amount * 100)


def test_parse_unit_pricing() -> None:
    assert parse_unit_pricing("21.3¢/fl oz") == UnitPricing(Decimal("0.213"), "fl oz")
    assert parse_unit_pricing("$1.24/lb") == UnitPricing(Decimal("1.24"), "lb")
    assert parse_unit_pricing("$0.33 / ea") == UnitPricing(Decimal("0.33"), "each")
    assert parse_unit_pricing("5.2 ¢/oz") == UnitPricing(Decimal("0.052"), "oz")
    assert parse_unit_pricing("") is None
    for bad in ("cheap", "$1.24/parsec", "$2¢/oz"):
        with pytest.raises(ValueError):
            parse_unit_pricing(bad)


@given(st.integers(min_value=1, max_value=99999), st.sampled_from(["oz", "lb", "fl oz", "ct"]))
def test_parse_unit_pricing_cents_property(tenths: int, unit: str) -> None:
    text = f"{tenths / 10:.1f}¢/{unit}"
    parsed = parse_unit_pricing(text)
    assert parsed is not None
    assert parsed.unit == unit
    assert parsed.price == Decimal(f"{tenths / 10:.1f}") / 100


def test_parse_quantity() -> None:
    assert parse_quantity("2") == (2.0, None)
    assert parse_quantity("1.5 lb") == (1.5, "lb")
    assert parse_quantity(6) == (6.0, None)
    assert parse_quantity(0.76) == (0.76, None)
    for bad in (-1, "-2", "lots", None, True, 5000, float("nan"), "3 parsecs", [2]):
        with pytest.raises(ValueError):
            parse_quantity(bad)


@given(st.floats(min_value=0, max_value=1000, allow_nan=False))
def test_parse_quantity_accepts_any_sane_number(qty: float) -> None:
    assert parse_quantity(qty)[0] == qty
    assert parse_quantity(f"{qty:.3f}")[0] == pytest.approx(qty, abs=0.0005)


def test_parse_date_keeps_offsets_and_reads_plain_dates_as_store_time() -> None:
    assert parse_date("2026-07-01T14:23:00.000-04:00") == (datetime(2026, 7, 1, 14, 23), -240)
    assert parse_date("Mar 24, 2025") == (datetime(2025, 3, 24), -240)  # EDT in March 24
    assert parse_date("January 5, 2025") == (datetime(2025, 1, 5), -300)  # EST
    assert parse_date("2025-03-24") == (datetime(2025, 3, 24), -240)
    assert parse_date("03/02/2025", "America/Los_Angeles") == (datetime(2025, 3, 2), -480)
    assert parse_date("2025-06-01T10:00:00Z") == (datetime(2025, 6, 1, 10, 0), 0)
    for bad in ("yesterday", "", None, "1850-01-01", 20250101):
        with pytest.raises(ValueError):
            parse_date(bad)


@given(st.datetimes(min_value=datetime(1991, 1, 1), max_value=datetime(2099, 1, 1)))
def test_parse_date_roundtrips_iso(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert parse_date(moment.isoformat() + "+00:00") == (moment, 0)


def test_digits_only() -> None:
    assert digits_only("2000100-00000042") == "200010000000042"
    assert digits_only("7750-1234-5678-9012-3456") == "77501234567890123456"
