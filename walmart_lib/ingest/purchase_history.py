"""Walmart purchase-history JSON (walmart.com/orders): the list of orders, without line prices.

Orders and their items are imported without prices (``has_prices`` false); importing the order
detail page later for the same order id enriches the order (prices, store) instead of adding a
second copy. The page can render the same order twice: the render with more items wins.
"""

from __future__ import annotations

from typing import Any

from walmart_lib.ingest.jsontools import Node, PathError, opt_text
from walmart_lib.ingest.parsing import parse_date, parse_money, parse_quantity
from walmart_lib.ingest.records import ParsedLine, ParsedOrder
from walmart_lib.ingest.status import line_status
from walmart_lib.ingest.walmart_json import read_groups

__all__ = ["FORMAT", "find_orders", "parse_purchase_history"]

FORMAT = "walmart-purchase-history"


def find_orders(doc: Any) -> Node | None:
    """The ``purchaseHistory.orders`` list inside any of the page's roots, or None."""
    if not isinstance(doc, dict):
        return None
    root = Node(doc)
    for keys in (
        ("props", "pageProps", "initialData", "data", "purchaseHistory"),
        ("props", "pageProps", "phRedesignInitialData", "data", "purchaseHistory"),
        ("pageProps", "initialData", "data", "purchaseHistory"),
        ("data", "purchaseHistory"),
        ("purchaseHistory",),
    ):
        node = root.dig(*keys)
        if node is not None and isinstance(node.value, dict) and "orders" in node.value:
            return node.req("orders")
    return None


def _order(node: Node, default_tz: str) -> ParsedOrder:
    order_id = node.req("id").text().strip()
    if not order_id:
        raise PathError(node.path + ".id", "order id is empty")
    local, offset = node.req("orderDate").convert(lambda v: parse_date(v, default_tz))
    details = node.get("priceDetails")

    def money(key: str) -> int | None:
        child = details.get(key) if details is not None else None
        return child.convert(parse_money) if child is not None else None

    tip = money("driverTip")
    order_total = money("orderTotal")
    # The list shows the total with the tip; the detail page's grandTotal excludes it.
    grand_total = order_total - tip if order_total is not None and tip is not None else order_total
    is_in_store = bool(node.value.get("isInStore"))
    result = ParsedOrder(
        order_id=order_id,
        order_date=local,
        utc_offset_minutes=offset,
        source_format=FORMAT,
        display_id=opt_text(node.get("displayId")),
        order_type=opt_text(node.get("type")) or ("IN_STORE" if is_in_store else None),
        subtotal_cents=money("subTotal"),
        tip_cents=tip,
        grand_total_cents=grand_total,
        where=node.path,
    )
    for group, text in read_groups(node.get("groups"), result):
        items = group.get("items")
        for item in items.items() if items is not None else ():
            name = item.req("name").text().strip()
            if not name:
                raise PathError(item.path + ".name", "product name is empty")
            quantity, _unit = item.req("quantity").convert(parse_quantity)
            result.lines.append(ParsedLine(name=name, quantity=quantity, status=line_status(text)))
    return result


def parse_purchase_history(doc: Any, default_tz: str) -> list[ParsedOrder]:
    """All orders on the page, each once."""
    orders = find_orders(doc)
    if orders is None:
        raise PathError("$", "no purchaseHistory.orders list found")
    by_id: dict[str, ParsedOrder] = {}
    for node in orders.items():
        order = _order(node, default_tz)
        seen = by_id.get(order.order_id)
        if seen is None or len(order.lines) > len(seen.lines):
            by_id[order.order_id] = order
    return list(by_id.values())
