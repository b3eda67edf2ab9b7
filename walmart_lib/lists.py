"""Grocery lists: create/rename/delete, items (merged by product), totals with tax and fees,
the cheapest store for a list, and safe CSV / Markdown exports.

Lists and items are the ``grocery_lists`` / ``list_items`` tables. An item is a matched
product or free text ("something for dinner") that :func:`match_item` or :func:`auto_match`
ties to a product later. Totals are computed in integer cents and returned as ``Decimal``
dollars: each matched item at its latest price (at one store, or anywhere), subtotal, tax at
the store's *effective* rate (tax / subtotal over that store's imported orders, falling back to
``Settings.default_tax_rate``), the delivery fee below the free-delivery threshold, what is
still needed to reach it, and the grand total. Fee and threshold come from
``Settings.delivery_fee`` / ``Settings.free_delivery_threshold`` (sources in
``docs/analytics.md``). Exports neutralise spreadsheet formulas (a cell starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe) and Markdown escapes
Markdown and HTML special characters, so a product named ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl
from rapidfuzz import fuzz, process, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from walmart_lib.analytics_frames import (
    Bind,
    conform,
    load_frames,
    orm_session,
    purchases_for,
)
from walmart_lib.config import get_settings
from walmart_lib.db import GroceryList, ListItem, Order, Product, Store
from walmart_lib.pricing import basket_comparison

__all__ = [
    "AUTO_MATCH_SCHEMA",
    "ITEMS_SCHEMA",
    "LISTS_SCHEMA",
    "PRICED_SCHEMA",
    "TAX_RATES_SCHEMA",
    "ListInfo",
    "ListItemInfo",
    "ListTotals",
    "add_item",
    "auto_match",
    "clear_list",
    "create_list",
    "delete_list",
    "effective_tax_rates",
    "escape_markdown",
    "export_csv",
    "export_markdown",
    "get_list",
    "list_items",
    "list_store_comparison",
    "list_totals",
    "lists",
    "match_item",
    "neutralize_formula",
    "remove_item",
    "rename_list",
    "set_quantity",
]

ListRef = int | str
CENT = Decimal("0.01")
#: Observed tax rates are rounded to six decimals (0.053821 = 5.3821%).
RATE_STEP = Decimal("0.000001")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ListInfo:
    list_id: int
    name: str
    items: int


@dataclass(frozen=True)
class ListItemInfo:
    item_id: int
    list_id: int
    product_id: int | None
    text: str
    quantity: float
    unit: str | None


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name).split())
    if not cleaned:
        raise ValueError("a list needs a name")
    if len(cleaned) > 100:
        raise ValueError("a list name can have at most 100 characters")
    return cleaned


def _find(session: Session, ref: ListRef) -> GroceryList:
    if isinstance(ref, int) and not isinstance(ref, bool):
        row = session.get(GroceryList, ref)
    else:
        key = " ".join(str(ref).split()).casefold()
        row = session.scalars(
            select(GroceryList).where(func.lower(GroceryList.name) == key)
        ).first()
        if row is None:  # lower() in SQL is ASCII-only on SQLite; compare in Python too.
            for candidate in session.scalars(select(GroceryList)):
                if candidate.name.casefold() == key:
                    row = candidate
                    break
    if row is None:
        raise LookupError(f"no grocery list {ref!r}")
    return row


def _info(row: GroceryList) -> ListInfo:
    return ListInfo(row.id, row.name, len(row.items))


def _item_info(item: ListItem) -> ListItemInfo:
    return ListItemInfo(item.id, item.list_id, item.product_id, item.text, item.quantity, item.unit)


def _check_quantity(quantity: float) -> float:
    value = float(quantity)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"quantity must be a positive number, got {quantity!r}")
    return value


def _name_taken(session: Session, name: str, except_id: int | None = None) -> bool:
    for row in session.scalars(select(GroceryList)):
        if row.name.casefold() == name.casefold() and row.id != except_id:
            return True
    return False


def create_list(bind: Bind, name: str) -> ListInfo:
    """A new empty list; ``ValueError`` if the name is empty, too long or already used."""
    cleaned = _clean_name(name)
    with orm_session(bind) as session:
        if _name_taken(session, cleaned):
            raise ValueError(f"a list named {cleaned!r} already exists")
        row = GroceryList(name=cleaned)
        session.add(row)
        session.flush()
        return ListInfo(row.id, row.name, 0)


def rename_list(bind: Bind, ref: ListRef, new_name: str) -> ListInfo:
    """Rename a list (by id or name, case-insensitive)."""
    cleaned = _clean_name(new_name)
    with orm_session(bind) as session:
        row = _find(session, ref)
        if _name_taken(session, cleaned, except_id=row.id):
            raise ValueError(f"a list named {cleaned!r} already exists")
        row.name = cleaned
        session.flush()
        return _info(row)


def delete_list(bind: Bind, ref: ListRef) -> None:
    """Delete a list and its items."""
    with orm_session(bind) as session:
        session.delete(_find(session, ref))


def get_list(bind: Bind, ref: ListRef) -> ListInfo:
    """A list's id, name and number of items; ``LookupError`` if there is no such list."""
    with orm_session(bind) as session:
        return _info(_find(session, ref))


LISTS_SCHEMA: dict[str, Any] = {
    "list_id": pl.Int64,
    "name": pl.String,
    "items": pl.Int64,
    "created_at": pl.Datetime("us"),
    "updated_at": pl.Datetime("us"),
}


def lists(bind: Bind) -> pl.DataFrame:
    """All lists: list_id, name, items, created_at, updated_at; by name."""
    with orm_session(bind) as session:
        rows = [
            (
                r.id,
                r.name,
                len(r.items),
                r.created_at.replace(tzinfo=None) if r.created_at else None,
                r.updated_at.replace(tzinfo=None) if r.updated_at else None,
            )
            for r in session.scalars(select(GroceryList))
        ]
    frame = pl.DataFrame(rows, schema=LISTS_SCHEMA, orient="row")
    return frame.sort(pl.col("name").str.to_lowercase())


def _product_name(session: Session, product_id: int) -> str:
    product = session.get(Product, int(product_id))
    if product is None:
        raise LookupError(f"no product with id {product_id}")
    return product.name


def add_item(
    bind: Bind,
    ref: ListRef,
    *,
    product_id: int | None = None,
    text: str | None = None,
    quantity: float = 1.0,
    unit: str | None = None,
) -> ListItemInfo:
    """Add a product or a free-text item; the same product (or the same text, for unmatched
    items, case-insensitively) already on the list gets the quantity added instead."""
    qty = _check_quantity(quantity)
    clean_text = " ".join(str(text).split()) if text is not None else ""
    if product_id is None and not clean_text:
        raise ValueError("an item needs a product_id or some text")
    if len(clean_text) > 300:
        raise ValueError("item text can have at most 300 characters")
    with orm_session(bind) as session:
        row = _find(session, ref)
        if product_id is not None:
            name = _product_name(session, product_id)
            clean_text = clean_text or name[:300]
            same = [i for i in row.items if i.product_id == int(product_id)]
        else:
            same = [
                i
                for i in row.items
                if i.product_id is None and i.text.casefold() == clean_text.casefold()
            ]
        if same:
            item = same[0]
            item.quantity = item.quantity + qty
        else:
            item = ListItem(
                product_id=None if product_id is None else int(product_id),
                text=clean_text,
                quantity=qty,
                unit=unit,
            )
            row.items.append(item)
        session.flush()
        return _item_info(item)


def _item(row: GroceryList, item_id: int) -> ListItem:
    for item in row.items:
        if item.id == int(item_id):
            return item
    raise LookupError(f"list {row.name!r} has no item {item_id}")


def remove_item(bind: Bind, ref: ListRef, item_id: int) -> None:
    """Remove one item (by its id) from a list."""
    with orm_session(bind) as session:
        row = _find(session, ref)
        row.items.remove(_item(row, item_id))


def set_quantity(bind: Bind, ref: ListRef, item_id: int, quantity: float) -> ListItemInfo:
    """Set an item's quantity (must be positive; use :func:`remove_item` to drop it)."""
    qty = _check_quantity(quantity)
    with orm_session(bind) as session:
        item = _item(_find(session, ref), item_id)
        item.quantity = qty
        session.flush()
        return _item_info(item)


def clear_list(bind: Bind, ref: ListRef) -> int:
    """Remove every item; returns how many were removed."""
    with orm_session(bind) as session:
        row = _find(session, ref)
        count = len(row.items)
        row.items.clear()
        return count


def match_item(bind: Bind, ref: ListRef, item_id: int, product_id: int) -> ListItemInfo:
    """Tie a (free-text) item to a product; merges into that product's item if already listed."""
    with orm_session(bind) as session:
        row = _find(session, ref)
        item = _item(row, item_id)
        _product_name(session, product_id)
        existing = [i for i in row.items if i.product_id == int(product_id) and i is not item]
        if existing:
            existing[0].quantity += item.quantity
            row.items.remove(item)
            session.flush()
            return _item_info(existing[0])
        item.product_id = int(product_id)
        session.flush()
        return _item_info(item)


AUTO_MATCH_SCHEMA: dict[str, Any] = {
    "item_id": pl.Int64,
    "text": pl.String,
    "product_id": pl.Int64,
    "product_name": pl.String,
    "score": pl.Float64,
}


def _match_key(text: str) -> str:
    """Lower-case words without punctuation, plural ``s`` dropped ("Bananas" -> "banana")."""
    words = utils.default_process(text).split()
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words
    )


def auto_match(bind: Bind, ref: ListRef, *, min_score: float = 80.0) -> pl.DataFrame:
    """Match every free-text item to a product when their words agree well enough.

    Score = rapidfuzz token-set ratio (0-100) of the texts with plurals folded, so "bananas"
    matches "Fresh Banana, per lb" at 100. Among products scoring ``min_score`` or more the
    best score wins, then the product bought in most orders, then the closer WRatio. Returns
    the matches made (item_id, text, product_id, product_name, score).
    """
    frames = load_frames(bind)
    counts = frames.purchases.group_by("product_id").agg(pl.len().alias("orders"))
    products = frames.products.join(counts, on="product_id", how="left").with_columns(
        pl.col("orders").fill_null(0)
    )
    names = products.get_column("product_name").to_list()
    keys = [_match_key(n) for n in names]
    ids = products.get_column("product_id").to_list()
    orders = products.get_column("orders").to_list()
    with orm_session(bind) as session:
        row = _find(session, ref)
        pending = [(i.id, i.text) for i in row.items if i.product_id is None]
    matched = []
    for item_id, text in pending:
        if not names:
            break
        query = _match_key(text)
        scores = process.cdist([query], keys, scorer=fuzz.token_set_ratio)[0]
        best = [i for i, score in enumerate(scores) if score >= min_score]
        if not best:
            continue
        top = max(best, key=lambda i: (scores[i], orders[i], fuzz.WRatio(query, keys[i])))
        product_id = int(ids[top])
        match_item(bind, ref, item_id, product_id)
        matched.append((item_id, text, product_id, names[top], float(scores[top])))
    return pl.DataFrame(matched, schema=AUTO_MATCH_SCHEMA, orient="row")


ITEMS_SCHEMA: dict[str, Any] = {
    "item_id": pl.Int64,
    "product_id": pl.Int64,
    "text": pl.String,
    "product_name": pl.String,
    "category": pl.String,
    "quantity": pl.Float64,
    "unit": pl.String,
    "matched": pl.Boolean,
}


def list_items(bind: Bind, ref: ListRef) -> pl.DataFrame:
    """A list's items in the order added, with the matched product's name and category."""
    with orm_session(bind) as session:
        row = _find(session, ref)
        rows = [(i.id, i.product_id, i.text, i.quantity, i.unit) for i in row.items]
    items = pl.DataFrame(
        rows,
        schema={
            "item_id": pl.Int64,
            "product_id": pl.Int64,
            "text": pl.String,
            "quantity": pl.Float64,
            "unit": pl.String,
        },
        orient="row",
    )
    products = load_frames(bind).products.select("product_id", "product_name", "category")
    out = items.join(products, on="product_id", how="left", maintain_order="left")
    return conform(
        out.with_columns(pl.col("product_id").is_not_null().alias("matched")), ITEMS_SCHEMA
    )


# --------------------------------------------------------------------------------------------
# Totals

TAX_RATES_SCHEMA: dict[str, Any] = {
    "store_id": pl.Int64,
    "store_name": pl.String,
    "orders": pl.Int64,
    "subtotal": pl.Float64,
    "tax": pl.Float64,
    "tax_rate": pl.Float64,
}


def effective_tax_rates(bind: Bind) -> pl.DataFrame:
    """Per store: orders with a stated subtotal and tax, their sums, and tax / subtotal."""
    stmt = (
        select(
            Order.store_id,
            Store.name,
            func.count(Order.id),
            func.sum(Order.subtotal_cents),
            func.sum(Order.tax_cents),
        )
        .join(Store, Store.id == Order.store_id)
        .where(
            Order.subtotal_cents > 0,
            Order.tax_cents.is_not(None),
        )
        .group_by(Order.store_id, Store.name)
        .order_by(Order.store_id)
    )
    with orm_session(bind) as session:
        rows = session.execute(stmt).all()
    return pl.DataFrame(
        [
            (sid, name, n, sub / 100, tax / 100, tax / sub)
            for sid, name, n, sub, tax in rows
            if sub and tax is not None
        ],
        schema=TAX_RATES_SCHEMA,
        orient="row",
    )


def _rate_for(bind: Bind, store_id: int | None) -> tuple[Decimal, str]:
    """(rate, source): the store's observed rate, all orders' rate, or the configured default."""
    rates = effective_tax_rates(bind)
    if store_id is not None:
        mine = rates.filter(pl.col("store_id") == int(store_id))
        if mine.height:
            sub, tax = mine.row(0, named=True)["subtotal"], mine.row(0, named=True)["tax"]
            rate = Decimal(str(round(tax, 2))) / Decimal(str(round(sub, 2)))
            return rate.quantize(RATE_STEP, rounding=ROUND_HALF_UP), "observed at store"
    elif rates.height:
        sub = Decimal(str(round(float(rates.get_column("subtotal").sum()), 2)))
        tax = Decimal(str(round(float(rates.get_column("tax").sum()), 2)))
        if sub > 0:
            rate = (tax / sub).quantize(RATE_STEP, rounding=ROUND_HALF_UP)
            return rate, "observed across all stores"
    return get_settings().default_tax_rate, "configured default"


PRICED_SCHEMA: dict[str, Any] = {
    "item_id": pl.Int64,
    "product_id": pl.Int64,
    "text": pl.String,
    "product_name": pl.String,
    "quantity": pl.Float64,
    "unit": pl.String,
    "unit_price": pl.Float64,
    "line_total": pl.Float64,
    "price_date": pl.Date,
    "price_store_id": pl.Int64,
    "price_source": pl.String,
}


@dataclass(frozen=True)
class ListTotals:
    """What a list costs. Money as ``Decimal`` dollars (exact cents).

    ``items`` (:data:`PRICED_SCHEMA`) shows each item's price and ``price_source``: ``store``
    (latest price at the chosen store), ``other store`` (not bought there; latest price
    anywhere), ``latest`` (no store chosen) or ``none`` (free text or never bought: not in the
    subtotal, counted in ``unpriced_items``).
    """

    list_id: int
    name: str
    store_id: int | None
    store_name: str | None
    fulfillment: str
    items: pl.DataFrame
    subtotal: Decimal
    tax_rate: Decimal
    tax_rate_source: str
    tax: Decimal
    delivery_fee: Decimal
    free_delivery_threshold: Decimal
    needed_for_free_delivery: Decimal
    total: Decimal
    unpriced_items: int


def _cents(dollars: float) -> Decimal:
    return Decimal(str(dollars)).quantize(CENT, rounding=ROUND_HALF_UP)


def list_totals(
    bind: Bind,
    ref: ListRef,
    *,
    store_id: int | None = None,
    tax_rate: Decimal | float | str | None = None,
    fulfillment: str = "delivery",
    delivery_fee: Decimal | float | str | None = None,
    free_delivery_threshold: Decimal | float | str | None = None,
) -> ListTotals:
    """Price a list at one store (or at each item's latest price anywhere) with tax and fees.

    line total = unit price x quantity, rounded to the cent; tax = subtotal x rate, rounded
    half up; the delivery fee applies to ``fulfillment="delivery"`` when the subtotal is above
    zero and below the free-delivery threshold (``"pickup"`` has no fee); total = subtotal +
    tax + fee.
    """
    if fulfillment not in ("delivery", "pickup"):
        raise ValueError(f"fulfillment must be 'delivery' or 'pickup', got {fulfillment!r}")
    settings = get_settings()
    frames = load_frames(bind)
    store_name = None
    if store_id is not None:
        hit = frames.stores.filter(pl.col("store_id") == int(store_id))
        if hit.is_empty():
            raise LookupError(f"no store with id {store_id}")
        store_name = hit.get_column("store_name")[0]
    info = get_list(bind, ref)
    items = list_items(bind, ref)
    ids = items.get_column("product_id").drop_nulls().to_list()
    buys = purchases_for(bind, product_ids=ids) if ids else None
    price_cols = ["product_id", "unit_price", "date", "store_id"]
    if buys is not None and not buys.is_empty():
        anywhere = buys.group_by("product_id").agg(pl.col(price_cols[1:]).last())
        at_store = (
            buys.filter(pl.col("store_id") == store_id)
            .group_by("product_id")
            .agg(pl.col(price_cols[1:]).last())
            if store_id is not None
            else anywhere.clear()
        )
    else:
        anywhere = pl.DataFrame(
            schema={
                "product_id": pl.Int64,
                "unit_price": pl.Float64,
                "date": pl.Date,
                "store_id": pl.Int64,
            }
        )
        at_store = anywhere
    suffix = {"unit_price": "s_price", "date": "s_date", "store_id": "s_store"}
    priced = (
        items.join(at_store.rename(suffix), on="product_id", how="left", maintain_order="left")
        .join(anywhere, on="product_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("s_price").is_not_null())
            .then(pl.lit("store"))
            .when(pl.col("unit_price").is_not_null())
            .then(pl.lit("latest" if store_id is None else "other store"))
            .otherwise(pl.lit("none"))
            .alias("price_source"),
            pl.coalesce("s_price", "unit_price").alias("unit_price"),
            pl.coalesce("s_date", "date").alias("price_date"),
            pl.coalesce("s_store", "store_id").alias("price_store_id"),
        )
    )
    line_cents = [
        None if p is None else _cents(p) * Decimal(str(q))
        for p, q in zip(priced["unit_price"], priced["quantity"], strict=True)
    ]
    line_cents = [
        None if c is None else c.quantize(CENT, rounding=ROUND_HALF_UP) for c in line_cents
    ]
    priced = priced.with_columns(
        pl.Series("line_total", [None if c is None else float(c) for c in line_cents], pl.Float64)
    )
    subtotal = sum((c for c in line_cents if c is not None), Decimal("0.00"))
    if tax_rate is not None:
        rate, source = Decimal(str(tax_rate)), "given"
        if rate < 0 or rate > 1:
            raise ValueError("tax_rate is a fraction between 0 and 1 (0.07 = 7%)")
    else:
        rate, source = _rate_for(bind, store_id)
    tax = (subtotal * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    fee_amount = Decimal(str(delivery_fee)) if delivery_fee is not None else settings.delivery_fee
    threshold = (
        Decimal(str(free_delivery_threshold))
        if free_delivery_threshold is not None
        else settings.free_delivery_threshold
    )
    if fee_amount < 0 or threshold < 0:
        raise ValueError("delivery_fee and free_delivery_threshold must not be negative")
    fee, needed = Decimal("0.00"), Decimal("0.00")
    if fulfillment == "delivery" and subtotal < threshold:
        needed = (threshold - subtotal).quantize(CENT)
        # Nothing priced yet means nothing to deliver: no fee on an empty basket.
        fee = fee_amount.quantize(CENT) if subtotal > 0 else Decimal("0.00")
    return ListTotals(
        list_id=info.list_id,
        name=info.name,
        store_id=store_id,
        store_name=store_name,
        fulfillment=fulfillment,
        items=conform(priced, PRICED_SCHEMA),
        subtotal=subtotal,
        tax_rate=rate,
        tax_rate_source=source,
        tax=tax,
        delivery_fee=fee,
        free_delivery_threshold=threshold.quantize(CENT),
        needed_for_free_delivery=needed,
        total=subtotal + tax + fee,
        unpriced_items=sum(1 for c in line_cents if c is None),
    )


def list_store_comparison(bind: Bind, ref: ListRef, *, min_coverage: float = 0.5) -> pl.DataFrame:
    """The list's matched items priced at every store (see
    :func:`walmart_lib.pricing.basket_comparison`): coverage, totals, the cheapest store."""
    items = list_items(bind, ref).filter(pl.col("matched"))
    basket: dict[int, float] = {}
    for product_id, quantity in items.select("product_id", "quantity").iter_rows():
        basket[product_id] = basket.get(product_id, 0.0) + quantity
    if not basket:
        return basket_comparison(bind, {}, min_coverage=min_coverage)
    return basket_comparison(bind, basket, min_coverage=min_coverage)


# --------------------------------------------------------------------------------------------
# Exports


def neutralize_formula(value: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula (OWASP CSV injection advice)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


#: Backslash-escaped in Markdown; ``=``, ``+``, ``-`` and ``@`` too, so no cell of the raw text
#: starts like a spreadsheet formula either.
_MD_SPECIAL = set("\\`*_{}[]()#+-.!|~=@:")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def escape_markdown(value: str) -> str:
    """Escape Markdown punctuation with backslashes and HTML specials as entities; newlines
    become spaces so a value can never start a new Markdown block."""
    out = []
    for ch in " ".join(value.splitlines()):
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _money(value: Decimal | float | None) -> str:
    if value is None:
        return ""
    return f"{Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def _qty(value: float) -> str:
    return f"{value:g}"


def export_csv(bind: Bind, ref: ListRef, **totals_options: Any) -> str:
    """The list as CSV text (item, quantity, unit, unit price, line total, price source), then
    subtotal, tax, delivery fee and total rows. Every text cell is formula-neutralised."""
    totals = list_totals(bind, ref, **totals_options)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["item", "quantity", "unit", "unit_price", "line_total", "price_source"])
    for row in totals.items.iter_rows(named=True):
        name = row["product_name"] or row["text"]
        writer.writerow(
            [
                neutralize_formula(name),
                _qty(row["quantity"]),
                neutralize_formula(row["unit"] or ""),
                _money(row["unit_price"]),
                _money(row["line_total"]),
                row["price_source"],
            ]
        )
    writer.writerow([])
    writer.writerow(["subtotal", "", "", "", _money(totals.subtotal), ""])
    writer.writerow(["tax", "", "", "", _money(totals.tax), f"rate {totals.tax_rate:.4f}"])
    writer.writerow(["delivery_fee", "", "", "", _money(totals.delivery_fee), ""])
    writer.writerow(["total", "", "", "", _money(totals.total), ""])
    return buf.getvalue()


def export_markdown(bind: Bind, ref: ListRef, **totals_options: Any) -> str:
    """The list as a printable Markdown page: a checkbox table and the totals."""
    totals = list_totals(bind, ref, **totals_options)
    where = f" at {escape_markdown(totals.store_name)}" if totals.store_name else ""
    lines = [
        f"# {escape_markdown(totals.name)}",
        "",
        f"{len(totals.items)} items{where}, {totals.fulfillment}.",
        "",
        "| ☐ | Item | Qty | Unit price | Line total |",
        "|---|---|--:|--:|--:|",
    ]
    for row in totals.items.iter_rows(named=True):
        name = escape_markdown(row["product_name"] or row["text"])
        price = f"${_money(row['unit_price'])}" if row["unit_price"] is not None else "?"
        total = f"${_money(row['line_total'])}" if row["line_total"] is not None else "?"
        unit = f" {escape_markdown(row['unit'])}" if row["unit"] else ""
        lines.append(f"| ☐ | {name} | {_qty(row['quantity'])}{unit} | {price} | {total} |")
    lines += [
        "",
        f"- Subtotal: ${_money(totals.subtotal)}",
        f"- Tax ({totals.tax_rate * 100:.2f}%, {totals.tax_rate_source}): ${_money(totals.tax)}",
        f"- Delivery fee: ${_money(totals.delivery_fee)}",
    ]
    if totals.needed_for_free_delivery > 0:
        lines.append(f"- Add ${_money(totals.needed_for_free_delivery)} for free delivery")
    lines.append(f"- **Total: ${_money(totals.total)}**")
    if totals.unpriced_items:
        lines.append(f"- {totals.unpriced_items} item(s) without a known price are not included")
    return "\n".join(lines) + "\n"
