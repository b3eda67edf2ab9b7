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
#: Body of "create a list" and "rename a list".
_LIST_NAME_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100}},
            }
        }
    },
}

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
                _q(
                    "mode",
                    {"type": "string", "enum": ["name", "semantic"], "default": "name"},
                    "name: the name contains q; semantic: ranked by meaning and spelling",
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
    "/api/walmart/spending": {
        "get": {
            "summary": "Spend (charged line totals, dollars) grouped by period/category/store",
            "parameters": [
                _q(
                    "by",
                    {
                        "type": "string",
                        "enum": ["month", "category", "store", "day", "week", "product"],
                        "default": "month",
                    },
                    "grouping",
                ),
                _q("from", {"type": "string", "format": "date"}, "first day (inclusive)"),
                _q("to", {"type": "string", "format": "date"}, "last day (inclusive)"),
                _q("category", {"type": "string", "maxLength": 40}, "one category only"),
                _q("store_id", {"type": "integer", "minimum": 1}, "one store only"),
            ],
            "responses": {"200": _json(_OBJ), "404": _json(_ref("Error"), "No such store"), **_ERR},
        }
    },
    "/api/walmart/lists": {
        "get": {"summary": "All grocery lists", "responses": {"200": _json(_OBJ), **_ERR}},
        "post": {
            "summary": "Create a list",
            "requestBody": _LIST_NAME_BODY,
            "x-example-body": {"name": "@unique"},
            "responses": {"201": _json(_OBJ, "Created"), **_ERR},
        },
    },
    "/api/walmart/lists/{list_id}": {
        "put": {
            "summary": "Rename a list",
            "parameters": [_p("list_id", {"type": "integer", "minimum": 1})],
            "requestBody": _LIST_NAME_BODY,
            "x-example": {"list_id": "@new_list"},
            "x-example-body": {"name": "@unique"},
            "responses": {"200": _json(_OBJ), "404": _json(_ref("Error"), "No such list"), **_ERR},
        },
        "get": {
            "summary": "One list with its items",
            "parameters": [_p("list_id", {"type": "integer", "minimum": 1})],
            "x-example": {"list_id": "@new_list"},
            "responses": {"200": _json(_OBJ), "404": _json(_ref("Error"), "No such list"), **_ERR},
        },
        "delete": {
            "summary": "Delete a list and its items",
            "parameters": [_p("list_id", {"type": "integer", "minimum": 1})],
            "x-example": {"list_id": "@new_list"},
            "responses": {"200": _json(_OBJ), "404": _json(_ref("Error"), "No such list"), **_ERR},
        },
    },
    "/api/walmart/lists/{list_id}/items": {
        "post": {
            "summary": "Add a product (product_id) or free text to a list",
            "parameters": [_p("list_id", {"type": "integer", "minimum": 1})],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "product_id": {"type": "integer", "minimum": 1},
                                "text": {"type": "string", "maxLength": 300},
                                "quantity": {
                                    "type": "number",
                                    "exclusiveMinimum": 0,
                                    "maximum": 10000,
                                },
                                "unit": {"type": "string", "maxLength": 16},
                            },
                        }
                    }
                },
            },
            "x-example": {"list_id": "@new_list"},
            "x-example-body": {"product_id": 1, "quantity": 2},
            "responses": {
                "201": _json(_OBJ, "Created"),
                "404": _json(_ref("Error"), "No such list or product"),
                **_ERR,
            },
        }
    },
    "/api/walmart/lists/{list_id}/items/{item_id}": {
        "put": {
            "summary": "Set an item's quantity",
            "parameters": [
                _p("list_id", {"type": "integer", "minimum": 1}),
                _p("item_id", {"type": "integer", "minimum": 1}),
            ],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["quantity"],
                            "properties": {
                                "quantity": {
                                    "type": "number",
                                    "exclusiveMinimum": 0,
                                    "maximum": 10000,
                                },
                            },
                        }
                    }
                },
            },
            "x-example": {"list_id": "@new_list", "item_id": "@new_item"},
            "x-example-body": {"quantity": 3},
            "responses": {
                "200": _json(_OBJ),
                "404": _json(_ref("Error"), "No such list/item"),
                **_ERR,
            },
        },
        "delete": {
            "summary": "Remove one item from a list",
            "parameters": [
                _p("list_id", {"type": "integer", "minimum": 1}),
                _p("item_id", {"type": "integer", "minimum": 1}),
            ],
            "x-example": {"list_id": "@new_list", "item_id": "@new_item"},
            "responses": {
                "200": _json(_OBJ),
                "404": _json(_ref("Error"), "No such list/item"),
                **_ERR,
            },
        },
    },
    "/api/walmart/lists/{list_id}/totals": {
        "get": {
            "summary": "What a list costs: latest prices, tax, delivery fee, total (dollars)",
            "parameters": [
                _p("list_id", {"type": "integer", "minimum": 1}),
                _q("store_id", {"type": "integer", "minimum": 1}, "price at this store"),
                _q(
                    "fulfillment",
                    {"type": "string", "enum": ["delivery", "pickup"]},
                    "delivery adds the fee below the free-delivery threshold",
                ),
            ],
            "x-example": {"list_id": "@new_list"},
            "responses": {"200": _json(_OBJ), "404": _json(_ref("Error"), "No such list"), **_ERR},
        }
    },
    "/api/walmart/import": {
        "post": {
            "summary": "Import Walmart export files (multipart upload) -> the import report",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "file": {
                                    "type": "array",
                                    "items": {"type": "string", "format": "binary"},
                                }
                            },
                        }
                    }
                },
            },
            "x-example-file": "data/sample/order-231000000001510.json",
            "responses": {
                "200": _json(_OBJ, "Every file imported"),
                "413": _json(_ref("Error"), "Upload too large"),
                "415": _json(_ref("Error"), "Not multipart/form-data"),
                "422": _json(_OBJ, "Some files were rejected (the report says why)"),
                **_ERR,
            },
        }
    },
    "/api/nlp/health": {
        "get": {
            "summary": "The NLP model: name, whether it is loaded, number of intents",
            "responses": {"200": _json(_OBJ), **_ERR},
        }
    },
    "/api/nlp/process": {
        "post": {
            "summary": "Parse a request: intent, confidence, entities, linked products",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["text"],
                            "properties": {
                                "text": {"type": "string", "minLength": 1, "maxLength": 1000},
                                "today": {"type": "string", "format": "date"},
                            },
                        }
                    }
                },
            },
            "x-example-body": {"text": "add 2 gallons of great value milk to my list"},
            "responses": {"200": _json(_OBJ), **_ERR},
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
