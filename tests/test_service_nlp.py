"""NLP routes on a real server with the bundled sample: health, parse, linked products, limits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from service_helpers import ServerProcess

from walmart_lib.config import REPO_ROOT

pytest.importorskip("walmart_lib.nlp.parser")

from walmart_lib.nlp.training import MODEL_DIR


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("svc-nlp")
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
    srv = ServerProcess(root / "home", url).start()
    yield srv
    assert srv.stop() == 0, srv.stderr()


def process(server: ServerProcess, body: object) -> tuple[int, dict[str, object]]:
    resp = server.post("/api/nlp/process", json=body)
    return resp.status_code, resp.json()


def test_nlp_health_reports_the_model_loading(server: ServerProcess) -> None:
    body = server.get("/api/nlp/health").json()
    assert body["model"] == "all-MiniLM-L6-v2" and body["intents"] == 17
    deadline = time.monotonic() + 180
    while not body["loaded"] and time.monotonic() < deadline:
        time.sleep(0.5)
        body = server.get("/api/nlp/health").json()
    assert body["loaded"] is True
    saved = json.loads((MODEL_DIR / "head.json").read_text())["val_in_scope_accuracy"]
    assert body["accuracy_percent"] == round(saved * 100, 2)  # as shown, no float noise


def test_parse_with_linked_products(server: ServerProcess) -> None:
    status, body = process(server, {"text": "add 2 gallons of great value milk to my list"})
    assert status == 200
    assert body["intent"] == "list_add"
    assert 0.0 <= float(body["confidence"]) <= 1.0  # type: ignore[arg-type]
    entities = body["entities"]
    assert isinstance(entities, dict)
    assert entities["quantity"] == 2 and "milk" in entities["product"]
    linked = body["linked_products"]
    assert isinstance(linked, list) and linked
    assert "Milk" in linked[0]["name"] and linked[0]["name"].startswith("Great Value")


def test_parse_resolves_dates_against_today(server: ServerProcess) -> None:
    status, body = process(
        server, {"text": "how much did I spend last month", "today": "2025-09-10"}
    )
    assert status == 200 and body["intent"] == "spending"
    entities = body["entities"]
    assert isinstance(entities, dict)
    assert (entities["date_from"], entities["date_to"]) == ("2025-08-01", "2025-08-31")
    assert body["linked_products"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": ""}, "text"),
        ({"text": 42}, "text"),
        ({"text": "x" * 1001}, "text"),
        ({"text": "milk", "today": "yesterday"}, "today"),
        ({"text": "milk", "today": 20250910}, "today"),
    ],
)
def test_parse_bad_input(server: ServerProcess, body: dict[str, object], field: str) -> None:
    status, answer = process(server, body)
    assert status == 400 and answer["field"] == field


def test_parse_exactly_1000_chars_is_fine(server: ServerProcess) -> None:
    status, body = process(server, {"text": ("milk " * 200)[:1000]})
    assert (
        status == 200
        and body["intent"] in json.loads((MODEL_DIR / "head.json").read_text())["labels"]
    )


def test_nlp_metrics(server: ServerProcess) -> None:
    text = server.get("/metrics").text
    count = [ln for ln in text.splitlines() if ln.startswith("nlp_parse_latency_ms_count")]
    assert count and float(count[0].split()[-1]) >= 3
    accuracy = [ln for ln in text.splitlines() if ln.startswith("nlp_service_accuracy_percent")]
    saved = json.loads((MODEL_DIR / "head.json").read_text())["val_in_scope_accuracy"]
    assert float(accuracy[0].split()[-1]) == pytest.approx(saved * 100)


def test_worker_functions_in_process(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The worker's functions, called here directly (the server runs them in a subprocess)."""
    from walmart_lib.service import nlp_worker

    root = tmp_path_factory.mktemp("nlp-worker")
    url = f"sqlite:///{root / 'w.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALMART_")}
    env.update(WALMART_DATABASE_URL=url, WALMART_HOME=str(root / "home"))
    subprocess.run(
        [sys.executable, "-m", "walmart_lib.cli", "sample", "-q"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    nlp_worker._STATE.clear()
    assert nlp_worker.worker_ready() is False
    nlp_worker.init_worker(url, 5.0)
    assert nlp_worker.worker_ready() is True
    first, second = nlp_worker.parse_texts(
        ["add 2 gallons of great value milk to my list", "add milk to my list"], None
    )
    assert first["intent"] == "list_add" and first["_latency_ms"] > 0
    assert "Milk" in first["linked_products"][0]["name"]
    # The second phrase is "milk": its links are computed once, then cached per data version.
    assert nlp_worker._links("milk", 0) is nlp_worker._links("milk", 0)
    found = nlp_worker.semantic_search("gv milk", 2)
    assert len(found) == 2 and found[0]["name"].startswith("Great Value")
    nlp_worker._STATE.clear()
