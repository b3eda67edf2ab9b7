"""Limits on a real server: rate limit (429 + Retry-After), query timeout (503) on SQLite and
PostgreSQL, and a database that goes away (503 naming the component).

The slow query is real: a product search with a LIKE over 400,000 products, against a
WALMART_QUERY_TIMEOUT_S of 20 ms (SQLite progress handler; PostgreSQL statement_timeout).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PG_BIN, PostgresServer
from service_helpers import ServerProcess
from sqlalchemy import Engine, text

from walmart_lib.db import make_engine
from walmart_lib.db.schema import ensure_schema

BIG = 400_000


def _fill(engine: Engine) -> None:
    """BIG products named "Synthetic product N family size" (inserted by the database itself)."""
    ensure_schema(engine)
    if engine.dialect.name == "sqlite":
        sql = (
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :big) "
            "INSERT INTO products (name, name_key, category) "
            "SELECT 'Synthetic product ' || i || ' family size', 'k' || i, 'other' FROM n"
        )
    else:
        sql = (
            "INSERT INTO products (name, name_key, category) "
            "SELECT 'Synthetic product ' || i || ' family size', 'k' || i, 'other' "
            "FROM generate_series(1, :big) AS i"
        )
    with engine.begin() as conn:
        conn.execute(text(sql), {"big": BIG})


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("svc-limits")
    url = f"sqlite:///{root / 'big.db'}"
    engine = make_engine(url)
    _fill(engine)
    engine.dispose()
    env = {"WALMART_RATE_LIMIT": "8", "WALMART_QUERY_TIMEOUT_S": "0.02"}
    server = ServerProcess(root / "home", url, env).start()
    yield server
    assert server.stop() == 0, server.stderr()


def test_slow_query_times_out_with_503(sqlite_server: ServerProcess) -> None:
    resp = sqlite_server.get("/api/walmart/products", params={"q": "no such thing"})
    assert resp.status_code == 503, resp.text
    body = resp.json()
    assert body["error"] == "query_timeout"
    assert "longer than 0.02 s" in body["detail"]
    # The server is fine afterwards: quick queries still answer.
    assert sqlite_server.get("/api/walmart/products/1").json()["name"] == (
        "Synthetic product 1 family size"
    )


def test_rate_limit_429_with_retry_after(sqlite_server: ServerProcess) -> None:
    first = sqlite_server.get("/api/health")
    assert first.status_code == 200
    assert first.headers["X-RateLimit-Limit"] == "8"
    remaining = int(first.headers["X-RateLimit-Remaining"])
    for _ in range(remaining):
        assert sqlite_server.get("/api/health").status_code == 200
    limited = sqlite_server.get("/api/health")
    assert limited.status_code == 429
    assert limited.json()["error"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    # /metrics is outside /api and not limited; its counters saw the 429.
    metrics = sqlite_server.get("/metrics").text
    assert 'walmart_app_errors_total{route="/api/health",status="429"} 1.0' in metrics


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    if not (PG_BIN / "initdb").exists():
        pytest.fail("PostgreSQL is not installed; `make test` installs it")
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass  # the outage test stopped it already (its folder is removed either way)


def test_postgres_timeout_then_outage(pg: PostgresServer, tmp_path: Path) -> None:
    url = pg.create_database("svc_limits")
    engine = make_engine(url)
    _fill(engine)
    engine.dispose()
    server = ServerProcess(tmp_path / "home", url, {"WALMART_QUERY_TIMEOUT_S": "0.02"}).start()
    try:
        assert server.get("/api/health").json()["database"] == "ok"
        slow = server.get("/api/walmart/products", params={"q": "no such thing"})
        assert slow.status_code == 503 and slow.json()["error"] == "query_timeout"
        pg._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(pg.dir / "data"),
            "-m",
            "immediate",
            "-w",
            "stop",
        )
        down = server.get("/api/health")
        assert down.status_code == 503
        assert down.json()["status"] == "unhealthy" and down.json()["failing"] == "database"
        counts = server.get("/api/walmart/health")
        assert counts.status_code == 503 and counts.json()["error"] == "database"
    finally:
        assert server.stop() == 0, server.stderr()
