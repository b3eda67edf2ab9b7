"""The Walmart-Invoice-Exporter extension's exports: the CSV pair and the XLSX workbook.

``Walmart_Orders.csv`` holds one row per order (totals; its recipient, address, payment and
tracking columns are never read) and ``Walmart_Order_Items.csv`` one row per line (``Price`` is
the line total). Either file alone imports what it holds; importing the other later completes
the same orders. The XLSX has the same columns on its sheets. Files are UTF-8 with a BOM, CRLF.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from walmart_lib.ingest.parsing import (
    complete_prices,
    digits_only,
    parse_date,
    parse_money,
    parse_quantity,
)
from walmart_lib.ingest.records import ParsedLine, ParsedOrder
from walmart_lib.ingest.status import line_status

__all__ = [
    "FORMAT_ITEMS",
    "FORMAT_ORDERS",
    "FORMAT_XLSX",
    "RowError",
    "csv_kind",
    "parse_csv",
    "parse_xlsx",
]

FORMAT_ORDERS = "exporter-orders-csv"
FORMAT_ITEMS = "exporter-items-csv"
FORMAT_XLSX = "exporter-xlsx"

ORDER_COLUMNS = ("Order Number", "Order Date", "Order Total")
ITEM_COLUMNS = ("Order Number", "Product Name", "Quantity", "Price")
_ITEM_ID_RE = re.compile(r"/ip/(?:[^/?#]+/)?(\d+)")
_SCIENTIFIC_RE = re.compile(r"^\d(?:\.\d+)?E\+\d+$", re.IGNORECASE)


class RowError(ValueError):
    """Bad value in one row: ``where`` is e.g. ``line 7, column 'Quantity'``."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}")


def csv_kind(header: Sequence[str]) -> str | None:
    """Which exporter file a header row belongs to, or None."""
    names = {h.strip().lstrip("\ufeff") for h in header}
    if all(c in names for c in ITEM_COLUMNS):
        return FORMAT_ITEMS
    if all(c in names for c in ORDER_COLUMNS):
        return FORMAT_ORDERS
    return None


def _order_number(raw: str, where: str) -> str:
    text = raw.strip()
    if not text:
        raise RowError(where, "order number is missing")
    if _SCIENTIFIC_RE.match(text):
        raise RowError(
            where,
            f"order number {text!r} was turned into a number by a spreadsheet; "
            "re-export the file without opening it in a spreadsheet",
        )
    number = digits_only(text)
    if not number:
        raise RowError(where, f"order number {text!r} has no digits")
    return number


def _cell(row: dict[str, str], column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def _money(row: dict[str, str], column: str, where: str) -> int | None:
    try:
        return parse_money(_cell(row, column))
    except ValueError as exc:
        raise RowError(f"{where}, column {column!r}", str(exc)) from exc


def _date(row: dict[str, str], where: str, default_tz: str) -> tuple[object, int]:
    try:
        return parse_date(_cell(row, "Order Date"), default_tz)
    except ValueError as exc:
        raise RowError(f"{where}, column 'Order Date'", str(exc)) from exc


def _orders_rows(rows: Iterable[tuple[str, dict[str, str]]], default_tz: str) -> list[ParsedOrder]:
    orders: dict[str, ParsedOrder] = {}
    for where, row in rows:
        number = _order_number(_cell(row, "Order Number"), f"{where}, column 'Order Number'")
        local, offset = _date(row, where, default_tz)
        subtotal = _money(row, "Subtotal", where)
        tax = _money(row, "Tax", where)
        tip = _money(row, "Tip", where)
        delivery = _money(row, "Delivery Charges", where)
        bag = _money(row, "Bag Fee", where)
        fees = None if delivery is None and bag is None else (delivery or 0) + (bag or 0)
        total = _money(row, "Order Total", where)
        # "Order Total" includes the tip when the figures add up that way; ours excludes it.
        if total is not None and tip and subtotal is not None:
            if total == subtotal + (tax or 0) + (fees or 0) + tip:
                total -= tip
        order_type = _cell(row, "Order Type") or None
        orders[number] = ParsedOrder(
            order_id=number,
            order_date=local,  # type: ignore[arg-type]
            utc_offset_minutes=offset,
            source_format=FORMAT_ORDERS,
            order_type=order_type,
            fulfillment_type=_cell(row, "Fulfillment") or None,
            subtotal_cents=subtotal,
            savings_cents=_money(row, "Savings", where),
            tax_cents=tax,
            fees_cents=fees,
            tip_cents=tip,
            grand_total_cents=total,
            where=where,
        )
    return list(orders.values())


def _items_rows(rows: Iterable[tuple[str, dict[str, str]]], default_tz: str) -> list[ParsedOrder]:
    orders: dict[str, ParsedOrder] = {}
    for where, row in rows:
        number = _order_number(_cell(row, "Order Number"), f"{where}, column 'Order Number'")
        name = _cell(row, "Product Name")
        if not name:
            raise RowError(f"{where}, column 'Product Name'", "product name is empty")
        try:
            quantity, unit = parse_quantity(_cell(row, "Quantity"))
        except ValueError as exc:
            raise RowError(f"{where}, column 'Quantity'", str(exc)) from exc
        line_total = _money(row, "Price", where)
        link = _ITEM_ID_RE.search(_cell(row, "Product Link"))
        order = orders.get(number)
        if order is None:
            local, offset = _date(row, where, default_tz)
            order = orders[number] = ParsedOrder(
                order_id=number,
                order_date=local,  # type: ignore[arg-type]
                utc_offset_minutes=offset,
                source_format=FORMAT_ITEMS,
                where=where,
            )
        order.lines.append(
            ParsedLine(
                name=name,
                quantity=quantity,
                us_item_id=link.group(1) if link else None,
                line_total_cents=line_total,
                unit_price_cents=complete_prices(None, line_total, quantity)[0],
                status=line_status(_cell(row, "Delivery Status")),
                sold_by_weight=unit == "lb",
            )
        )
    return list(orders.values())


def _dict_rows(
    header: list[str], rows: Iterator[tuple[str, list[str]]]
) -> Iterator[tuple[str, dict[str, str]]]:
    clean = [h.strip().lstrip("\ufeff") for h in header]
    for where, values in rows:
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(clean):
            raise RowError(where, f"{len(values)} cells but the header has {len(clean)} columns")
        yield where, dict(zip(clean, values, strict=False))


def parse_csv(text: str, default_tz: str) -> tuple[str, list[ParsedOrder]]:
    """Parse either exporter CSV; returns (format, orders)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise RowError("line 1", "the CSV has no header row") from None
    except csv.Error as exc:
        raise RowError("line 1", f"not valid CSV ({exc})") from exc
    kind = csv_kind(header)
    if kind is None:
        raise RowError("line 1", "header is not a Walmart exporter orders or items CSV")

    def numbered() -> Iterator[tuple[str, list[str]]]:
        try:
            for values in reader:
                yield f"line {reader.line_num}", values
        except csv.Error as exc:
            raise RowError(f"line {reader.line_num}", f"not valid CSV ({exc})") from exc

    rows = _dict_rows(header, numbered())
    handler = _items_rows if kind == FORMAT_ITEMS else _orders_rows
    return kind, handler(rows, default_tz)


def parse_xlsx(path: Path, default_tz: str) -> list[ParsedOrder]:
    """Parse the exporter's workbook: every sheet whose header is an orders or items table."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken zip/xml
        raise RowError("workbook", f"not a readable XLSX file ({exc.__class__.__name__})") from exc
    orders: list[ParsedOrder] = []
    found = False
    try:
        for sheet in book.worksheets:
            values = sheet.iter_rows(values_only=True)
            header_row = next(values, None)
            if header_row is None:
                continue
            header = ["" if v is None else str(v) for v in header_row]
            kind = csv_kind(header)
            if kind is None:
                continue
            found = True

            def numbered(
                rows: Iterator[tuple[object, ...]] = values, title: str = sheet.title
            ) -> Iterator[tuple[str, list[str]]]:
                for index, row in enumerate(rows, start=2):
                    yield (
                        f"sheet {title!r} row {index}",
                        ["" if v is None else _xlsx_text(v) for v in row],
                    )

            handler = _items_rows if kind == FORMAT_ITEMS else _orders_rows
            orders.extend(handler(_dict_rows(header, numbered()), default_tz))
    finally:
        book.close()
    if not found:
        raise RowError("workbook", "no sheet has a Walmart exporter orders or items header")
    return orders


def _xlsx_text(value: object) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        # Past 2**53 a float has lost digits (a 20-digit order number typed as a number):
        # show it the way a spreadsheet does so the order-number check rejects it.
        return f"{value:.6E}" if abs(value) > 2**53 else str(int(value))
    return str(value)
