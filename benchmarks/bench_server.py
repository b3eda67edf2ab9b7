"""HTTP throughput and latency of ``walmart serve`` under concurrent clients, on loopback only.

Starts its own server (subprocess) on a free 127.0.0.1 port against a temporary SQLite database
with the bundled sample loaded and the rate limit raised, then runs ``--clients`` concurrent
keep-alive clients (default 50) for ``--duration`` seconds (default 30) over a mix of
``/api/walmart/*`` GET routes and, when the server has it, ``POST /api/nlp/process``
(``--nlp-share`` of the requests, default 10%, over 120 distinct texts). The client
is a minimal asyncio HTTP/1.1 client so the measuring process stays light next to the server on
a small machine. Both the request loop (duration and a hard cap on requests) and the targets
(loopback only) are bounded. Prints a final JSON line::

    {"requests": ..., "rps": ..., "p50_ms": ..., "p95_ms": ..., "errors": ...}

Run: ``.venv/bin/python benchmarks/bench_server.py`` (about 45 s). ``--url`` benches a server
that is already running (it must be on a loopback address).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_CLIENTS = 200
MAX_DURATION_S = 300.0
MAX_REQUESTS = 2_000_000
#: Templates x products give 120 distinct texts, so parses are not repeats of a handful.
NLP_TEMPLATES = [
    "add {n} {p} to my list",
    "how much is {p}",
    "what is the cheapest store for {p}",
    "show me the price history of {p}",
    "any deals on {p}",
    "remove {p} from my list",
]
NLP_PRODUCTS = [
    "milk",
    "eggs",
    "bread",
    "bananas",
    "cheese",
    "chicken breast",
    "rice",
    "coffee",
    "great value butter",
    "marketside salad",
    "apples",
    "yogurt",
    "orange juice",
    "cereal",
    "paper towels",
    "ground beef",
    "tortillas",
    "peanut butter",
    "pasta",
    "frozen pizza",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _check_loopback(host: str) -> None:
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing to load-test {host}: loopback addresses only")


def _get_json(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=30) as resp:
        return json.loads(resp.read())


def start_server(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WALMART_", "REDIS_"))}
    env.update(
        WALMART_HOME=str(workdir / "home"),
        WALMART_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        WALMART_RATE_LIMIT=str(10**9),
    )
    subprocess.run(
        [sys.executable, "-m", "walmart_lib.cli", "sample", "-q"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "walmart_lib.cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            _get_json(base, "/api/health")
            return proc, base
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("server did not start")


def _server_cpu_s(base: str) -> float | None:
    """The server's process_cpu_seconds_total (from /metrics), to report CPU per request."""
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=30) as resp:
            text = resp.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("process_cpu_seconds_total "):
            return float(line.split()[1])
    return None


def build_mix(base: str) -> list[tuple[str, str, bytes | None]]:
    """(method, path, json body) requests drawn at random by the clients."""
    products = _get_json(base, "/api/walmart/products?limit=100")["products"]
    orders = _get_json(base, "/api/walmart/orders?limit=100")["orders"]
    paths = set(_get_json(base, "/api/openapi.json")["paths"])
    words = ["milk", "eggs", "bread", "cheese", "banana", "chicken", "great value", "rice"]
    mix: list[tuple[str, str, bytes | None]] = [("GET", "/api/walmart/health", None)]
    mix += [("GET", f"/api/walmart/products?q={w.replace(' ', '+')}", None) for w in words]
    mix += [("GET", f"/api/walmart/products/{p['id']}", None) for p in products[:20]]
    mix += [("GET", f"/api/walmart/orders/{o['id']}", None) for o in orders[:10]]
    mix += [("GET", "/api/walmart/orders?from=2025-04-01&to=2025-06-30", None)]
    if "/api/walmart/prices/{product_id}" in paths:
        mix += [("GET", f"/api/walmart/prices/{p['id']}", None) for p in products[:20]]
    if "/api/walmart/spending" in paths:
        mix += [
            ("GET", f"/api/walmart/spending?by={by}", None) for by in ("month", "category", "store")
        ]
    if "/api/walmart/deals" in paths:
        mix += [("GET", "/api/walmart/deals", None)]
    return mix


def build_nlp_mix(base: str) -> list[tuple[str, str, bytes | None]]:
    """The parse requests (empty when the server has no NLP routes)."""
    if "/api/nlp/process" not in _get_json(base, "/api/openapi.json")["paths"]:
        return []
    texts = [
        t.format(n=i % 4 + 1, p=p)
        for i, (t, p) in enumerate((t, p) for t in NLP_TEMPLATES for p in NLP_PRODUCTS)
    ]
    return [("POST", "/api/nlp/process", json.dumps({"text": t}).encode()) for t in texts]


async def _request(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    method: str,
    path: str,
    body: bytes | None,
) -> int:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    writer.write(head.encode() + b"\r\n" + (body or b""))
    await writer.drain()
    status_line = await reader.readline()
    status = int(status_line.split()[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


async def _client(
    host: str,
    port: int,
    mix: list[tuple[str, str, bytes | None]],
    stop_at: float,
    budget: list[int],
    latencies: list[float],
    errors: list[int],
    seed: int,
    nlp_mix: list[tuple[str, str, bytes | None]] | None = None,
    nlp_share: float = 0.0,
    nlp_latencies: list[float] | None = None,
) -> None:
    rng = random.Random(seed)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            pool = nlp_mix if nlp_mix and rng.random() < nlp_share else mix
            method, path, body = rng.choice(pool)
            t0 = time.perf_counter()
            try:
                status = await _request(reader, writer, f"{host}:{port}", method, path, body)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                errors[0] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            elapsed_ms = (time.perf_counter() - t0) * 1000.0
            latencies.append(elapsed_ms)
            if method == "POST" and nlp_latencies is not None:
                nlp_latencies.append(elapsed_ms)
            if status >= 400:
                errors[0] += 1
    finally:
        writer.close()


async def run_load(
    base: str, clients: int, duration_s: float, nlp_share: float = 0.1
) -> dict[str, Any]:
    parsed = urlparse(base)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    _check_loopback(host)
    mix = build_mix(base)
    nlp_mix = build_nlp_mix(base)
    # Parse once so the first clients do not all wait on the model's first run.
    if nlp_mix:
        req = urllib.request.Request(
            base + nlp_mix[0][1], data=nlp_mix[0][2], headers={"Content-Type": "application/json"}
        )
        deadline = time.monotonic() + 120
        while not _get_json(base, "/api/nlp/health")["loaded"] and time.monotonic() < deadline:
            time.sleep(0.5)
        urllib.request.urlopen(req, timeout=120).read()
    cpu_before = _server_cpu_s(base)
    latencies: list[float] = []
    nlp_latencies: list[float] = []
    errors = [0]
    budget = [MAX_REQUESTS]
    t0 = time.monotonic()
    stop_at = t0 + duration_s
    await asyncio.gather(
        *(
            _client(
                host,
                port,
                mix,
                stop_at,
                budget,
                latencies,
                errors,
                seed=i,
                nlp_mix=nlp_mix,
                nlp_share=nlp_share,
                nlp_latencies=nlp_latencies,
            )
            for i in range(clients)
        )
    )
    elapsed = time.monotonic() - t0
    cpu_after = _server_cpu_s(base)
    latencies.sort()
    nlp_latencies.sort()
    cpu_ms = None
    if cpu_before is not None and cpu_after is not None and latencies:
        cpu_ms = round((cpu_after - cpu_before) * 1000.0 / len(latencies), 3)

    def pct(p: float, values: list[float] = latencies) -> float | None:
        if not values:
            return None
        return round(values[min(len(values) - 1, int(p * len(values)))], 2)

    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "errors": errors[0],
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "server_cpu_ms_per_request": cpu_ms,
        "distinct_requests": len(mix) + len(nlp_mix),
        "nlp_share": nlp_share if nlp_mix else 0.0,
        "nlp_requests": len(nlp_latencies),
        "nlp_p95_ms": pct(0.95, nlp_latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument(
        "--nlp-share",
        type=float,
        default=0.1,
        help="fraction of requests that are POST /api/nlp/process",
    )
    parser.add_argument("--url", default=None, help="bench a running loopback server instead")
    args = parser.parse_args()
    clients = max(1, min(args.clients, MAX_CLIENTS))
    duration = max(1.0, min(args.duration, MAX_DURATION_S))
    proc = None
    with tempfile.TemporaryDirectory(prefix="walmart-bench-") as tmp:
        if args.url:
            base = args.url.rstrip("/")
        else:
            proc, base = start_server(Path(tmp))
        try:
            share = max(0.0, min(args.nlp_share, 1.0))
            result = asyncio.run(run_load(base, clients, duration, share))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(60)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
