"""The OpenAPI 3 description of the REST routes, served at ``/api/openapi.json``.

:data:`OPERATIONS` describes every route the service can have; :func:`openapi_document` keeps
only the ones this build mounts (see :func:`walmart_lib.service.routes.mounted_handlers`), so
the document never lists a route that would not answer. A test walks the document and calls
every operation on a running server.
"""

from __future__ import annotations

from typing import Any

from walmart_lib import __version__
from walmart_lib.service.base import ApiHandler

__all__ = ["OPERATIONS", "OpenApiHandler", "openapi_document"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERR = {
    "400": _json(_ref("Error"), "Bad input (the field is named)"),
    "401": _json(_ref("Error"), "Not signed in / no valid API token"),
    "429": _json(_ref("Error"), "Rate limited (see Retry-After)"),
    "503": _json(_ref("Error"), "Database unavailable or query timed out"),
}


def _q(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _p(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


_OBJ: dict[str, Any] = {"type": "object"}

#: Path -> {method -> operation}; ``x-example`` gives the test a concrete URL to call.
OPERATIONS: dict[str, dict[str, Any]] = {
    "/api/health": {
        "get": {
            "summary": "Service health (no auth)",
            "security": [],
            "responses": {"200": _json(_ref("Health")), "503": _json(_ref("Health"), "Unhealthy")},
        }
    },
    "/api/walmart/health": {
        "get": {
            "summary": "Counts of orders, products and stores in the database",
            "responses": {"200": _json(_ref("Counts")), **_ERR},
        }
    },
    "/api/csrf": {
        "get": {
            "summary": "CSRF token for cookie sessions (sets the _xsrf cookie)",
            "responses": {"200": _json(_OBJ)},
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics (loopback clients, or a token)",
            "responses": {
                "200": {"description": "Prometheus text", "content": {"text/plain": {}}},
                "403": _json(_ref("Error"), "Not a loopback client"),
            },
        }
    },
    "/api/openapi.json": {
        "get": {"summary": "This document", "responses": {"200": _json(_OBJ)}},
    },
    "/api/walmart/products": {
        "get": {
            "summary": "Search products by name",
            "parameters": [
                _q("q", {"type": "string", "maxLength": 200}, "text the name contains"),
                _q(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    "most products returned",
                ),
            ],
            "responses": {"200": _json(_OBJ), **_ERR},
        }
    },
    "/api/walmart/products/{product_id}": {
        "get": {
            "summary": "One product with a summary of its purchases",
            "parameters": [_p("product_id", {"type": "integer", "minimum": 1})],
            "x-example": {"product_id": 1},
            "responses": {
                "200": _json(_OBJ),
                "404": _json(_ref("Error"), "No such product"),
                **_ERR,
            },
        }
    },
    "/api/walmart/orders": {
        "get": {
            "summary": "Orders in a date range, newest first",
            "parameters": [
                _q("from", {"type": "string", "format": "date"}, "first day (inclusive)"),
                _q("to", {"type": "string", "format": "date"}, "last day (inclusive)"),
                _q(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                    "page size",
                ),
                _q(
                    "offset",
                    {"type": "integer", "minimum": 0, "maximum": 1000000, "default": 0},
                    "orders to skip",
                ),
            ],
            "responses": {"200": _json(_OBJ), **_ERR},
        }
    },
    "/api/walmart/orders/{order_id}": {
        "get": {
            "summary": "One order with its lines",
            "parameters": [_p("order_id", {"type": "string", "minLength": 1, "maxLength": 40})],
            "x-example": {"order_id": "@first_order"},
            "responses": {"200": _json(_OBJ), "404": _json(_ref("Error"), "No such order"), **_ERR},
        }
    },
    "/api/walmart/prices/{product_id}": {
        "get": {
            "summary": "Price history and statistics of one product (charged lines only)",
            "parameters": [
                _p("product_id", {"type": "integer", "minimum": 1}),
                _q("store_id", {"type": "integer", "minimum": 1}, "one store only"),
            ],
            "x-example": {"product_id": 1},
            "responses": {
                "200": _json(_OBJ),
                "404": _json(_ref("Error"), "No such product"),
                **_ERR,
            },
        }
    },
    "/api/walmart/deals": {
        "get": {
            "summary": "Products whose latest price is a deal against their typical price",
            "parameters": [
                _q("store_id", {"type": "integer", "minimum": 1}, "one store only"),
                _q("category", {"type": "string", "maxLength": 40}, "one category only"),
                _q(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                    "most deals returned",
                ),
            ],
            "responses": {"200": _json(_OBJ), "404": _json(_ref("Error"), "No such store"), **_ERR},
        }
    },
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string"},
            "detail": {"type": "string"},
            "field": {"type": "string"},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "version", "uptime_s", "database"],
        "properties": {
            "status": {"type": "string", "enum": ["healthy", "degraded", "unhealthy"]},
            "version": {"type": "string"},
            "uptime_s": {"type": "number"},
            "database": {"type": "string"},
        },
    },
    "Counts": {
        "type": "object",
        "required": ["orders", "products", "stores"],
        "properties": {
            "orders": {"type": "integer"},
            "products": {"type": "integer"},
            "stores": {"type": "integer"},
            "order_lines": {"type": "integer"},
            "last_import": {"type": ["object", "null"]},
            "data_version": {"type": "integer"},
        },
    },
}


def openapi_document(routes: list[str]) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the mounted route templates ``routes``."""
    paths = {r: OPERATIONS[r] for r in routes if r in OPERATIONS}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Walmart Grocery Agent API",
            "version": __version__,
            "description": "REST routes of `walmart serve`; see docs/api.md.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "walmart_session"},
            },
        },
        "security": [{"token": []}, {"session": []}],
    }


class OpenApiHandler(ApiHandler):
    route = "/api/openapi.json"

    async def get(self) -> None:
        from walmart_lib.service.routes import mounted_handlers

        self.send(openapi_document([h.route for _, h in mounted_handlers()]))
