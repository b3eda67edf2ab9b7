"""The request-handler base every REST route shares: auth, rate limit, CSRF, errors, metrics.

:class:`ApiHandler` answers JSON only. Before a handler method runs, :meth:`ApiHandler.prepare`
assigns a request id, applies the per-client rate limit (``/api/*``), authenticates (API token
in ``Authorization: Bearer``, or the dashboard's signed session cookie) and, for state-changing
methods, checks that cookie sessions carry the CSRF token (Tornado's double-submit ``_xsrf``)
and that browsers' ``Origin`` matches the host. Errors are ``{"error", "detail"}`` with the right
status and never a stack trace. Work that touches the database runs on the context's thread
pool, and a :class:`~walmart_lib.db.QueryTimeout` becomes a 503.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlparse

from sqlalchemy.exc import DBAPIError, OperationalError
from tornado.web import HTTPError, RequestHandler

from walmart_lib.db.engine import QueryTimeout
from walmart_lib.db.state import data_version
from walmart_lib.service.auth import session_user
from walmart_lib.service.cache import MemoryCache, cache_key, dumps
from walmart_lib.service.context import ServiceContext
from walmart_lib.service.security import API_CSP, apply_security_headers

__all__ = ["ApiError", "ApiHandler", "int_path", "is_loopback"]

log = logging.getLogger("walmart.service")
access_log = logging.getLogger("walmart.service.access")

T = TypeVar("T")

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Largest JSON body accepted by the non-upload routes.
MAX_JSON_BYTES = 64 * 1024
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

_STATUS_ERRORS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def is_loopback(ip: str | None) -> bool:
    try:
        return ip is not None and ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def int_path(raw: str, name: str) -> int:
    """``raw`` (a path segment) as a positive integer, else a 400 naming ``name``."""
    try:
        value = int(raw)
    except ValueError as exc:
        raise ApiError(400, f"'{name}' must be an integer", field=name) from exc
    if not 1 <= value <= 2**62:
        raise ApiError(400, f"'{name}' must be a positive integer", field=name)
    return value


def _db_error(exc: Exception, request_id: str) -> ApiError:
    """The 503 answer for a database timeout or outage."""
    if isinstance(exc, QueryTimeout):
        return ApiError(503, f"{exc}; try a narrower query", error="query_timeout")
    orig = getattr(exc, "orig", None)
    if orig is not None and "interrupted" in str(orig):
        return ApiError(503, "database query timed out", error="query_timeout")
    log.warning("database error", extra={"request_id": request_id})
    return ApiError(503, "the database is unavailable", error="database")


class ApiError(Exception):
    """An error answer: status, short machine code, human detail and the field at fault."""

    def __init__(
        self, status: int, detail: str, *, error: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error or _STATUS_ERRORS.get(status, "error")
        self.detail = detail
        self.field = field


class ApiHandler(RequestHandler):
    """JSON route base; subclasses set :attr:`route` (the OpenAPI path) and handler methods."""

    route: ClassVar[str] = "/api/*"
    auth_required: ClassVar[bool] = True
    rate_limited: ClassVar[bool] = True

    ctx: ServiceContext

    def initialize(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.user: str | None = None
        self.via_token = False
        self._t0 = time.perf_counter()
        self._entered = False
        incoming = self.request.headers.get("X-Request-Id", "")
        self.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex[:16]

    def compute_etag(self) -> None:
        # Answers are Cache-Control: no-store; hashing every body for an ETag is wasted work.
        return None

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        apply_security_headers(self, API_CSP)
        # Also after send_error() clears the headers (the first call precedes initialize()).
        request_id = getattr(self, "request_id", None)
        if request_id:
            self.set_header("X-Request-Id", request_id)

    # -- pipeline ----------------------------------------------------------------------
    async def prepare(self) -> None:
        self.ctx.enter()
        self._entered = True
        self.set_header("X-Request-Id", self.request_id)
        if self.rate_limited:
            decision = self.ctx.limiter.hit(self.request.remote_ip or "unknown")
            self.set_header("X-RateLimit-Limit", str(self.ctx.limiter.limit))
            self.set_header("X-RateLimit-Remaining", str(decision.remaining))
            if not decision.allowed:
                self.set_header("Retry-After", str(decision.retry_after_s))
                raise ApiError(
                    429,
                    f"more than {self.ctx.limiter.limit} requests in a minute; "
                    f"retry after {decision.retry_after_s} s",
                )
        if self.auth_required:
            self.authenticate()
        if self.request.method in UNSAFE_METHODS:
            self.check_origin()
            if self.user is not None and not self.via_token:
                self.check_csrf()

    def authenticate(self) -> None:
        """Sets :attr:`user`; raises 401 when auth is on and no valid credential came."""
        store = self.ctx.store
        if store is None:
            return
        header = self.request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "Authorization must be 'Bearer <API token>'")
            user = store.check_token(token.strip())
            if user is None:
                raise ApiError(401, "the API token is not valid (revoked or mistyped)")
            self.user, self.via_token = user, True
            return
        user = session_user(self, store)
        if user is None:
            self.set_header("WWW-Authenticate", 'Bearer realm="walmart"')
            raise ApiError(401, "sign in at /login or send 'Authorization: Bearer <API token>'")
        self.user = user

    def check_origin(self) -> None:
        """Browsers send ``Origin`` on cross-site requests: it must name this host."""
        origin = self.request.headers.get("Origin")
        if origin and origin != "null":
            if urlparse(origin).netloc.lower() != self.request.host.lower():
                raise ApiError(403, "cross-origin request refused", error="bad_origin")
        elif origin == "null":
            raise ApiError(403, "cross-origin request refused", error="bad_origin")

    def check_csrf(self) -> None:
        try:
            self.check_xsrf_cookie()
        except HTTPError as exc:
            raise ApiError(
                403,
                "CSRF token missing or wrong: send the _xsrf cookie's token in the "
                "X-XSRFToken header (GET /api/csrf gives one)",
                error="csrf",
            ) from exc

    # -- helpers -----------------------------------------------------------------------
    async def run_db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the database pool; timeouts and outages become 503."""
        loop = self._loop()
        try:
            return await loop.run_in_executor(self.ctx.executor, fn, *args)
        except (QueryTimeout, OperationalError, DBAPIError) as exc:
            raise _db_error(exc, self.request_id) from exc

    async def send_cached(self, name: str, params: Any, compute: Callable[[], Any]) -> None:
        """Answer with ``compute()``'s JSON through the cache, keyed on the data version.

        Fast path (SQLite + in-process cache, the single-process default): the version is read
        on the loop thread (:class:`~walmart_lib.service.version.SqliteVersionReader`) and a
        hit is answered without a thread hop. Otherwise, and for every miss, the work runs on
        the database pool.
        """
        cache = self.ctx.cache
        reader = self.ctx.version_reader
        if reader is not None and isinstance(cache, MemoryCache):
            try:
                version = reader.read()
            except QueryTimeout as exc:
                raise _db_error(exc, self.request_id) from exc
            key = cache_key(version, name, params)
            text = cache.get_text(key)
            cache.stats.record(text is not None)
            if text is None:
                text = await self.run_db(self._compute_into, cache, key, compute)
            self.send_text(text)
            return
        engine = self.ctx.engine

        def work() -> str:
            return cache.get_or_compute_text(cache_key(data_version(engine), name, params), compute)

        self.send_text(await self.run_db(work))

    @staticmethod
    def _compute_into(cache: MemoryCache, key: str, compute: Callable[[], Any]) -> str:
        text = dumps(compute())
        cache.set_text(key, text)
        return text

    @staticmethod
    def _loop() -> Any:
        import asyncio

        return asyncio.get_running_loop()

    def send(self, payload: Any, status: int = 200) -> None:
        self.send_text(dumps(payload), status)

    def send_text(self, text: str, status: int = 200) -> None:
        """Answer with JSON text as it is (cached answers are stored serialised)."""
        self.set_status(status)
        self.finish(text)

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object (400/413/415 otherwise)."""
        ctype = self.request.headers.get("Content-Type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            raise ApiError(415, "send the body as application/json", field="Content-Type")
        if len(self.request.body) > MAX_JSON_BYTES:
            raise ApiError(413, f"JSON body larger than {MAX_JSON_BYTES} bytes")
        try:
            data = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "the body is not valid JSON", field="body") from exc
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object", field="body")
        return data

    def int_arg(self, name: str, default: int, lo: int, hi: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ApiError(400, f"'{name}' must be an integer", field=name) from exc
        if not lo <= value <= hi:
            raise ApiError(400, f"'{name}' must be between {lo} and {hi}", field=name)
        return value

    def str_arg(self, name: str, max_len: int, default: str | None = None) -> str | None:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        if len(raw) > max_len:
            raise ApiError(400, f"'{name}' must be at most {max_len} characters", field=name)
        return raw

    def date_arg(self, name: str) -> date | None:
        """An optional ``YYYY-MM-DD`` query argument."""
        raw = self.str_arg(name, 10)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError as exc:
            raise ApiError(400, f"'{name}' must be a date YYYY-MM-DD", field=name) from exc

    # -- errors and accounting ---------------------------------------------------------
    def _handle_request_exception(self, e: BaseException) -> None:
        if isinstance(e, ApiError):
            if self._finished:
                return
            self.clear_header("Content-Length")
            self.set_status(e.status)
            body: dict[str, Any] = {"error": e.error, "detail": e.detail}
            if e.field:
                body["field"] = e.field
            self.finish(json.dumps(body))
            return
        super()._handle_request_exception(e)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # Tornado's version logs the full URI (query strings can hold personal text); the
        # error is logged by write_error with the request id and route instead.
        if isinstance(value, HTTPError) and value.status_code < 500:
            return

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        detail = self._reason
        if exc_info and isinstance(exc_info[1], HTTPError) and exc_info[1].log_message:
            detail = exc_info[1].log_message % exc_info[1].args if exc_info[1].args else detail
        if status_code >= 500:
            log.error(
                "unhandled error",
                exc_info=exc_info,
                extra={"request_id": self.request_id, "route": self.route},
            )
            detail = f"internal error; quote request id {self.request_id} when reporting it"
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(
            json.dumps({"error": _STATUS_ERRORS.get(status_code, "error"), "detail": detail})
        )

    def on_finish(self) -> None:
        if self._entered:
            self.ctx.leave()
        latency_ms = (time.perf_counter() - self._t0) * 1000.0
        status = self.get_status()
        self.ctx.metrics.observe_request(self.route, self.request.method or "", status, latency_ms)
        access_log.info(
            "request",
            extra={
                "request_id": self.request_id,
                "route": self.route,
                "method": self.request.method,
                "status": status,
                "latency_ms": round(latency_ms, 2),
            },
        )
