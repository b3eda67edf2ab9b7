"""Helpers for the service tests: a real ``walmart serve`` subprocess and a small seeded database.

:class:`ServerProcess` starts ``python -m walmart_lib.cli serve`` on a free loopback port with its
own WALMART_HOME and database (under coverage when the test run measures it), waits until it
listens and stops it with SIGTERM. :func:`seed_small` writes a hand-checkable history through
the ORM models.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine

from walmart_lib.config import REPO_ROOT
from walmart_lib.db import Order, OrderLine, Product, Store, bump_data_version, session_scope

__all__ = ["RedisServer", "ServerProcess", "free_port", "python_cmd", "seed_small"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def python_cmd() -> list[str]:
    """The Python command for a subprocess: under ``coverage run`` when this run measures."""
    return _coverage_prefix()


def _coverage_prefix() -> list[str]:
    try:
        import coverage
    except ImportError:
        return [sys.executable]
    if coverage.Coverage.current() is None:
        return [sys.executable]
    return [sys.executable, "-m", "coverage", "run", "--parallel-mode"]


class ServerProcess:
    """One ``walmart serve`` subprocess."""

    def __init__(self, home: Path, db_url: str, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.db_url = db_url
        self.port = free_port()
        self.extra_env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WALMART_", "REDIS_"))}
        env.update(WALMART_HOME=str(self.home), WALMART_DATABASE_URL=self.db_url)
        env.update(self.extra_env)
        return env

    def start(self, timeout_s: float = 90.0) -> ServerProcess:
        for _attempt in range(3):
            try:
                return self._start(timeout_s)
            except RuntimeError as exc:
                # Another program on this machine may take the free port first: pick again.
                if "already in use" not in str(exc):
                    raise
                self.port = free_port()
                self.base = f"http://127.0.0.1:{self.port}"
        raise RuntimeError("no free port after 3 attempts")

    def _start(self, timeout_s: float) -> ServerProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        cmd = [*_coverage_prefix(), "-m", "walmart_lib.cli", "serve", "--port", str(self.port)]
        with (
            open(self.home / "stdout.txt", "wb") as out,
            open(self.home / "stderr.txt", "wb") as err,
        ):
            self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=self.env, stdout=out, stderr=err)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early: {self.stderr()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not listen in {timeout_s} s: {self.stderr()}")

    def stderr(self) -> str:
        path = self.home / "stderr.txt"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return requests.get(self.url(path), **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return requests.post(self.url(path), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 60)
        return requests.delete(self.url(path), **kwargs)

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM and wait; returns the exit code (killed, -9, only if it hangs)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


def seed_small(engine: Engine) -> dict[str, Any]:
    """Two stores, four products, three orders (one line refunded); returns the ids used."""
    with session_scope(engine) as s:
        greer = Store(name="Greer Supercenter", walmart_store_id="5678", city="Greer", state="SC")
        spart = Store(
            name="Spartanburg Supercenter", walmart_store_id="1234", city="Spartanburg", state="SC"
        )
        s.add_all([greer, spart])
        milk = Product(
            us_item_id="10450114",
            name="Great Value Whole Milk, 1 gal",
            name_key="great value whole milk 1 gal",
            brand="Great Value",
            size_value=128.0,
            size_unit="fl oz",
            category="dairy",
        )
        eggs = Product(
            us_item_id="145051970",
            name="Great Value Large White Eggs, 12 ct",
            name_key="great value large white eggs 12 ct",
            brand="Great Value",
            size_value=12.0,
            size_unit="ct",
            category="dairy",
        )
        bananas = Product(
            us_item_id="44390948",
            name="Fresh Bananas, each",
            name_key="fresh bananas each",
            brand=None,
            size_value=None,
            size_unit="each",
            category="produce",
        )
        odd = Product(
            us_item_id=None,
            name="100% Apple Juice <b>Bold</b>",
            name_key="100 apple juice bold",
            brand=None,
            size_value=64.0,
            size_unit="fl oz",
            category="beverages",
        )
        s.add_all([milk, eggs, bananas, odd])
        s.flush()
        o1 = Order(
            id="2000111",
            display_id="2000111",
            order_date=datetime(2025, 3, 4, 10, 0),
            store_id=greer.id,
            order_type="GLASS",
            fulfillment_type="PICKUP",
            status="Delivered",
            subtotal_cents=783,
            tax_cents=16,
            grand_total_cents=799,
            source_format="test",
            has_prices=True,
        )
        o1.lines = [
            OrderLine(
                line_no=1,
                product_id=milk.id,
                name=milk.name,
                quantity=1,
                unit_price_cents=348,
                line_total_cents=348,
                status="charged",
            ),
            OrderLine(
                line_no=2,
                product_id=eggs.id,
                name=eggs.name,
                quantity=1,
                unit_price_cents=435,
                line_total_cents=435,
                status="charged",
            ),
        ]
        o2 = Order(
            id="2000222",
            display_id="2000222",
            order_date=datetime(2025, 4, 15, 18, 30),
            store_id=spart.id,
            order_type="STORE",
            fulfillment_type="IN_STORE",
            status="Purchased",
            subtotal_cents=422,
            tax_cents=8,
            grand_total_cents=430,
            source_format="test",
            has_prices=True,
        )
        o2.lines = [
            OrderLine(
                line_no=1,
                product_id=milk.id,
                name=milk.name,
                quantity=2,
                unit_price_cents=211,
                line_total_cents=422,
                status="charged",
            ),
            OrderLine(
                line_no=2,
                product_id=bananas.id,
                name=bananas.name,
                quantity=6,
                unit_price_cents=25,
                line_total_cents=150,
                status="refunded",
            ),
        ]
        o3 = Order(
            id="2000333",
            display_id="2000333",
            order_date=datetime(2025, 5, 20, 9, 0),
            store_id=greer.id,
            order_type="GLASS",
            fulfillment_type="DELIVERY",
            status="Delivered",
            subtotal_cents=398,
            tax_cents=0,
            grand_total_cents=398,
            source_format="test",
            has_prices=True,
        )
        o3.lines = [
            OrderLine(
                line_no=1,
                product_id=odd.id,
                name=odd.name,
                quantity=1,
                unit_price_cents=398,
                line_total_cents=398,
                status="charged",
            ),
        ]
        s.add_all([o1, o2, o3])
        s.flush()
        ids = {"milk": milk.id, "eggs": eggs.id, "bananas": bananas.id, "odd": odd.id}
    with engine.begin() as conn:
        bump_data_version(conn)
    return ids


class RedisServer:
    """A throwaway ``redis-server`` on a loopback port (no persistence)."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import shutil

        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; `make test` installs it")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
