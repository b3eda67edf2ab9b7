"""The importers' common intermediate form: what every source format is parsed into.

Each format module turns a file into :class:`ParsedOrder` records (money in integer cents,
dates as local wall time + UTC offset); :mod:`walmart_lib.ingest.loader` alone writes them to
the database. Keeping one shape means matching, idempotency and transactions live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["ImportRejected", "ParsedLine", "ParsedOrder", "ParsedStore"]


class ImportRejected(ValueError):
    """A file cannot be imported; names the file, the position in it and the reason."""

    def __init__(self, file: str, where: str | None, reason: str) -> None:
        self.file = file
        self.where = where
        self.reason = reason
        place = f" at {where}" if where else ""
        super().__init__(f"{file}{place}: {reason}")


@dataclass(slots=True)
class ParsedStore:
    walmart_store_id: str | None
    name: str
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None

    @property
    def key(self) -> str:
        """Identity of a store: its Walmart id, else its name and city."""
        if self.walmart_store_id:
            return f"id:{self.walmart_store_id}"
        return f"name:{self.name.lower()}|{(self.city or '').lower()}"


@dataclass(slots=True)
class ParsedLine:
    name: str
    quantity: float
    us_item_id: str | None = None
    unit_price_cents: int | None = None
    line_total_cents: int | None = None
    original_price_cents: int | None = None
    savings_cents: int | None = None
    status: str = "charged"
    substitute_for_us_item_id: str | None = None
    substitute_for_name: str | None = None
    weight_adjusted: bool = False
    sold_by_weight: bool = False
    unit_pricing: str | None = None


@dataclass(slots=True)
class ParsedOrder:
    order_id: str
    order_date: datetime
    utc_offset_minutes: int | None
    source_format: str
    display_id: str | None = None
    store: ParsedStore | None = None
    order_type: str | None = None
    fulfillment_type: str | None = None
    status: str | None = None
    subtotal_cents: int | None = None
    savings_cents: int | None = None
    tax_cents: int | None = None
    fees_cents: int | None = None
    tip_cents: int | None = None
    grand_total_cents: int | None = None
    lines: list[ParsedLine] = field(default_factory=list)
    #: Where in the file this order came from (JSON path or CSV line), for messages.
    where: str | None = None

    @property
    def has_prices(self) -> bool:
        return any(line.line_total_cents is not None for line in self.lines)

    def charged_total_cents(self) -> int:
        return sum(line.line_total_cents or 0 for line in self.lines if line.status == "charged")
