"""The server on the bundled sample (loaded with ``walmart sample``): counts, deals, imports
over HTTP (report, cache invalidation, metrics, limits, hostile names) and a graceful stop
with a request in flight.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_helpers import ServerProcess

from walmart_lib.config import REPO_ROOT, SAMPLE_DIR
from walmart_lib.db import make_engine

MAX_IMPORT = 200_000


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("svc-sample")
    url = f"sqlite:///{root / 'walmart.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALMART_")}
    env.update(WALMART_DATABASE_URL=url, WALMART_HOME=str(root / "home"))
    loaded = subprocess.run(
        [sys.executable, "-m", "walmart_lib.cli", "sample", "-q"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    server = ServerProcess(
        root / "home",
        url,
        {"WALMART_MAX_IMPORT_BYTES": str(MAX_IMPORT), "WALMART_RATE_LIMIT": "100000"},
    ).start()
    try:
        yield {"server": server, "url": url, "root": root}
    finally:
        server.stop()


@pytest.fixture
def server(served: dict[str, Any]) -> ServerProcess:
    return served["server"]  # type: ignore[no-any-return]


def test_sample_counts(server: ServerProcess) -> None:
    body = server.get("/api/walmart/health").json()
    assert (body["orders"], body["products"], body["stores"]) == (25, 161, 6)
    assert body["last_import"]["status"] == "imported"


def test_deals_match_the_library(server: ServerProcess, served: dict[str, Any]) -> None:
    from walmart_lib import pricing

    engine = make_engine(served["url"])
    expected = pricing.deals(engine).head(50)
    engine.dispose()
    body = server.get("/api/walmart/deals").json()
    assert body["count"] == expected.height
    assert [d["product_id"] for d in body["deals"]] == expected.get_column("product_id").to_list()


def test_sample_stores_in_spending(server: ServerProcess) -> None:
    rows = server.get("/api/walmart/spending?by=store").json()["rows"]
    cities = " ".join(r["store_name"] for r in rows)
    for city in ("Spartanburg", "Greenville", "Greer", "Simpsonville", "Anderson"):
        assert city in cities


def test_semantic_product_search(server: ServerProcess) -> None:
    pytest.importorskip("walmart_lib.nlp.search")
    body = server.get(
        "/api/walmart/products", params={"q": "gv milk", "mode": "semantic", "limit": 3}
    ).json()
    assert body["mode"] == "semantic" and body["count"] == 3
    top = body["products"][0]
    # "gv" is the Great Value abbreviation; the sample has one Great Value milk.
    assert top["name"].startswith("Great Value") and "Milk" in top["name"]
    scores = [p["score"] for p in body["products"]]
    assert scores == sorted(scores, reverse=True)
    by_name = server.get("/api/walmart/products", params={"q": "gv milk"}).json()
    assert by_name["count"] == 0  # the substring search knows no abbreviations
    bad = server.get("/api/walmart/products", params={"mode": "semantic"})
    assert bad.status_code == 400 and bad.json()["field"] == "q"
    assert server.get("/api/walmart/products?mode=magic").json()["field"] == "mode"


def _generated(tmp_path: Path, orders: int) -> Path:
    from walmart_lib.ingest.generate import write_dataset

    out = write_dataset(tmp_path / "gen.jsonl", orders=orders, seed=7)
    return Path(out.path)


def test_import_upload(server: ServerProcess, tmp_path: Path) -> None:
    path = _generated(tmp_path, 3)
    before = server.get("/api/walmart/health").json()["orders"]
    resp = server.post(
        "/api/walmart/import", files={"file": ("my orders.jsonl", path.read_bytes())}
    )
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["ok"] is True
    entry = report["files"][0]
    assert entry["file"] == "my orders.jsonl" and entry["status"] == "imported"
    assert entry["orders_added"] == 3
    # The import bumped the data version: no stale count from the cache.
    after = server.get("/api/walmart/health")
    assert after.json().get("orders") == before + 3, after.text
    metrics = server.get("/metrics").text
    assert "walmart_orders_processed_total 3.0" in metrics
    again = server.post("/api/walmart/import", files={"file": ("again.jsonl", path.read_bytes())})
    assert again.status_code == 200 and again.json()["files"][0]["orders_added"] == 0


def test_import_rejects_with_reason_and_hostile_name(server: ServerProcess, tmp_path: Path) -> None:
    target = REPO_ROOT / "evil-upload.txt"
    resp = server.post(
        "/api/walmart/import",
        files={"file": ("../../evil-upload.txt", b"this is not an export\n")},
    )
    assert resp.status_code == 422
    entry = resp.json()["files"][0]
    assert entry["status"] == "rejected" and entry["file"] == "evil-upload.txt"
    assert "evil-upload.txt" in entry["error"] and "upload-0" not in entry["error"]
    assert not target.exists() and not (REPO_ROOT.parent / "evil-upload.txt").exists()
    assert not list(Path("/tmp").glob("evil-upload*"))


def test_import_limits(server: ServerProcess) -> None:
    big = server.post("/api/walmart/import", files={"file": ("big.json", b"x" * (MAX_IMPORT + 1))})
    assert big.status_code == 413 and big.json()["error"] == "too_large"
    huge = server.post(
        "/api/walmart/import", files={"file": ("huge.json", b"x" * (MAX_IMPORT + 70 * 1024))}
    )
    assert huge.status_code == 413
    not_multipart = server.post("/api/walmart/import", json={"file": "x"})
    assert not_multipart.status_code == 415
    empty = server.post("/api/walmart/import", files={"other": (None, "text only")})
    assert empty.status_code == 400 and empty.json()["field"] == "file"


def test_sigterm_lets_a_running_request_finish(server: ServerProcess) -> None:
    """Last in the module: stops the server while an upload is half sent."""
    sample = sorted(SAMPLE_DIR.glob("*.json"))[0].read_bytes()
    boundary = "walmartboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="s.json"\r\n'
            f"Content-Type: application/json\r\n\r\n"
        ).encode()
        + sample
        + f"\r\n--{boundary}--\r\n".encode()
    )
    head = (
        f"POST /api/walmart/import HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(head + body[:100])
        time.sleep(1.0)  # the handler has started (prepare ran on the headers)
        assert server.proc is not None
        server.proc.terminate()
        time.sleep(0.5)
        # New connections are refused while the running request goes on.
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
        sock.sendall(body[100:])
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200"), response[:300]
    assert b'"ok":true' in response
    assert server.proc.wait(60) == 0
