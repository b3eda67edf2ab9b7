"""Route-layer behaviour that a loopback client of the real server cannot reach, in process:
a 500 (no stack trace or secret in the body, the error logged redacted), ``/metrics`` for a
non-loopback client and with ``WALMART_METRICS_ACCESS=token``.

Tornado's own test server runs the real handlers with a real :class:`ServiceContext`; the
HTTP server trusts ``X-Real-Ip`` here (``xheaders``) to play a remote client.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from tornado.httpserver import HTTPServer
from tornado.testing import AsyncHTTPTestCase
from tornado.web import Application

from walmart_lib.config import get_settings
from walmart_lib.service.auth import CredentialStore
from walmart_lib.service.base import ApiHandler
from walmart_lib.service.context import ServiceContext, build_context
from walmart_lib.service.logs import configure_logging, stop_logging
from walmart_lib.service.routes import build_routes


class _Boom(ApiHandler):
    route = "/api/boom"

    async def get(self) -> None:
        raise RuntimeError("card 4111 1111 1111 1111 leaked")


class _Base(AsyncHTTPTestCase):
    settings_changes: dict[str, Any] = {}

    def setUp(self) -> None:
        settings = dataclasses.replace(get_settings(), **self.settings_changes)
        self.ctx: ServiceContext = build_context(settings)
        self.log_path = configure_logging(settings.log_dir)
        super().setUp()

    def tearDown(self) -> None:
        super().tearDown()
        stop_logging()
        self.ctx.executor.shutdown(wait=True)

    def get_app(self) -> Application:
        routes: list[Any] = [(r"/api/boom", _Boom, {"ctx": self.ctx}), *build_routes(self.ctx)]
        return Application(routes, cookie_secret=self.ctx.cookie_secret)

    def get_http_server(self) -> HTTPServer:
        return HTTPServer(self._app, xheaders=True, **self.get_httpserver_options())


@pytest.fixture(autouse=True)
def _tmp(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if request.instance is not None:
        request.instance.tmp_path = tmp_path


class TestErrors(_Base):
    def test_500_hides_the_exception_and_logs_it_redacted(self) -> None:
        resp = self.fetch("/api/boom")
        assert resp.code == 500
        body = json.loads(resp.body)
        assert body["error"] == "internal_error"
        assert "request id" in body["detail"] and resp.headers["X-Request-Id"] in body["detail"]
        assert b"4111" not in resp.body and b"Traceback" not in resp.body
        stop_logging()
        entries = [json.loads(line) for line in self.log_path.read_text().splitlines()]
        errors = [e for e in entries if e.get("message") == "unhandled error"]
        assert errors and errors[0]["route"] == "/api/boom"
        assert "RuntimeError" in errors[0]["exception"] and "4111" not in self.log_path.read_text()

    def test_metrics_refused_to_remote_clients_without_auth(self) -> None:
        assert self.fetch("/metrics").code == 200
        remote = self.fetch("/metrics", headers={"X-Real-Ip": "192.0.2.7"})
        assert remote.code == 403 and json.loads(remote.body)["error"] == "forbidden"


class TestMetricsTokenMode(_Base):
    def setUp(self) -> None:
        auth = Path(self.tmp_path) / "auth.json"
        store = CredentialStore(auth)
        store.add_user("alice", "a long password")
        self.token = store.create_token("alice")
        self.settings_changes = {"auth_file": auth, "metrics_access": "token"}
        super().setUp()

    def test_metrics_need_a_token_even_on_loopback(self) -> None:
        assert self.fetch("/metrics").code == 401
        ok = self.fetch("/metrics", headers={"Authorization": f"Bearer {self.token}"})
        assert ok.code == 200 and b"walmart_app_response_time_ms" in ok.body

    def test_remote_client_with_token(self) -> None:
        headers = {"X-Real-Ip": "192.0.2.7", "Authorization": f"Bearer {self.token}"}
        assert self.fetch("/metrics", headers=headers).code == 200
        assert self.fetch("/metrics", headers={"X-Real-Ip": "192.0.2.7"}).code == 401


class TestLoginRateLimit(AsyncHTTPTestCase):
    def get_app(self) -> Application:
        from walmart_lib.service.auth import WalmartAuthProvider
        from walmart_lib.service.ratelimit import MemoryRateLimiter

        store = CredentialStore(Path(self.tmp_path) / "auth.json")
        store.add_user("alice", "a long password")
        provider = WalmartAuthProvider(store, MemoryRateLimiter(2))
        return Application(provider.endpoints, cookie_secret="x" * 32)

    def test_password_guesses_are_limited(self) -> None:
        form = self.fetch("/login")
        cookie = form.headers["Set-Cookie"].split(";")[0]
        xsrf = cookie.split("=", 1)[1]
        codes = []
        for _ in range(3):
            resp = self.fetch(
                "/login",
                method="POST",
                headers={"Cookie": cookie},
                body=f"username=alice&password=wrong-guess&_xsrf={xsrf}",
                follow_redirects=False,
            )
            codes.append(resp.code)
        assert codes == [401, 401, 429]
        assert 1 <= int(resp.headers["Retry-After"]) <= 60
        assert b"Too many attempts" in resp.body
