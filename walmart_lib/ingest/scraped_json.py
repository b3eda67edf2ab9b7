"""Scraped per-order JSON of the kind the original grocery agent stored (one file per order).

Keys vary between scrapers: ``orderNumber``, ``orderDate`` ("Mar 24, 2025" or ISO),
``storeLocation``, ``fulfillmentType``, items under ``itemsReceived`` or ``products`` (plus
``unavailableItems``), the price under any of ``totalPrice`` (line total), ``price`` /
``currentPrice`` (the line price as shown) or ``unitPrice`` (each), ``originalPrice``,
``savings``, ``unitPricing`` ("21.3¢/fl oz"), an item ``type`` (shopped, substitution,
weight-adjusted, unavailable, refunded) and ``paymentDetails`` (subtotal, tax, total; card
details are never read). A file may hold one order or a list of them.
"""

from __future__ import annotations

from typing import Any

from walmart_lib.ingest.jsontools import Node, PathError, opt_text
from walmart_lib.ingest.parsing import (
    complete_prices,
    parse_date,
    parse_money,
    parse_quantity,
    parse_unit_pricing,
)
from walmart_lib.ingest.records import ParsedLine, ParsedOrder, ParsedStore

__all__ = ["FORMAT", "looks_scraped", "parse_scraped"]

FORMAT = "scraped-order-json"
_ITEM_LISTS = ("itemsReceived", "products", "items")
_TYPE_STATUS = {
    "unavailable": "unavailable",
    "out of stock": "unavailable",
    "refunded": "refunded",
    "returned": "refunded",
    "canceled": "canceled",
    "cancelled": "canceled",
}


def looks_scraped(doc: Any) -> bool:
    """True for an order object (or list of them) in the scraped shape."""
    if isinstance(doc, list):
        return bool(doc) and all(looks_scraped(d) for d in doc[:3])
    return (
        isinstance(doc, dict)
        and "orderNumber" in doc
        and (any(k in doc for k in _ITEM_LISTS) or "unavailableItems" in doc)
    )


def _money(node: Node, *keys: str) -> int | None:
    for key in keys:
        child = node.get(key)
        if child is not None:
            value = child.convert(parse_money)
            if value is not None:
                return value
    return None


def _line(item: Node, forced_status: str | None) -> ParsedLine:
    name = item.req("name").text().strip()
    if not name:
        raise PathError(item.path + ".name", "product name is empty")
    qty_node = item.get("quantity")
    quantity, unit = qty_node.convert(parse_quantity) if qty_node else (1.0, None)
    kind = (opt_text(item.get("type")) or "shopped").lower()
    line_total = _money(item, "totalPrice", "price", "currentPrice")
    unit_price = _money(item, "unitPrice")
    unit_price, line_total = complete_prices(unit_price, line_total, quantity)
    pricing_node = item.get("unitPricing")
    pricing = opt_text(pricing_node)
    if pricing_node is not None:
        pricing_node.convert(parse_unit_pricing)  # validated: a bad string is a data error
    substitute_for = item.get("substitutedFor") or item.get("originalItem")
    return ParsedLine(
        name=name,
        quantity=quantity,
        us_item_id=opt_text(item.get("usItemId")) or opt_text(item.get("itemId")),
        unit_price_cents=unit_price,
        line_total_cents=line_total,
        original_price_cents=_money(item, "originalPrice"),
        savings_cents=_money(item, "savings"),
        status=forced_status or _TYPE_STATUS.get(kind, "charged"),
        substitute_for_name=(
            opt_text(substitute_for.get("name"))
            if substitute_for is not None and isinstance(substitute_for.value, dict)
            else opt_text(substitute_for)
            if substitute_for is not None
            else None
        ),
        weight_adjusted="weight" in kind,
        sold_by_weight=unit == "lb" or (pricing or "").endswith("/lb"),
        unit_pricing=pricing,
    )


def _order(node: Node, default_tz: str) -> ParsedOrder:
    number = node.req("orderNumber").text().strip()
    if not number:
        raise PathError(node.path + ".orderNumber", "order number is empty")
    local, offset = node.req("orderDate").convert(lambda v: parse_date(v, default_tz))
    store_node = node.get("storeLocation")
    store = None
    if store_node is not None:
        store = ParsedStore(
            walmart_store_id=opt_text(store_node.get("storeId") or store_node.get("id")),
            name=opt_text(store_node.get("name")) or "Walmart",
            address=opt_text(store_node.get("address")),
            city=opt_text(store_node.get("city")),
            state=opt_text(store_node.get("state")),
            zip=opt_text(store_node.get("zip")),
        )
    payment = node.get("paymentDetails")
    order = ParsedOrder(
        order_id=number,
        order_date=local,
        utc_offset_minutes=offset,
        source_format=FORMAT,
        store=store,
        fulfillment_type=opt_text(node.get("fulfillmentType")),
        status=opt_text(node.get("status")),
        subtotal_cents=_money(payment, "subtotal") if payment else None,
        tax_cents=_money(payment, "tax") if payment else None,
        grand_total_cents=_money(payment, "total") if payment else None,
        where=node.path,
    )
    for key in _ITEM_LISTS:
        items = node.get(key)
        if items is not None:
            order.lines.extend(_line(item, None) for item in items.items())
            break
    missing = node.get("unavailableItems")
    if missing is not None:
        order.lines.extend(_line(item, "unavailable") for item in missing.items())
    return order


def parse_scraped(doc: Any, default_tz: str) -> list[ParsedOrder]:
    """One scraped order object, or a list of them."""
    root = Node(doc)
    nodes = list(root.items()) if isinstance(doc, list) else [root]
    return [_order(n, default_tz) for n in nodes]
