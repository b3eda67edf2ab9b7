"""Security headers for every response, Panel pages and static files included.

Panel/Bokeh pages need inline scripts and styles, ``eval`` for some models and a websocket back
to the same host, so their Content-Security-Policy allows exactly that and nothing from other
origins; JSON routes get a policy that allows nothing. :class:`SecurityHeadersTransform` is a
Tornado output transform, so it also covers handlers we do not own (Bokeh's, Panel's).
"""

from __future__ import annotations

from typing import Any

from tornado.httputil import HTTPHeaders, HTTPServerRequest
from tornado.web import OutputTransform, RequestHandler

__all__ = ["API_CSP", "PAGE_CSP", "SECURITY_HEADERS", "SecurityHeadersTransform"]

PAGE_CSP = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "font-src 'self' data:; "
    "connect-src 'self' ws: wss:; "
    "worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def apply_security_headers(handler: RequestHandler, csp: str) -> None:
    for name, value in SECURITY_HEADERS.items():
        handler.set_header(name, value)
    handler.set_header("Content-Security-Policy", csp)


class SecurityHeadersTransform(OutputTransform):
    """Adds the headers to any response that does not set them itself."""

    def __init__(self, request: HTTPServerRequest) -> None:
        super().__init__(request)

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value
        if "Content-Security-Policy" not in headers:
            headers["Content-Security-Policy"] = PAGE_CSP
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        return chunk


def transforms() -> list[Any]:
    """The output transforms for the Tornado application."""
    return [SecurityHeadersTransform]
