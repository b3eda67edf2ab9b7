"""The project's own canonical format: JSON Lines, one order per line (docs/canonical-format.md).

The first line is the header ``{"format": "walmart-grocery-canonical", "version": 1}``. It is
what ``walmart generate`` writes and what bulk loads use, so it is read as a stream: memory stays
flat however large the file, and each error names its line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from walmart_lib.ingest.jsontools import Node, PathError, opt_text
from walmart_lib.ingest.parsing import MAX_QUANTITY, parse_date, parse_money, parse_quantity
from walmart_lib.ingest.records import ImportRejected, ParsedLine, ParsedOrder, ParsedStore

__all__ = ["FORMAT", "HEADER", "is_canonical_header", "iter_canonical"]

FORMAT = "canonical"
HEADER = {"format": "walmart-grocery-canonical", "version": 1}
_STATUSES = frozenset(("charged", "unavailable", "canceled", "refunded"))


def is_canonical_header(first_line: bytes) -> bool:
    try:
        head = json.loads(first_line)
    except ValueError:
        return False
    return isinstance(head, dict) and head.get("format") == HEADER["format"]


def _cents(value: Any, base: str, key: str) -> int | None:
    if value is None:
        return None
    try:
        return parse_money(value)
    except ValueError as exc:
        raise PathError(f"{base}.{key}" if base else f"$.{key}", str(exc)) from exc


def _order(obj: Any, default_tz: str) -> ParsedOrder:
    node = Node(obj)
    order_id = node.req("order_id").text().strip()
    if not order_id:
        raise PathError("$.order_id", "order id is empty")
    local, offset = node.req("order_date").convert(lambda v: parse_date(v, default_tz))
    store = None
    s = obj.get("store")
    if s:
        if not isinstance(s, dict):
            raise PathError("$.store", "expected an object")
        store = ParsedStore(
            walmart_store_id=s.get("walmart_store_id"),
            name=s.get("name") or "Walmart",
            address=s.get("address"),
            city=s.get("city"),
            state=s.get("state"),
            zip=s.get("zip"),
        )
    order = ParsedOrder(
        order_id=order_id,
        order_date=local,
        utc_offset_minutes=offset,
        source_format=FORMAT,
        display_id=opt_text(node.get("display_id")),
        store=store,
        order_type=obj.get("order_type"),
        fulfillment_type=obj.get("fulfillment_type"),
        status=obj.get("status"),
        subtotal_cents=_cents(obj.get("subtotal"), "", "subtotal"),
        savings_cents=_cents(obj.get("savings"), "", "savings"),
        tax_cents=_cents(obj.get("tax"), "", "tax"),
        fees_cents=_cents(obj.get("fees"), "", "fees"),
        tip_cents=_cents(obj.get("tip"), "", "tip"),
        grand_total_cents=_cents(obj.get("grand_total"), "", "grand_total"),
    )
    lines = obj.get("lines") or []
    if not isinstance(lines, list):
        raise PathError("$.lines", "expected a list")
    append = order.lines.append
    for i, ln in enumerate(lines):
        if not isinstance(ln, dict):
            raise PathError(f"$.lines[{i}]", "expected an object")
        get = ln.get
        name = get("name")
        if not isinstance(name, str) or not name.strip():
            raise PathError(f"$.lines[{i}].name", "product name is missing or empty")
        raw_qty = get("quantity")
        if type(raw_qty) is int and 0 <= raw_qty <= MAX_QUANTITY:
            quantity = float(raw_qty)  # the common case, without the general parser
        else:
            try:
                quantity = parse_quantity(raw_qty)[0]
            except ValueError as exc:
                raise PathError(f"$.lines[{i}].quantity", str(exc)) from exc
        status = get("status", "charged")
        if status not in _STATUSES:
            raise PathError(f"$.lines[{i}].status", f"unknown line status {status!r}")
        base = f"$.lines[{i}]"
        unit_pricing = get("unit_pricing")
        append(
            ParsedLine(
                name,
                quantity,
                get("us_item_id"),
                _cents(get("unit_price"), base, "unit_price"),
                _cents(get("line_total"), base, "line_total"),
                _cents(get("original_price"), base, "original_price"),
                _cents(get("savings"), base, "savings"),
                status,
                get("substitute_for_us_item_id"),
                None,
                bool(get("weight_adjusted")),
                bool(get("sold_by_weight")) or str(unit_pricing or "").endswith("/lb"),
                unit_pricing,
            )
        )
    return order


def iter_canonical(stream: Iterable[bytes], file: str, default_tz: str) -> Iterator[ParsedOrder]:
    """Yield orders from a canonical file; any bad line raises :class:`ImportRejected`."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportRejected(
                file, f"line {number}, byte {exc.start + 1}", "not UTF-8 text"
            ) from exc
        if number == 1 or not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportRejected(
                file, f"line {number}, column {exc.colno}", f"invalid JSON ({exc.msg})"
            ) from exc
        if not isinstance(obj, dict):
            raise ImportRejected(file, f"line {number}", "expected one order object per line")
        try:
            order = _order(obj, default_tz)
        except PathError as exc:
            raise ImportRejected(file, f"line {number}, {exc.path}", exc.reason) from exc
        order.where = f"line {number}"
        yield order
