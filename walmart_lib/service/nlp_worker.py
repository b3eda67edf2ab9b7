"""The NLP model in its own process, so parsing never competes with the loop for the GIL.

Torch releases the GIL around every operator and must take it back after each one; with the
Tornado loop busy on another thread each re-take waits for a switch interval, and a parse that
takes 1.4 ms per text alone took ~10 ms inside the server (measured under the benchmark). So
the server runs the parser in one worker process (:class:`NlpWorker`, a ``spawn``
``ProcessPoolExecutor`` of one) with one torch thread; the functions below run there. The
worker opens its own engine on the same database (stores, query log, product links) and keeps
product links cached per phrase and data version.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from typing import Any

__all__ = ["NlpWorker", "init_worker", "parse_texts", "semantic_search", "worker_ready"]

MAX_LINKED = 5
_LINK_CACHE_SIZE = 4096

_STATE: dict[str, Any] = {}


def init_worker(database_url: str, query_timeout_s: float | None) -> None:
    """Load the parser and embed the catalogue (runs once in the worker process)."""
    import torch

    from walmart_lib.db.engine import get_engine
    from walmart_lib.nlp.parser import load_parser
    from walmart_lib.nlp.search import get_product_index

    # One intra-op thread: two OpenMP threads on a busy 2-core machine made each encode 25x
    # slower (196 ms vs 7.7 ms measured) by waiting on each other.
    torch.set_num_threads(1)
    engine = get_engine(database_url, query_timeout_s=query_timeout_s)
    _STATE["engine"] = engine
    _STATE["parser"] = load_parser(engine)
    _STATE["links"] = OrderedDict()
    get_product_index(engine).refresh()


def worker_ready() -> bool:
    """True once :func:`init_worker` has finished (a round trip proves the worker is up)."""
    return "parser" in _STATE


def _links(phrase: str, version: int) -> list[dict[str, Any]]:
    from walmart_lib.nlp.search import link_products

    cache: OrderedDict[tuple[int, str], list[dict[str, Any]]] = _STATE["links"]
    key = (version, phrase.casefold())
    found = cache.get(key)
    if found is None:
        found = [c.as_dict() for c in link_products(phrase, _STATE["engine"], MAX_LINKED)]
        cache[key] = found
        while len(cache) > _LINK_CACHE_SIZE:
            cache.popitem(last=False)
    return found


def parse_texts(texts: list[str], today: date | None) -> list[dict[str, Any]]:
    """Parse a batch (one encoder pass) and link each ``product`` entity to the catalogue."""
    import time

    from walmart_lib.db.state import data_version

    t0 = time.perf_counter()
    parses = _STATE["parser"].parse_batch(texts, today=today)
    per_item_ms = (time.perf_counter() - t0) * 1000.0 / max(len(texts), 1)
    version = data_version(_STATE["engine"])
    out = []
    for parsed in parses:
        item = parsed.as_dict()
        phrase = parsed.entities.get("product")
        item["linked_products"] = _links(phrase, version) if isinstance(phrase, str) else []
        item["_latency_ms"] = per_item_ms
        out.append(item)
    return out


def semantic_search(q: str, limit: int) -> list[dict[str, Any]]:
    """Products ranked by meaning and spelling (``walmart_lib.nlp.search``)."""
    from walmart_lib.nlp.search import search_products

    return [c.as_dict() for c in search_products(q, _STATE["engine"], limit=limit)]


class NlpWorker:
    """The worker process, started at once and loaded in the background; restarted if it dies."""

    def __init__(self, database_url: str, query_timeout_s: float | None) -> None:
        self._args = (database_url, query_timeout_s)
        self._lock = threading.Lock()
        self.ready = False
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=self._args,
        )
        probe = pool.submit(worker_ready)

        def mark(f: Future[bool]) -> None:
            self.ready = not f.cancelled() and f.exception() is None and bool(f.result())

        probe.add_done_callback(mark)
        return pool

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        with self._lock:
            try:
                return self._pool.submit(fn, *args)
            except BrokenProcessPool:
                # The worker died (out of memory, killed): start a new one for later calls.
                self.ready = False
                self._pool = self._start()
                raise

    def shutdown(self) -> None:
        with self._lock:
            self._pool.shutdown(wait=False, cancel_futures=True)
