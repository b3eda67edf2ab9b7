"""Walmart order-page JSON: the ``__NEXT_DATA__`` document of walmart.com/orders/<id>.

Accepted roots: the whole page document (``props.pageProps.initialData.data.order``), its
``data.order`` / ``order`` object, or the bare order object. Items live under
``groups_2101[].items[]`` or ``groups_2101[].subGroups[].categories[].items[]``; a group's status
text decides whether its items were charged, canceled, unavailable or refunded. Payment methods,
delivery addresses, recipients and tracking numbers are never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
from walmart_lib.ingest.status import line_status

__all__ = ["FORMAT", "find_order", "parse_order_page", "read_groups"]

FORMAT = "walmart-order-json"
_ITEM_ID_RE = re.compile(r"/ip/(?:[^/?#]+/)?(\d+)")


def find_order(doc: Any) -> Node | None:
    """The order object inside any of the accepted roots, or None if this is not one."""
    root = Node(doc)
    if not isinstance(doc, dict):
        return None
    for keys in (
        ("props", "pageProps", "initialData", "data", "order"),
        ("pageProps", "initialData", "data", "order"),
        ("initialData", "data", "order"),
        ("data", "order"),
        ("order",),
    ):
        node = root.dig(*keys)
        if node is not None and isinstance(node.value, dict):
            return node
    if "groups_2101" in doc and ("id" in doc or "displayId" in doc):
        return root
    return None


def read_groups(groups: Node | None, order: ParsedOrder) -> list[tuple[Node, str | None]]:
    """An order's groups with their status text; sets the order's status and fulfilment type
    (the distinct values over its groups)."""
    pairs = [(g, _status_text(g)) for g in (groups.items() if groups is not None else ())]
    kinds = [opt_text(g.get("fulfillmentType")) for g, _ in pairs]
    order.status = "; ".join(dict.fromkeys(t for _, t in pairs if t)) or None
    order.fulfillment_type = ", ".join(dict.fromkeys(k for k in kinds if k)) or None
    return pairs


def _status_text(group: Node) -> str | None:
    parts = group.dig("status", "message", "parts")
    if parts is None:
        return None
    texts = [opt_text(p.get("text")) for p in parts.items()]
    return " ".join(t for t in texts if t) or None


def _group_items(group: Node) -> Iterator[Node]:
    items = group.get("items")
    if items is not None:
        yield from items.items()
    sub_groups = group.get("subGroups")
    if sub_groups is not None:
        for sub in sub_groups.items():
            categories = sub.get("categories")
            if categories is None:
                continue
            for category in categories.items():
                cat_items = category.get("items")
                if cat_items is not None:
                    yield from cat_items.items()


def _store(group: Node) -> ParsedStore | None:
    store = group.get("store")
    if store is None:
        return None
    address = store.get("address")
    return ParsedStore(
        walmart_store_id=opt_text(store.get("id")),
        name=opt_text(store.get("displayName")) or opt_text(store.get("name")) or "Walmart",
        address=opt_text(address.get("addressLineOne")) if address else None,
        city=opt_text(address.get("city")) if address else None,
        state=opt_text(address.get("state")) if address else None,
        zip=opt_text(address.get("postalCode")) if address else None,
    )


def _us_item_id(product: Node) -> str | None:
    item_id = opt_text(product.get("usItemId"))
    if item_id:
        return item_id
    url = opt_text(product.get("canonicalUrl"))
    match = _ITEM_ID_RE.search(url or "")
    return match.group(1) if match else None


def _line(item: Node, status: str) -> ParsedLine:
    product = item.req("productInfo")
    name = product.req("name").text().strip()
    if not name:
        raise PathError(product.path + ".name", "product name is empty")
    quantity, _unit = item.req("quantity").convert(parse_quantity)
    price = item.get("priceInfo")
    line_total = unit_price = original = savings = None
    unit_pricing: str | None = None
    weight_adjusted = False
    if price is not None:
        was_node = price.get("wasPrice")
        savings_node = price.get("savings")
        original = was_node.convert(parse_money) if was_node else None
        savings = savings_node.convert(parse_money) if savings_node else None
        pricing_node = price.get("unitPricing")
        if pricing_node is not None:
            raw = pricing_node.value
            unit_pricing = str(raw.get("displayValue") if isinstance(raw, dict) else raw) or None
            pricing_node.convert(lambda v: parse_unit_pricing(unit_pricing))
        line_node = price.get("linePrice")
        unit_node = price.get("unitPrice") or price.get("itemPrice")
        line_total = line_node.convert(parse_money) if line_node else None
        unit_price = unit_node.convert(parse_money) if unit_node else None
        weight_adjusted = bool(price.value.get("weightAdjusted"))
    unit_price, line_total = complete_prices(unit_price, line_total, quantity)
    substitution = item.dig("substitution", "originalItem")
    sold_by_weight = opt_text(product.get("salesUnitType")) == "WEIGHT"
    return ParsedLine(
        name=name,
        quantity=quantity,
        us_item_id=_us_item_id(product),
        unit_price_cents=unit_price,
        line_total_cents=line_total,
        status=status,
        substitute_for_us_item_id=_us_item_id(substitution) if substitution else None,
        substitute_for_name=opt_text(substitution.get("name")) if substitution else None,
        original_price_cents=original,
        savings_cents=savings,
        weight_adjusted=weight_adjusted,
        sold_by_weight=sold_by_weight,
        unit_pricing=unit_pricing,
    )


def _fees(details: Node) -> int | None:
    fees = details.get("fees")
    if fees is None:
        return None
    total = 0
    for fee in fees.items():
        value = fee.get("displayValue")
        total += (value.convert(parse_money) if value else 0) or 0
    return total


def _money(details: Node | None, key: str) -> int | None:
    node = details.get(key) if details is not None else None
    return node.convert(parse_money) if node is not None else None


def parse_order(order: Node, default_tz: str) -> ParsedOrder:
    """One order object to a :class:`ParsedOrder`."""
    order_id = order.req("id").text().strip()
    if not order_id:
        raise PathError(order.path + ".id", "order id is empty")
    local, offset = order.req("orderDate").convert(lambda v: parse_date(v, default_tz))
    details = order.get("priceDetails")
    result = ParsedOrder(
        order_id=order_id,
        order_date=local,
        utc_offset_minutes=offset,
        source_format=FORMAT,
        display_id=opt_text(order.get("displayId")),
        order_type=opt_text(order.get("type")),
        subtotal_cents=_money(details, "subTotal"),
        savings_cents=_money(details, "savings"),
        tax_cents=_money(details, "taxTotal"),
        fees_cents=_fees(details) if details is not None else None,
        tip_cents=_money(details, "driverTip"),
        grand_total_cents=_money(details, "grandTotal"),
        where=order.path,
    )
    groups = read_groups(order.get("groups_2101"), result)
    for group, text in groups:
        if result.store is None:
            result.store = _store(group)
        status = line_status(text)
        for item in _group_items(group):
            result.lines.append(_line(item, status))
    return result


def parse_order_page(doc: Any, default_tz: str) -> list[ParsedOrder]:
    """Parse an order page document (see module docstring for accepted roots)."""
    order = find_order(doc)
    if order is None:
        raise PathError("$", "no Walmart order object found")
    return [parse_order(order, default_tz)]
