"""Auth on a real server: users and tokens from the CLI, login cookie, CSRF, 401/403, Redis.

One server runs with WALMART_AUTH (a credentials file written by ``walmart user add``) and
REDIS_URL (a redis-server the test starts), so the cache and rate limit live in Redis.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from service_helpers import RedisServer, ServerProcess, python_cmd, seed_small

from walmart_lib.config import REPO_ROOT
from walmart_lib.db import make_engine
from walmart_lib.db.schema import ensure_schema

PASSWORD = "correct horse battery"


def walmart(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WALMART_")}
    full_env.update(env)
    return subprocess.run(
        [*python_cmd(), "-m", "walmart_lib.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=full_env,
        cwd=REPO_ROOT,
        timeout=120,
    )


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("svc-auth")
    auth_file = root / "auth.json"
    env = {"WALMART_AUTH": str(auth_file), "WALMART_HOME": str(root / "home")}
    added = walmart("user", "add", "alice", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    token = walmart("token", "create", env=env)
    assert token.returncode == 0, token.stderr
    url = f"sqlite:///{root / 'walmart.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    seed_small(engine)
    engine.dispose()
    redis_server = RedisServer(root / "redis").start()
    server = ServerProcess(
        root / "home", url, {"WALMART_AUTH": str(auth_file), "REDIS_URL": redis_server.url}
    ).start()
    try:
        yield {
            "server": server,
            "token": token.stdout.strip(),
            "auth_file": auth_file,
            "redis": redis_server,
            "env": env,
        }
    finally:
        code = server.stop()
        redis_server.stop()
        assert code == 0, server.stderr()


@pytest.fixture
def server(setup: dict[str, Any]) -> ServerProcess:
    return setup["server"]  # type: ignore[no-any-return]


def bearer(setup: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {setup['token']}"}


def login(server: ServerProcess, password: str = PASSWORD) -> requests.Session:
    s = requests.Session()
    form = s.get(server.url("/login"), timeout=30)
    assert form.status_code == 200 and "_xsrf" in s.cookies
    resp = s.post(
        server.url("/login"),
        data={
            "username": "alice",
            "password": password,
            "_xsrf": s.cookies["_xsrf"],
            "next": "/api/walmart/health",
        },
        allow_redirects=False,
        timeout=30,
    )
    s.headers["X-Login-Status"] = str(resp.status_code)
    return s


def test_credentials_file_holds_only_hashes(setup: dict[str, Any]) -> None:
    text = setup["auth_file"].read_text()
    assert PASSWORD not in text and setup["token"] not in text
    data = json.loads(text)
    assert set(data["users"]) == {"alice"}
    assert setup["auth_file"].stat().st_mode & 0o777 == 0o600
    assert setup["token"].startswith("wga_")


def test_health_is_open_everything_else_needs_auth(server: ServerProcess) -> None:
    assert server.get("/api/health").status_code == 200
    assert server.get("/api/health").json()["auth"] == "on"
    for path in (
        "/api/walmart/health",
        "/api/walmart/products",
        "/api/openapi.json",
        "/api/walmart/orders/2000111",
        "/api/anything",
    ):
        resp = server.get(path)
        assert resp.status_code == 401, path
        assert resp.json()["error"] == "unauthorized"
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_token(server: ServerProcess, setup: dict[str, Any]) -> None:
    resp = server.get("/api/walmart/health", headers=bearer(setup))
    assert resp.status_code == 200 and resp.json()["orders"] == 3
    bad = server.get("/api/walmart/health", headers={"Authorization": "Bearer wga_x_y"})
    assert bad.status_code == 401
    wrong_scheme = server.get("/api/walmart/health", headers={"Authorization": "Basic abc"})
    assert wrong_scheme.status_code == 401
    tampered = setup["token"][:-2] + ("AA" if not setup["token"].endswith("AA") else "BB")
    assert (
        server.get(
            "/api/walmart/health", headers={"Authorization": f"Bearer {tampered}"}
        ).status_code
        == 401
    )


def test_token_created_while_running_works_at_once(
    server: ServerProcess, setup: dict[str, Any]
) -> None:
    second = walmart("token", "create", "--user", "alice", env=setup["env"])
    assert second.returncode == 0
    headers = {"Authorization": f"Bearer {second.stdout.strip()}"}
    assert server.get("/api/walmart/health", headers=headers).status_code == 200


def test_dashboard_requires_login(server: ServerProcess) -> None:
    resp = server.get("/walmart", allow_redirects=False)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_login_cookie_covers_api_and_pages(server: ServerProcess) -> None:
    s = login(server)
    assert s.headers["X-Login-Status"] == "302"
    assert s.cookies.get("walmart_session")
    assert s.get(server.url("/api/walmart/health"), timeout=30).json()["stores"] == 2
    page = s.get(server.url("/walmart"), allow_redirects=False, timeout=30)
    assert page.status_code == 200
    s.get(server.url("/logout"), timeout=30)
    assert s.get(server.url("/api/walmart/health"), timeout=30).status_code == 401


def test_wrong_password_and_forged_cookie(server: ServerProcess) -> None:
    s = login(server, "not the password")
    assert s.headers["X-Login-Status"] == "401"
    assert "walmart_session" not in s.cookies
    forged = requests.get(
        server.url("/api/walmart/health"), timeout=30, cookies={"walmart_session": "alice"}
    )
    assert forged.status_code == 401


def test_login_post_needs_xsrf(server: ServerProcess) -> None:
    resp = requests.post(
        server.url("/login"),
        data={"username": "alice", "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 403


def test_login_next_cannot_leave_the_site(server: ServerProcess) -> None:
    s = requests.Session()
    s.get(server.url("/login"), timeout=30)
    resp = s.post(
        server.url("/login"),
        allow_redirects=False,
        timeout=30,
        data={
            "username": "alice",
            "password": PASSWORD,
            "_xsrf": s.cookies["_xsrf"],
            "next": "https://evil.example/",
        },
    )
    assert resp.headers["Location"] == "/walmart"


def test_csrf_required_for_cookie_posts_not_for_tokens(
    server: ServerProcess, setup: dict[str, Any]
) -> None:
    s = login(server)
    no_token = s.post(server.url("/api/walmart/nothing"), json={}, timeout=30)
    assert no_token.status_code == 403 and no_token.json()["error"] == "csrf"
    csrf = s.get(server.url("/api/csrf"), timeout=30).json()["csrf_token"]
    with_token = s.post(
        server.url("/api/walmart/nothing"), json={}, timeout=30, headers={"X-XSRFToken": csrf}
    )
    assert with_token.status_code == 404  # past auth and CSRF: the route does not exist
    by_api_token = server.post("/api/walmart/nothing", json={}, headers=bearer(setup))
    assert by_api_token.status_code == 404


def test_metrics_open_to_loopback(server: ServerProcess) -> None:
    assert server.get("/metrics").status_code == 200


def test_cache_and_rate_limit_live_in_redis(server: ServerProcess, setup: dict[str, Any]) -> None:
    client = setup["redis"].client()
    server.get("/api/walmart/products?q=milk", headers=bearer(setup))
    server.get("/api/walmart/products?q=milk", headers=bearer(setup))
    keys = [k.decode() for k in client.keys("walmart:*")]
    assert any(k.startswith("walmart:v1:products:") for k in keys)
    assert any(k.startswith("walmart:rl:127.0.0.1:") for k in keys)
    assert server.get("/api/health").json()["cache"] == "redis"
    assert server.get("/api/health").json()["cache_status"] == "ok"
    cached = json.loads(client.get(next(k for k in keys if ":products:" in k)))
    assert [p["name"] for p in cached["products"]] == ["Great Value Whole Milk, 1 gal"]


def test_redis_outage_degrades_not_fails(server: ServerProcess, setup: dict[str, Any]) -> None:
    """Last in the module: stops Redis, the routes still answer from the database."""
    setup["redis"].stop()
    health = server.get("/api/health").json()
    assert health["status"] == "degraded" and health["failing"] == "cache"
    resp = server.get("/api/walmart/health", headers=bearer(setup))
    assert resp.status_code == 200 and resp.json()["orders"] == 3


def test_cli_errors(tmp_path: Path) -> None:
    env = {"WALMART_HOME": str(tmp_path / "home")}
    assert walmart("user", "add", "bob", "--password-stdin", env=env, stdin="x" * 9).returncode == 2
    env["WALMART_AUTH"] = str(tmp_path / "a.json")
    short = walmart("user", "add", "bob", "--password-stdin", env=env, stdin="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    bad_name = walmart("user", "add", "bob smith", "--password-stdin", env=env, stdin="x" * 9)
    assert bad_name.returncode == 2
    assert walmart("token", "create", env=env).returncode == 2  # no users yet
    assert walmart("token", "create", "--user", "nobody", env=env).returncode == 2
