"""REST routes of a real ``walmart serve`` subprocess (auth off, in-process cache).

The server runs against a temporary SQLite database seeded with a small history whose numbers
are checked by hand below.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from service_helpers import ServerProcess, free_port, seed_small

from walmart_lib.config import REPO_ROOT
from walmart_lib.db import Product, bump_data_version, make_engine, session_scope
from walmart_lib.db.schema import ensure_schema


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Any]]:
    root = tmp_path_factory.mktemp("svc-routes")
    url = f"sqlite:///{root / 'walmart.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    ids = seed_small(engine)
    # The limit is tested in test_service_limits; here it must not get in the way.
    server = ServerProcess(root / "home", url, {"WALMART_RATE_LIMIT": "100000"}).start()
    try:
        yield server, {"ids": ids, "engine": engine}
    finally:
        code = server.stop()
        engine.dispose()
        assert code == 0, server.stderr()


@pytest.fixture
def server(served: tuple[ServerProcess, Any]) -> ServerProcess:
    return served[0]


@pytest.fixture
def ids(served: tuple[ServerProcess, Any]) -> dict[str, int]:
    return dict(served[1]["ids"])


def _error(resp: requests.Response, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    assert set(body) >= {"error", "detail"}
    assert "Traceback" not in resp.text
    if field is not None:
        assert body["field"] == field
    return dict(body)


def test_health(server: ServerProcess) -> None:
    resp = server.get("/api/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "healthy"
    assert body["database"] == "ok"
    assert body["version"] == "0.1.0"
    assert body["uptime_s"] > 0
    assert body["cache"] == "memory" and body["auth"] == "off"


def test_walmart_health_counts(server: ServerProcess) -> None:
    body = server.get("/api/walmart/health").json()
    assert (body["orders"], body["products"], body["stores"], body["order_lines"]) == (3, 4, 2, 5)


def test_security_headers_on_api_and_pages(server: ServerProcess) -> None:
    for path in ("/api/health", "/walmart", "/api/nope"):
        resp = server.get(path)
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    page = server.get("/walmart")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "connect-src 'self' ws: wss:" in page.headers["Content-Security-Policy"]
    assert (
        server.get("/api/health")
        .headers["Content-Security-Policy"]
        .startswith("default-src 'none'")
    )


def test_request_id_echoed_or_made(server: ServerProcess) -> None:
    resp = server.get("/api/health", headers={"X-Request-Id": "test-req-0001"})
    assert resp.headers["X-Request-Id"] == "test-req-0001"
    made = server.get("/api/health", headers={"X-Request-Id": "bad id!"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{16}", made)


def test_product_search(server: ServerProcess, ids: dict[str, int]) -> None:
    body = server.get("/api/walmart/products", params={"q": "GREAT value"}).json()
    names = [p["name"] for p in body["products"]]
    assert names == ["Great Value Large White Eggs, 12 ct", "Great Value Whole Milk, 1 gal"]
    assert body["count"] == 2
    milk = body["products"][1]
    assert milk == {
        "id": ids["milk"],
        "us_item_id": "10450114",
        "name": "Great Value Whole Milk, 1 gal",
        "brand": "Great Value",
        "size_value": 128.0,
        "size_unit": "fl oz",
        "category": "dairy",
    }
    # LIKE wildcards in the query are literal characters.
    assert [p["name"] for p in server.get("/api/walmart/products?q=%25").json()["products"]] == [
        "100% Apple Juice <b>Bold</b>"
    ]
    assert server.get("/api/walmart/products?q=_").json()["count"] == 0
    assert server.get("/api/walmart/products?limit=1").json()["count"] == 1
    assert server.get("/api/walmart/products").json()["count"] == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"), ("q=" + "x" * 201, "q")],
)
def test_product_search_bad_input(server: ServerProcess, query: str, field: str) -> None:
    _error(server.get("/api/walmart/products?" + query), 400, field)


def test_product_detail(server: ServerProcess, ids: dict[str, int]) -> None:
    body = server.get(f"/api/walmart/products/{ids['milk']}").json()
    # Bought twice (1 gal on 4 Mar at $3.48, 2 gal on 15 Apr at $2.11 each).
    assert body["times_bought"] == 2
    assert body["quantity_bought"] == 3.0
    assert body["last_unit_price_cents"] == 211
    assert body["last_bought"].startswith("2025-04-15")
    bananas = server.get(f"/api/walmart/products/{ids['bananas']}").json()
    assert bananas["times_bought"] == 0 and bananas["last_unit_price_cents"] is None  # refunded
    _error(server.get("/api/walmart/products/999999"), 404)
    _error(server.get("/api/walmart/products/abc"), 400, "product_id")
    _error(server.get("/api/walmart/products/0"), 400, "product_id")


def test_orders_list_and_filters(server: ServerProcess) -> None:
    body = server.get("/api/walmart/orders").json()
    assert body["total"] == 3
    assert [o["id"] for o in body["orders"]] == ["2000333", "2000222", "2000111"]
    first = body["orders"][2]
    assert first["store"] == "Greer Supercenter" and first["line_count"] == 2
    assert first["grand_total_cents"] == 799
    ranged = server.get("/api/walmart/orders", params={"from": "2025-04-15", "to": "2025-05-19"})
    assert [o["id"] for o in ranged.json()["orders"]] == ["2000222"]
    # 'to' is inclusive: an order at 09:00 on the last day counts.
    assert server.get("/api/walmart/orders?from=2025-05-20&to=2025-05-20").json()["total"] == 1
    page = server.get("/api/walmart/orders?limit=1&offset=1").json()
    assert page["total"] == 3 and [o["id"] for o in page["orders"]] == ["2000222"]
    _error(server.get("/api/walmart/orders?from=2025-13-01"), 400, "from")
    _error(server.get("/api/walmart/orders?from=2025-05-01&to=2025-04-01"), 400, "from")
    _error(server.get("/api/walmart/orders?offset=-1"), 400, "offset")


def test_order_detail(server: ServerProcess, ids: dict[str, int]) -> None:
    body = server.get("/api/walmart/orders/2000222").json()
    assert body["store"] == "Spartanburg Supercenter" and body["grand_total_cents"] == 430
    assert [(ln["line_no"], ln["product_id"], ln["status"]) for ln in body["lines"]] == [
        (1, ids["milk"], "charged"),
        (2, ids["bananas"], "refunded"),
    ]
    assert body["lines"][0]["line_total_cents"] == 422
    _error(server.get("/api/walmart/orders/nope"), 404)
    _error(server.get("/api/walmart/orders/" + "9" * 41), 400, "order_id")


def test_unknown_route_and_method(server: ServerProcess) -> None:
    _error(server.get("/api/walmart/nothing"), 404)
    resp = server.post("/api/health", json={})
    _error(resp, 405)


def test_cross_origin_post_refused(server: ServerProcess) -> None:
    resp = server.post("/api/walmart/nothing", json={}, headers={"Origin": "https://evil.example"})
    assert _error(resp, 403)["error"] == "bad_origin"
    same = server.post("/api/walmart/nothing", json={}, headers={"Origin": server.base})
    assert same.status_code == 404


def test_cache_never_serves_stale_after_import(
    served: tuple[ServerProcess, Any], server: ServerProcess
) -> None:
    engine = served[1]["engine"]
    before = server.get("/api/walmart/products?q=oat").json()
    assert before["count"] == 0
    assert server.get("/api/walmart/products?q=oat").json()["count"] == 0  # now a cache hit
    with session_scope(engine) as s:
        s.add(
            Product(
                name="Quaker Old Fashioned Oats",
                name_key="quaker old fashioned oats",
                category="pantry",
            )
        )
    # Without a data-version bump the cached answer stands (proves the cache is in use) ...
    assert server.get("/api/walmart/products?q=oat").json()["count"] == 0
    with engine.begin() as conn:
        bump_data_version(conn)
    # ... and with one, the new row shows at once.
    assert server.get("/api/walmart/products?q=oat").json()["count"] == 1
    assert server.get("/api/walmart/health").json()["products"] == 5


def _metric(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name)]


def test_metrics(server: ServerProcess) -> None:
    server.get("/api/walmart/products/abc")  # one 400
    text = server.get("/metrics").text
    assert _metric(text, 'walmart_app_response_time_ms_count{method="GET",route="/api/health"}')
    errors = _metric(
        text, 'walmart_app_errors_total{route="/api/walmart/products/{product_id}",status="400"}'
    )
    assert errors and float(errors[0].split()[-1]) >= 1
    for name in (
        "walmart_orders_processed_total",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "cache_hit_rate_percent",
    ):
        assert _metric(text, name), name
    rate = float(_metric(text, "cache_hit_rate_percent")[0].split()[-1])
    assert 0 < rate < 100


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian prometheus)")
def test_metrics_pass_promtool(server: ServerProcess) -> None:
    text = server.get("/metrics").text
    result = subprocess.run(
        ["promtool", "check", "metrics"], input=text, text=True, capture_output=True
    )
    # The contract fixes the "_ms" names, which promtool's lint flags; any other problem
    # (a parse error, a bad type, a duplicate) fails the test.
    problems = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert sorted(problems) == [
        "nlp_parse_latency_ms metric names should not contain abbreviated units",
        "walmart_app_response_time_ms metric names should not contain abbreviated units",
    ]


_counter = iter(range(1, 10_000))


def _example_url(path: str, op: dict[str, Any], server: ServerProcess) -> str:
    """The path with its x-example values; markers create what the call needs first."""
    made: dict[str, Any] = {}
    for name, value in op.get("x-example", {}).items():
        if value == "@first_order":
            value = server.get("/api/walmart/orders?limit=1").json()["orders"][0]["id"]
        elif value == "@new_list":
            name_ = f"openapi check {next(_counter)}"
            value = made["list"] = server.post("/api/walmart/lists", json={"name": name_}).json()[
                "list_id"
            ]
        elif value == "@new_item":
            item = server.post(f"/api/walmart/lists/{made['list']}/items", json={"text": "x"})
            value = item.json()["item_id"]
        path = path.replace("{" + name + "}", str(value))
    return path


def _example_body(op: dict[str, Any]) -> Any:
    body = op.get("x-example-body")
    if isinstance(body, dict):
        body = {k: f"openapi {next(_counter)}" if v == "@unique" else v for k, v in body.items()}
    return body


def test_access_log_is_json_without_query_strings(server: ServerProcess) -> None:
    server.get("/api/walmart/products", params={"q": "jane.doe@example.com 4111111111111111"})
    lines = (server.home / "logs" / "service.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    access = [e for e in entries if e["logger"] == "walmart.service.access"]
    assert access
    assert {"request_id", "route", "method", "status", "latency_ms"} <= set(access[-1])
    text = "\n".join(lines)
    assert "jane.doe" not in text and "4111111111111111" not in text
    assert any(e["message"] == "cache warmed" for e in entries)


def test_pid_file(server: ServerProcess) -> None:
    assert server.proc is not None
    pid_file = server.home / "run" / f"serve-{server.port}.pid"
    assert pid_file.read_text().strip() == str(server.proc.pid)


def test_starter_app_page(server: ServerProcess) -> None:
    page = server.get("/walmart")
    assert page.status_code == 200
    assert "Walmart Grocery Agent" in page.text  # the title; the body arrives over the websocket


def test_app_frame_escapes(served: tuple[ServerProcess, Any]) -> None:
    from walmart_lib.service.app import create_app, latest_orders_frame

    engine = served[1]["engine"]
    frame = latest_orders_frame(engine)
    assert list(frame["Order"]) == ["2000333", "2000222", "2000111"]
    assert list(frame["Total ($)"]) == ["3.98", "4.30", "7.99"]
    layout = create_app(engine)
    html = layout.objects[3].object.to_html(escape=True)  # type: ignore[attr-defined]
    assert "Greer Supercenter" in html


def test_query_params_are_not_paths(server: ServerProcess) -> None:
    assert Path("/etc/passwd").exists()
    resp = server.get("/api/walmart/orders/..%2F..%2Fetc%2Fpasswd")
    assert resp.status_code == 404 and "root:" not in resp.text


def test_prices_history_and_stats(server: ServerProcess, ids: dict[str, int]) -> None:
    body = server.get(f"/api/walmart/prices/{ids['milk']}").json()
    history = body["history"]
    assert [(h["date"], h["unit_price"], h["quantity"]) for h in history] == [
        ("2025-03-04", 3.48, 1.0),
        ("2025-04-15", 2.11, 2.0),
    ]
    stats = body["stats"]
    assert stats["observations"] == 2
    all_time = stats["windows"]["all"]
    assert all_time["min"] == 2.11 and all_time["max"] == 3.48 and all_time["last"] == 2.11
    assert all_time["mean"] == pytest.approx((3.48 + 2.11) / 2)
    assert stats["trend"] == "down"
    # Refunded lines are not prices paid.
    assert server.get(f"/api/walmart/prices/{ids['bananas']}").json()["history"] == []
    _error(server.get("/api/walmart/prices/999999"), 404)
    _error(server.get("/api/walmart/prices/x"), 400, "product_id")
    _error(server.get(f"/api/walmart/prices/{ids['milk']}?store_id=0"), 400, "store_id")


def test_deals(server: ServerProcess) -> None:
    # No product here has the two earlier purchases a typical price needs.
    assert server.get("/api/walmart/deals").json() == {"count": 0, "deals": []}
    _error(server.get("/api/walmart/deals?store_id=999"), 404)
    _error(server.get("/api/walmart/deals?limit=500"), 400, "limit")


def test_spending(server: ServerProcess) -> None:
    by_month = server.get("/api/walmart/spending?by=month").json()
    # Charged line totals: Mar 3.48 + 4.35, Apr 4.22 (bananas refunded), May 3.98.
    assert [(r["period"], r["spend"]) for r in by_month["rows"]] == [
        ("2025-03-01", 7.83),
        ("2025-04-01", 4.22),
        ("2025-05-01", 3.98),
    ]
    assert by_month["total_spend"] == 16.03
    by_store = server.get("/api/walmart/spending?by=store").json()["rows"]
    assert [(r["store_name"], r["spend"]) for r in by_store] == [
        ("Greer Supercenter", 11.81),
        ("Spartanburg Supercenter", 4.22),
    ]
    by_cat = server.get("/api/walmart/spending?by=category&from=2025-04-01").json()["rows"]
    assert [(r["category"], r["spend"]) for r in by_cat] == [("dairy", 4.22), ("beverages", 3.98)]
    _error(server.get("/api/walmart/spending?by=year"), 400, "by")
    _error(server.get("/api/walmart/spending?from=2025-06-01&to=2025-01-01"), 400, "from")


def test_lists_crud_and_totals(server: ServerProcess, ids: dict[str, int]) -> None:
    created = server.post("/api/walmart/lists", json={"name": "Weekly <shop>"})
    assert created.status_code == 201
    lid = created.json()["list_id"]
    assert created.json()["name"] == "Weekly <shop>"
    _error(server.post("/api/walmart/lists", json={"name": "weekly <SHOP>"}), 400)  # taken
    item = server.post(
        f"/api/walmart/lists/{lid}/items", json={"product_id": ids["milk"], "quantity": 2}
    )
    assert item.status_code == 201
    server.post(f"/api/walmart/lists/{lid}/items", json={"text": "something for dinner"})
    got = server.get(f"/api/walmart/lists/{lid}").json()
    assert got["items"][0]["product_id"] == ids["milk"] and got["items"][0]["quantity"] == 2.0
    assert got["items"][1]["text"] == "something for dinner"
    totals = server.get(f"/api/walmart/lists/{lid}/totals?fulfillment=pickup").json()
    # Latest milk price is $2.11: 2 x 2.11 = 4.22; free text is unpriced.
    assert totals["subtotal"] == 4.22 and totals["unpriced_items"] == 1
    assert totals["delivery_fee"] == 0.0
    assert totals["total"] == pytest.approx(totals["subtotal"] + totals["tax"])
    names = [entry["name"] for entry in server.get("/api/walmart/lists").json()["lists"]]
    assert "Weekly <shop>" in names
    renamed = requests.put(
        server.url(f"/api/walmart/lists/{lid}"), json={"name": "Weekly"}, timeout=30
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Weekly"
    milk_item = got["items"][0]["item_id"]
    changed = requests.put(
        server.url(f"/api/walmart/lists/{lid}/items/{milk_item}"), json={"quantity": 3}, timeout=30
    )
    assert changed.status_code == 200 and changed.json()["quantity"] == 3.0
    totals = server.get(f"/api/walmart/lists/{lid}/totals?fulfillment=pickup").json()
    assert totals["subtotal"] == 6.33  # 3 x 2.11
    bad = requests.put(
        server.url(f"/api/walmart/lists/{lid}/items/{milk_item}"), json={}, timeout=30
    )
    assert bad.status_code == 400 and bad.json()["field"] == "quantity"
    item_id = got["items"][1]["item_id"]
    assert server.delete(f"/api/walmart/lists/{lid}/items/{item_id}").status_code == 200
    assert len(server.get(f"/api/walmart/lists/{lid}").json()["items"]) == 1
    _error(server.delete(f"/api/walmart/lists/{lid}/items/{item_id}"), 404)
    assert server.delete(f"/api/walmart/lists/{lid}").status_code == 200
    _error(server.get(f"/api/walmart/lists/{lid}"), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": 5}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_list_create_bad_input(server: ServerProcess, body: dict[str, Any], field: str) -> None:
    _error(server.post("/api/walmart/lists", json=body), 400, field)


def test_list_item_bad_input(server: ServerProcess) -> None:
    lid = server.post("/api/walmart/lists", json={"name": "bad items"}).json()["list_id"]
    url = f"/api/walmart/lists/{lid}/items"
    _error(server.post(url, json={}), 400, "product_id")
    _error(server.post(url, json={"product_id": "1"}), 400, "product_id")
    _error(server.post(url, json={"text": "milk", "quantity": 0}), 400, "quantity")
    _error(server.post(url, json={"text": "milk", "quantity": True}), 400, "quantity")
    _error(server.post(url, json={"product_id": 999999}), 404)
    _error(
        server.post(url, data="not json", headers={"Content-Type": "application/json"}), 400, "body"
    )
    _error(server.post(url, data="text=milk"), 415, "Content-Type")
    _error(server.post(url, json=["a list"]), 400, "body")
    big = {"text": "x", "pad": "y" * 70_000}
    _error(server.post(url, json=big), 413)
    _error(server.post("/api/walmart/lists/999999/items", json={"text": "x"}), 404)


def test_every_openapi_route_answers(server: ServerProcess) -> None:
    """Last in the module: its import example adds a sample order to the database."""
    doc = server.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {
        "/api/health",
        "/api/walmart/health",
        "/metrics",
        "/api/walmart/products",
        "/api/walmart/orders/{order_id}",
    } <= set(doc["paths"])
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            url = _example_url(path, op, server)
            assert "{" not in url, f"no example for {path}"
            body = _example_body(op)
            files = None
            if "x-example-file" in op:
                sample = REPO_ROOT / op["x-example-file"]
                files = {"file": (sample.name, sample.read_bytes())}
            resp = requests.request(
                method.upper(), server.url(url), json=body, files=files, timeout=60
            )
            assert resp.status_code in {int(code) for code in op["responses"]}, (path, resp.text)
            assert resp.status_code < 400, (method, path, resp.status_code, resp.text)


def test_schemathesis_finds_no_server_error(server: ServerProcess) -> None:
    """Generated good and bad requests for every operation in the OpenAPI document: no 500s."""
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            server.url("/api/openapi.json"),
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "20",
            "--seed",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "passed" in result.stdout


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus (Debian package)")
def test_real_prometheus_scrapes_the_server(server: ServerProcess, tmp_path: Path) -> None:
    """A real Prometheus on loopback scrapes /metrics; its query API sees our series."""
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: walmart\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{server.port}']}}]\n"
    )
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        api = f"http://127.0.0.1:{port}/api/v1/query"
        deadline = time.monotonic() + 60
        found: list[Any] = []
        while time.monotonic() < deadline and not found:
            time.sleep(1)
            try:
                resp = requests.get(
                    api,
                    params={"query": 'walmart_app_response_time_ms_count{route="/api/health"}'},
                    timeout=5,
                )
            except requests.ConnectionError:
                continue
            found = resp.json()["data"]["result"]
        assert found, "Prometheus never stored walmart_app_response_time_ms_count"
        up = requests.get(api, params={"query": 'up{job="walmart"}'}, timeout=5).json()
        assert up["data"]["result"][0]["value"][1] == "1"
    finally:
        proc.terminate()
        proc.wait(30)
