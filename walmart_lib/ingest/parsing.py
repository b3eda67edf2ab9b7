"""Parsers for the small strings Walmart exports are made of: money, unit pricing, quantities,
dates. Each either returns a clean value or raises :class:`ValueError` with a reason a person
understands; the importers add the file and position. Money is returned as integer cents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

__all__ = [
    "UnitPricing",
    "complete_prices",
    "digits_only",
    "parse_date",
    "parse_money",
    "parse_quantity",
    "parse_unit_pricing",
]

#: Largest quantity on one line we accept; anything above is a data error, not a purchase.
MAX_QUANTITY = 1000.0
#: Largest amount of money (one order or line) we accept: $1,000,000.00.
MAX_CENTS = 100_000_000

_MONEY_RE = re.compile(r"^\(?(-)?\s*\$?\s*(-)?\s*([0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\)?$")
_FREE_WORDS = {"free", "included", "n/a", "--", "-"}


def parse_money(value: object) -> int | None:
    """Money to integer cents: ``"$1,234.56"`` -> 123456, ``"Free"`` -> 0, ``""``/None -> None.

    Accepts numbers, ``{"displayValue": "$x"}`` objects, negatives as ``-$1.00`` or ``($1.00)``.
    Sub-cent amounts are rejected, not rounded: money in an export is always whole cents.
    """
    if value is None:
        return None
    if type(value) is str:
        # Fast path for plain "12.34" (the canonical format, CSV exports): no regex, no Decimal.
        whole, dot, frac = value.partition(".")
        if dot and len(frac) == 2 and whole.isdigit() and frac.isdigit() and whole.isascii():
            fast = int(whole) * 100 + int(frac)
            if fast <= MAX_CENTS:
                return fast
    if isinstance(value, dict):
        return parse_money(value.get("displayValue", value.get("value")))
    if isinstance(value, bool):
        raise ValueError(f"money expected, got {value!r}")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"money expected, got {value!r}")
        text = repr(value)
    elif isinstance(value, (str, Decimal)):
        text = str(value).strip()
    else:
        raise ValueError(f"money expected, got {type(value).__name__}")
    if text == "":
        return None
    if text.lower() in _FREE_WORDS:
        return 0
    match = _MONEY_RE.match(text.replace("\u2212", "-"))
    if not match:
        raise ValueError(f"not an amount of money: {text!r}")
    negative = bool(match.group(1) or match.group(2)) or text.startswith("(")
    try:
        amount = Decimal(match.group(3).replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
        raise ValueError(f"not an amount of money: {text!r}") from exc
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount has fractions of a cent: {text!r}")
    result = int(cents)
    if result > MAX_CENTS:
        raise ValueError(f"amount is implausibly large: {text!r}")
    return -result if negative else result


@dataclass(frozen=True)
class UnitPricing:
    """A shelf unit price such as ``21.3¢/fl oz``: ``price`` dollars per one ``unit``."""

    price: Decimal
    unit: str


_UNIT_ALIASES = {
    "floz": "fl oz",
    "fl oz": "fl oz",
    "fl. oz": "fl oz",
    "fl.oz": "fl oz",
    "oz": "oz",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "ct": "ct",
    "count": "ct",
    "ea": "each",
    "each": "each",
    "g": "g",
    "kg": "kg",
    "l": "l",
    "ml": "ml",
    "qt": "qt",
    "gal": "gal",
    "sq ft": "sq ft",
    "pk": "pk",
}
_UNIT_PRICING_RE = re.compile(
    r"^\s*(\$)?\s*([0-9]*\.?[0-9]+)\s*(¢|c)?\s*(?:/|per)\s*([a-z. ]+?)\s*$", re.IGNORECASE
)


def parse_unit_pricing(value: str | None) -> UnitPricing | None:
    """``"21.3¢/fl oz"`` -> 0.213 $/fl oz; ``"$1.24/lb"`` -> 1.24 $/lb; ``""``/None -> None."""
    if value is None or str(value).strip() == "":
        return None
    match = _UNIT_PRICING_RE.match(str(value))
    if not match:
        raise ValueError(f"not a unit price: {value!r}")
    dollar, number, cent, unit = match.groups()
    if dollar and cent:
        raise ValueError(f"unit price has both $ and ¢: {value!r}")
    price = Decimal(number) / (100 if cent else 1)
    canonical = _UNIT_ALIASES.get(re.sub(r"\s+", " ", unit.strip().lower()))
    if canonical is None:
        raise ValueError(f"unknown unit in unit price: {value!r}")
    return UnitPricing(price=price, unit=canonical)


_QTY_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([a-z. ]*)\s*$", re.IGNORECASE)


def parse_quantity(value: object) -> tuple[float, str | None]:
    """Quantity and unit: ``"2"`` -> (2, None), ``"1.5 lb"`` -> (1.5, "lb"), 6 -> (6, None).

    Negative, zero-sized garbage, non-finite and absurd (> 1000) quantities are rejected.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError(f"quantity expected, got {value!r}")
    unit: str | None = None
    if isinstance(value, (int, float)):
        qty = float(value)
    elif isinstance(value, str):
        match = _QTY_RE.match(value)
        if not match:
            raise ValueError(f"not a quantity: {value!r}")
        qty = float(match.group(1))
        raw_unit = match.group(2).strip().lower()
        if raw_unit:
            unit = _UNIT_ALIASES.get(raw_unit)
            if unit is None:
                raise ValueError(f"unknown unit in quantity: {value!r}")
    else:
        raise ValueError(f"quantity expected, got {type(value).__name__}")
    if qty != qty or qty in (float("inf"), float("-inf")):
        raise ValueError(f"quantity is not a finite number: {value!r}")
    if qty < 0:
        raise ValueError(f"negative quantity: {value!r}")
    if qty > MAX_QUANTITY:
        raise ValueError(f"absurd quantity (over {MAX_QUANTITY:g}): {value!r}")
    return qty, unit


_DATE_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%m/%d/%Y", "%Y-%m-%d", "%b %d %Y", "%B %d %Y")


def parse_date(value: object, default_tz: str = "America/New_York") -> tuple[datetime, int]:
    """An order date to (local wall time, UTC offset in minutes).

    ISO 8601 with an offset keeps its own zone; a date without a zone ("Mar 24, 2025",
    "2025-03-24") is read in ``default_tz`` (Walmart shows times in the store's zone).
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"date expected, got {value!r}")
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(f"not a date: {text!r}")
    if not 1990 <= parsed.year <= 2100:
        raise ValueError(f"date out of range: {text!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(default_tz))
    offset = parsed.utcoffset() or timedelta(0)
    return parsed.replace(tzinfo=None), int(offset.total_seconds() // 60)


def complete_prices(
    unit_price_cents: int | None, line_total_cents: int | None, quantity: float
) -> tuple[int | None, int | None]:
    """(unit price, line total) with a missing one derived from the other and the quantity."""
    if line_total_cents is None and unit_price_cents is not None:
        line_total_cents = round(unit_price_cents * quantity)
    if unit_price_cents is None and line_total_cents is not None and quantity > 0:
        unit_price_cents = round(line_total_cents / quantity)
    return unit_price_cents, line_total_cents


def to_utc(local: datetime, offset_minutes: int) -> datetime:
    """The UTC instant of a stored (local wall time, offset) pair."""
    return (local - timedelta(minutes=offset_minutes)).replace(tzinfo=UTC)


def digits_only(order_number: str) -> str:
    """Walmart order numbers compare by their digits ("2000100-00000042" == "200010000000042")."""
    return "".join(ch for ch in order_number if ch.isdigit())
