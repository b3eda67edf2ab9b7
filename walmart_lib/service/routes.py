"""The REST routes of ``walmart serve``: one Tornado handler per path, all JSON.

:func:`build_routes` returns the ``extra_patterns`` list handed to ``pn.serve``. Routes backed
by library modules that are not installed in this build (analytics, NLP, import) are left out,
and so are their OpenAPI entries, so the server never answers with invented data. Each handler
validates its inputs (400 naming the field), reads through the cache where the answer depends
only on the data, and leaves the work to library functions.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Engine, text

from walmart_lib import catalog
from walmart_lib.db.state import data_version
from walmart_lib.service.base import ApiError, ApiHandler, int_path, is_loopback
from walmart_lib.service.cache import cache_key, dumps
from walmart_lib.service.context import ServiceContext
from walmart_lib.service.metrics import CONTENT_TYPE

__all__ = [
    "CORE_HANDLERS",
    "available_features",
    "build_routes",
    "counts_entry",
    "mounted_handlers",
    "orders_entry",
    "overview_entries",
]

MAX_LIMIT = 100
MAX_QUERY_CHARS = 200


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def available_features() -> dict[str, bool]:
    """Which optional route groups this build can serve (their library modules exist)."""
    return {
        "pricing": _module_exists("walmart_lib.pricing"),
        "spending": _module_exists("walmart_lib.spending"),
        "lists": _module_exists("walmart_lib.lists"),
        "import": _module_exists("walmart_lib.ingest.importer"),
        "semantic_search": _module_exists("walmart_lib.nlp.search"),
        "nlp": _module_exists("walmart_lib.nlp.parser"),
    }


def counts_entry(engine: Engine) -> tuple[str, Any, Callable[[], Any]]:
    """Cache entry (name, params, compute) of ``/api/walmart/health``."""
    return "counts", {}, lambda: catalog.database_counts(engine)


def orders_entry(
    engine: Engine,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[str, Any, Callable[[], Any]]:
    """Cache entry of ``/api/walmart/orders``."""
    params = {"from": str(date_from), "to": str(date_to), "limit": limit, "offset": offset}
    return "orders", params, lambda: catalog.list_orders(engine, date_from, date_to, limit, offset)


def overview_entries(engine: Engine) -> list[tuple[str, Any, Callable[[], Any]]]:
    """What the cache warm-up computes at start: the answers the overview page asks for."""
    entries = [counts_entry(engine), orders_entry(engine)]
    features = available_features()
    if features["pricing"]:
        from walmart_lib.service.routes_analytics import deals_entry

        entries.append(deals_entry(engine))
    if features["spending"]:
        from walmart_lib.service.routes_analytics import spending_entry

        entries += [spending_entry(engine, by) for by in ("month", "category", "store")]
    return entries


class HealthHandler(ApiHandler):
    """Liveness and database reachability; open without auth (for load balancers)."""

    route = "/api/health"
    auth_required = False

    async def get(self) -> None:
        ctx = self.ctx
        body: dict[str, Any] = {
            "status": "healthy",
            "version": ctx.version,
            "uptime_s": ctx.uptime_s,
            "database": "ok",
            "cache": ctx.cache.kind,
            "auth": "on" if ctx.auth_enabled else "off",
        }

        def ping() -> None:
            with ctx.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await self.run_db(ping)
        except ApiError as exc:
            body.update(status="unhealthy", database="unreachable", failing="database")
            body["detail"] = exc.detail
            self.send(body, 503)
            return
        ping_redis = getattr(ctx.cache, "ping", None)
        if ping_redis is not None:
            ok = await self._loop().run_in_executor(ctx.executor, ping_redis)
            body["cache_status"] = "ok" if ok else "unreachable"
            if not ok:
                # Answers still come (computed without the cache), so the service is degraded.
                body.update(status="degraded", failing="cache")
        self.send(body)


class WalmartHealthHandler(ApiHandler):
    """Counts straight from the database."""

    route = "/api/walmart/health"

    async def get(self) -> None:
        engine = self.ctx.engine
        await self.send_cached(*counts_entry(engine))


class CsrfHandler(ApiHandler):
    """Hands a browser session its CSRF token (and sets the ``_xsrf`` cookie)."""

    route = "/api/csrf"

    async def get(self) -> None:
        self.send({"csrf_token": self.xsrf_token.decode()})


class MetricsHandler(ApiHandler):
    """Prometheus text; loopback clients, or any client with a token (WALMART_METRICS_ACCESS)."""

    route = "/metrics"
    auth_required = False
    rate_limited = False

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", CONTENT_TYPE)

    async def get(self) -> None:
        loopback_ok = self.ctx.settings.metrics_access == "loopback" and is_loopback(
            self.request.remote_ip
        )
        if not loopback_ok:
            if self.ctx.store is None:
                if not is_loopback(self.request.remote_ip):
                    raise ApiError(403, "/metrics is served to loopback clients only")
            else:
                self.authenticate()
        self.set_status(200)
        self.finish(self.ctx.metrics.render())


class ProductsHandler(ApiHandler):
    """Product search: by name (substring, the default) or by meaning (``mode=semantic``)."""

    route = "/api/walmart/products"

    async def get(self) -> None:
        q = (self.str_arg("q", MAX_QUERY_CHARS) or "").strip()
        limit = self.int_arg("limit", 20, 1, MAX_LIMIT)
        mode = self.str_arg("mode", 10, "name") or "name"
        if mode not in ("name", "semantic") or (
            mode == "semantic" and not available_features()["semantic_search"]
        ):
            modes = "name or semantic" if available_features()["semantic_search"] else "name"
            raise ApiError(400, f"'mode' must be {modes}", field="mode")
        engine = self.ctx.engine
        if mode == "semantic":
            if not q:
                raise ApiError(400, "semantic search needs some text in 'q'", field="q")
            await self._semantic(q, limit)
            return

        def compute() -> dict[str, Any]:
            products = catalog.search_products(engine, q, limit)
            return {"q": q, "mode": mode, "count": len(products), "products": products}

        await self.send_cached("products", {"q": q, "limit": limit}, compute)

    async def _semantic(self, q: str, limit: int) -> None:
        from walmart_lib.service.nlp_worker import semantic_search
        from walmart_lib.service.routes_nlp import get_worker

        engine = self.ctx.engine
        # The encoder runs in the NLP worker process; the answer is cached like any other.
        version = await self.run_db(data_version, engine)
        key = cache_key(version, "products_semantic", {"q": q, "limit": limit})
        cache = self.ctx.cache
        text = await self.run_db(cache.get_text, key)
        cache.stats.record(text is not None)
        if text is None:
            future = get_worker(self.ctx).submit(semantic_search, q, limit)
            found = await asyncio.wrap_future(future)
            text = dumps({"q": q, "mode": "semantic", "count": len(found), "products": found})
            await self.run_db(cache.set_text, key, text)
        self.send_text(text)


class ProductHandler(ApiHandler):
    route = "/api/walmart/products/{product_id}"

    async def get(self, product_id: str) -> None:
        pid = int_path(product_id, "product_id")
        engine = self.ctx.engine

        def compute() -> dict[str, Any]:
            product = catalog.get_product(engine, pid)
            if product is None:  # not cached: a later import may add it
                raise ApiError(404, f"no product with id {pid}")
            return product

        await self.send_cached("product", pid, compute)


class OrdersHandler(ApiHandler):
    route = "/api/walmart/orders"

    async def get(self) -> None:
        date_from = self.date_arg("from")
        date_to = self.date_arg("to")
        if date_from and date_to and date_from > date_to:
            raise ApiError(400, "'from' must not be after 'to'", field="from")
        limit = self.int_arg("limit", 50, 1, MAX_LIMIT)
        offset = self.int_arg("offset", 0, 0, 1_000_000)
        engine = self.ctx.engine
        await self.send_cached(*orders_entry(engine, date_from, date_to, limit, offset))


class OrderHandler(ApiHandler):
    route = "/api/walmart/orders/{order_id}"

    async def get(self, order_id: str) -> None:
        if not 1 <= len(order_id) <= 40:
            raise ApiError(400, "'order_id' must be 1-40 characters", field="order_id")
        engine = self.ctx.engine

        def compute() -> dict[str, Any]:
            order = catalog.get_order(engine, order_id)
            if order is None:
                raise ApiError(404, "no order with that id")
            return order

        await self.send_cached("order", order_id, compute)


class NotFoundHandler(ApiHandler):
    """JSON 404 for any other ``/api/`` path."""

    route = "/api/{unknown}"

    def _missing(self, *_: Any) -> None:
        raise ApiError(404, "no such API route; see /api/openapi.json")

    get = post = put = delete = patch = _missing


#: Route template -> (Tornado pattern, handler), in match order; templates are OpenAPI paths.
CORE_HANDLERS: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/health", HealthHandler),
    (r"/api/walmart/health", WalmartHealthHandler),
    (r"/api/csrf", CsrfHandler),
    (r"/metrics", MetricsHandler),
    (r"/api/walmart/products", ProductsHandler),
    (r"/api/walmart/products/([^/]+)", ProductHandler),
    (r"/api/walmart/orders", OrdersHandler),
    (r"/api/walmart/orders/([^/]+)", OrderHandler),
]


def mounted_handlers() -> list[tuple[str, type[ApiHandler]]]:
    """Every (pattern, handler) this build serves, before the JSON 404 catch-all."""
    handlers = list(CORE_HANDLERS)
    features = available_features()
    if features["pricing"]:
        from walmart_lib.service.routes_analytics import ANALYTICS_HANDLERS

        handlers.extend(ANALYTICS_HANDLERS)
    if features["spending"]:
        from walmart_lib.service.routes_analytics import SPENDING_HANDLERS

        handlers.extend(SPENDING_HANDLERS)
    if features["lists"]:
        from walmart_lib.service.routes_analytics import LIST_HANDLERS

        handlers.extend(LIST_HANDLERS)
    if features["nlp"]:
        from walmart_lib.service.routes_nlp import NLP_HANDLERS

        handlers.extend(NLP_HANDLERS)
    if features["import"]:
        from walmart_lib.service.routes_import import IMPORT_HANDLERS

        handlers.extend(IMPORT_HANDLERS)
    from walmart_lib.service import openapi

    handlers.append((r"/api/openapi\.json", openapi.OpenApiHandler))
    return handlers


def build_routes(ctx: ServiceContext) -> list[tuple[str, type[ApiHandler], dict[str, Any]]]:
    """The ``extra_patterns`` for ``pn.serve``: each route, then the JSON 404 for ``/api/``."""
    routes = [(pattern, handler, {"ctx": ctx}) for pattern, handler in mounted_handlers()]
    routes.append((r"/api/.*", NotFoundHandler, {"ctx": ctx}))
    return routes
