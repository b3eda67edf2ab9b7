"""Analytics routes: price history and statistics, deals (``walmart_lib.pricing``).

Thin handlers: validate, call the library through the data-versioned cache, serialise frames as
lists of row objects. The library's ``LookupError`` (unknown product or store) is a 404 and its
``ValueError`` (bad parameter) a 400.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl

from walmart_lib.service.base import ApiError, ApiHandler, int_path

__all__ = ["ANALYTICS_HANDLERS", "DealsHandler", "PricesHandler", "frame_rows"]

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
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def library_call(fn: Callable[[], T]) -> Callable[[], T]:
    """Wrap ``fn`` so the library's LookupError/ValueError become 404/400 answers."""

    def call() -> T:
        try:
            return fn()
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

        def compute() -> dict[str, Any]:
            history = pricing.price_history(engine, pid, store_id=store_id)
            stats = pricing.price_stats(engine, pid, store_id=store_id)
            return {
                "product_id": pid,
                "store_id": store_id,
                "history": frame_rows(history),
                "stats": _jsonable(stats),
            }

        self.send(await self.cached("prices", [pid, store_id], library_call(compute)))


class DealsHandler(ApiHandler):
    """Products whose latest price is a deal against their typical price, best first."""

    route = "/api/walmart/deals"

    async def get(self) -> None:
        from walmart_lib import pricing

        store_id = _optional_id(self, "store_id")
        category = self.str_arg("category", 40) or None
        limit = self.int_arg("limit", 50, 1, 100)
        engine = self.ctx.engine

        def compute() -> list[dict[str, Any]]:
            frame = pricing.deals(engine, store_id=store_id, category=category)
            return frame_rows(frame.head(limit))

        rows = await self.cached("deals", [store_id, category, limit], library_call(compute))
        self.send({"count": len(rows), "deals": rows})


ANALYTICS_HANDLERS: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/walmart/prices/([^/]+)", PricesHandler),
    (r"/api/walmart/deals", DealsHandler),
]
