"""Analytics routes: prices and deals (``pricing``), spending (``spending``), lists (``lists``).

Thin handlers: validate, call the library (reads that depend only on imported data go through
the data-versioned cache; grocery lists change without an import, so they are never cached),
serialise frames as lists of row objects. The library's ``LookupError`` (unknown product,
store, list or item) is a 404 and its ``ValueError`` (bad parameter) a 400.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import polars as pl
from sqlalchemy import Connection, Engine

from walmart_lib.service.base import ApiError, ApiHandler, int_path

__all__ = [
    "ANALYTICS_HANDLERS",
    "LIST_HANDLERS",
    "SPENDING_HANDLERS",
    "deals_entry",
    "frame_rows",
    "library_call",
    "spending_entry",
]

T = TypeVar("T")


def frame_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A polars frame as JSON-ready row dicts (dates as ISO strings)."""
    out: list[dict[str, Any]] = []
    for row in frame.to_dicts():
        out.append({k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()})
    return out


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, pl.DataFrame):
        return frame_rows(value)
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def library_call(engine: Engine, fn: Callable[[Connection], T]) -> Callable[[], T]:
    """``fn`` run on one connection in one transaction (committed on success), with the
    library's LookupError/ValueError turned into 404/400 answers.

    One Connection for the whole call means one transaction, so every query of a route sees
    the same state of the database.
    """

    def call() -> T:
        try:
            with engine.begin() as conn:
                return fn(conn)
        except LookupError as exc:
            raise ApiError(404, str(exc)) from exc
        except ValueError as exc:
            raise ApiError(400, str(exc)) from exc

    return call


def _optional_id(handler: ApiHandler, name: str) -> int | None:
    raw = handler.get_query_argument(name, None)
    if raw in (None, ""):
        return None
    return handler.int_arg(name, 0, 1, 2**62)


class PricesHandler(ApiHandler):
    """Every price paid for one product, with its statistics and trend."""

    route = "/api/walmart/prices/{product_id}"

    async def get(self, product_id: str) -> None:
        from walmart_lib import pricing

        pid = int_path(product_id, "product_id")
        store_id = _optional_id(self, "store_id")
        engine = self.ctx.engine

        def compute(conn: Connection) -> dict[str, Any]:
            history = pricing.price_history(conn, pid, store_id=store_id)
            stats = pricing.price_stats(conn, pid, store_id=store_id)
            return {
                "product_id": pid,
                "store_id": store_id,
                "history": frame_rows(history),
                "stats": _jsonable(stats),
            }

        await self.send_cached("prices", [pid, store_id], library_call(engine, compute))


#: (cache name, cache params, compute) for one cached answer; the cache warm-up uses these too.
CacheEntry = tuple[str, Any, Callable[[], Any]]


def deals_entry(
    engine: Engine, store_id: int | None = None, category: str | None = None, limit: int = 50
) -> CacheEntry:
    from walmart_lib import pricing

    def compute(conn: Connection) -> dict[str, Any]:
        frame = pricing.deals(conn, store_id=store_id, category=category)
        rows = frame_rows(frame.head(limit))
        return {"count": len(rows), "deals": rows}

    return "deals", [store_id, category, limit], library_call(engine, compute)


def spending_entry(
    engine: Engine,
    by: str = "month",
    date_from: date | None = None,
    date_to: date | None = None,
    category: str | None = None,
    store_id: int | None = None,
) -> CacheEntry:
    from walmart_lib import spending

    def compute(conn: Connection) -> dict[str, Any]:
        frame = spending.spend_by(
            conn,
            by,
            date_from=date_from,
            date_to=date_to,
            category=category,
            store_id=store_id,
        )
        rows = frame_rows(frame)
        return {"by": by, "total_spend": round(sum(r["spend"] for r in rows), 2), "rows": rows}

    return (
        "spending",
        [by, str(date_from), str(date_to), category, store_id],
        library_call(engine, compute),
    )


class DealsHandler(ApiHandler):
    """Products whose latest price is a deal against their typical price, best first."""

    route = "/api/walmart/deals"

    async def get(self) -> None:
        store_id = _optional_id(self, "store_id")
        category = self.str_arg("category", 40) or None
        limit = self.int_arg("limit", 50, 1, 100)
        await self.send_cached(*deals_entry(self.ctx.engine, store_id, category, limit))


class SpendingHandler(ApiHandler):
    """Spend (charged line totals, dollars) grouped by a period, category, store or product."""

    route = "/api/walmart/spending"

    async def get(self) -> None:
        from walmart_lib import spending

        by = self.str_arg("by", 20, "month") or "month"
        if by not in spending.DIMENSIONS:
            raise ApiError(
                400, f"'by' must be one of: {', '.join(spending.DIMENSIONS)}", field="by"
            )
        date_from = self.date_arg("from")
        date_to = self.date_arg("to")
        if date_from and date_to and date_from > date_to:
            raise ApiError(400, "'from' must not be after 'to'", field="from")
        category = self.str_arg("category", 40) or None
        store_id = _optional_id(self, "store_id")
        await self.send_cached(
            *spending_entry(self.ctx.engine, by, date_from, date_to, category, store_id)
        )


def _body_str(body: dict[str, Any], name: str, max_len: int, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"'{name}' is required", field=name)
        return None
    if not isinstance(value, str) or len(value) > max_len:
        raise ApiError(
            400, f"'{name}' must be a string of at most {max_len} characters", field=name
        )
    return value


def _body_number(body: dict[str, Any], name: str, default: float, hi: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= hi:
        raise ApiError(400, f"'{name}' must be a number above 0 and at most {hi:g}", field=name)
    return float(value)


def _body_id(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**62:
        raise ApiError(400, f"'{name}' must be a positive integer", field=name)
    return value


def _list_payload(conn: Connection, list_id: int) -> dict[str, Any]:
    from walmart_lib import lists

    info = lists.get_list(conn, list_id)
    return {**_jsonable(info), "items": frame_rows(lists.list_items(conn, list_id))}


class ListsHandler(ApiHandler):
    """All grocery lists; POST ``{"name"}`` creates one."""

    route = "/api/walmart/lists"

    async def get(self) -> None:
        from walmart_lib import lists

        engine = self.ctx.engine
        rows = await self.run_db(library_call(engine, lambda c: frame_rows(lists.lists(c))))
        self.send({"count": len(rows), "lists": rows})

    async def post(self) -> None:
        from walmart_lib import lists

        name = _body_str(self.json_body(), "name", 100, required=True) or ""
        engine = self.ctx.engine
        info = await self.run_db(library_call(engine, lambda c: lists.create_list(c, name)))
        self.send(_jsonable(info), 201)


class ListHandler(ApiHandler):
    """One list with its items; PUT ``{"name"}`` renames it; DELETE removes it."""

    route = "/api/walmart/lists/{list_id}"

    async def get(self, list_id: str) -> None:
        lid = int_path(list_id, "list_id")
        engine = self.ctx.engine
        self.send(await self.run_db(library_call(engine, lambda c: _list_payload(c, lid))))

    async def put(self, list_id: str) -> None:
        from walmart_lib import lists

        lid = int_path(list_id, "list_id")
        name = _body_str(self.json_body(), "name", 100, required=True) or ""
        engine = self.ctx.engine
        info = await self.run_db(library_call(engine, lambda c: lists.rename_list(c, lid, name)))
        self.send(_jsonable(info))

    async def delete(self, list_id: str) -> None:
        from walmart_lib import lists

        lid = int_path(list_id, "list_id")
        engine = self.ctx.engine
        await self.run_db(library_call(engine, lambda c: lists.delete_list(c, lid)))
        self.send({"deleted": lid})


class ListItemsHandler(ApiHandler):
    """POST ``{"product_id"}`` or ``{"text"}`` (+ ``quantity``, ``unit``) adds an item."""

    route = "/api/walmart/lists/{list_id}/items"

    async def post(self, list_id: str) -> None:
        from walmart_lib import lists

        lid = int_path(list_id, "list_id")
        body = self.json_body()
        product_id = _body_id(body, "product_id")
        text = _body_str(body, "text", 300)
        if product_id is None and not (text or "").strip():
            raise ApiError(400, "send 'product_id' or 'text'", field="product_id")
        quantity = _body_number(body, "quantity", 1.0, 10_000)
        unit = _body_str(body, "unit", 16)
        engine = self.ctx.engine

        def add(conn: Connection) -> Any:
            return lists.add_item(
                conn, lid, product_id=product_id, text=text, quantity=quantity, unit=unit
            )

        self.send(_jsonable(await self.run_db(library_call(engine, add))), 201)


class ListItemHandler(ApiHandler):
    """PUT ``{"quantity"}`` sets an item's quantity; DELETE removes the item."""

    route = "/api/walmart/lists/{list_id}/items/{item_id}"

    async def put(self, list_id: str, item_id: str) -> None:
        from walmart_lib import lists

        lid = int_path(list_id, "list_id")
        iid = int_path(item_id, "item_id")
        body = self.json_body()
        if "quantity" not in body:
            raise ApiError(400, "'quantity' is required", field="quantity")
        quantity = _body_number(body, "quantity", 1.0, 10_000)
        engine = self.ctx.engine

        def update(conn: Connection) -> Any:
            return lists.set_quantity(conn, lid, iid, quantity)

        self.send(_jsonable(await self.run_db(library_call(engine, update))))

    async def delete(self, list_id: str, item_id: str) -> None:
        from walmart_lib import lists

        lid = int_path(list_id, "list_id")
        iid = int_path(item_id, "item_id")
        engine = self.ctx.engine
        await self.run_db(library_call(engine, lambda c: lists.remove_item(c, lid, iid)))
        self.send({"deleted": iid, "list_id": lid})


class ListTotalsHandler(ApiHandler):
    """What a list costs: latest prices (at one store, optionally), tax, fees, total."""

    route = "/api/walmart/lists/{list_id}/totals"

    async def get(self, list_id: str) -> None:
        from walmart_lib import lists

        lid = int_path(list_id, "list_id")
        store_id = _optional_id(self, "store_id")
        fulfillment = self.str_arg("fulfillment", 10, "delivery") or "delivery"
        if fulfillment not in ("delivery", "pickup"):
            raise ApiError(400, "'fulfillment' must be delivery or pickup", field="fulfillment")
        engine = self.ctx.engine

        def totals(conn: Connection) -> Any:
            return _jsonable(
                lists.list_totals(conn, lid, store_id=store_id, fulfillment=fulfillment)
            )

        self.send(await self.run_db(library_call(engine, totals)))


SPENDING_HANDLERS: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/walmart/spending", SpendingHandler),
]

LIST_HANDLERS: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/walmart/lists", ListsHandler),
    (r"/api/walmart/lists/([^/]+)", ListHandler),
    (r"/api/walmart/lists/([^/]+)/items", ListItemsHandler),
    (r"/api/walmart/lists/([^/]+)/items/([^/]+)", ListItemHandler),
    (r"/api/walmart/lists/([^/]+)/totals", ListTotalsHandler),
]

ANALYTICS_HANDLERS: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/walmart/prices/([^/]+)", PricesHandler),
    (r"/api/walmart/deals", DealsHandler),
]
