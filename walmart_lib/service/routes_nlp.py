"""NLP routes: ``GET /api/nlp/health`` and ``POST /api/nlp/process`` (``walmart_lib.nlp``).

The parser is created without loading (``load_parser(engine, load=False)``) and loaded on the
NLP thread right after the server starts, so ``/api/nlp/health`` reports ``loaded: false``
until the model is in memory and start-up is not held up by it. Parses are batched on their
own thread (:class:`NlpBatcher`: requests that arrive together share one encoder pass); the
per-text latency feeds ``nlp_parse_latency_ms``. The ``product`` entity of a parse is linked to
catalogue products (``link_products``).
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from typing import Any

from walmart_lib.service.base import ApiError, ApiHandler
from walmart_lib.service.context import ServiceContext

__all__ = ["NLP_HANDLERS", "NlpBatcher", "load_in_background", "model_accuracy_percent"]

MAX_TEXT_CHARS = 1000
MAX_LINKED = 5
#: Most parses in one encoder pass.
MAX_BATCH = 32


def get_parser(ctx: ServiceContext) -> Any:
    """The service's parser (created on first use, model not loaded yet)."""
    if ctx._parser is None:
        from walmart_lib.nlp.parser import load_parser

        ctx._parser = load_parser(ctx.engine, load=False)
    return ctx._parser


def load_in_background(ctx: ServiceContext) -> None:
    """Load the model and embed the catalogue on the NLP thread (once the server listens)."""

    def load() -> None:
        import torch

        from walmart_lib.nlp.search import get_product_index

        # One intra-op thread: the other core serves the loop and the database threads, and
        # on a busy 2-core machine two OpenMP threads made each encode 25x slower (196 ms vs
        # 7.7 ms measured) by waiting on each other.
        torch.set_num_threads(1)
        get_parser(ctx).load()
        get_product_index(ctx.engine).refresh()

    ctx.nlp_executor.submit(load)


def model_accuracy_percent() -> float | None:
    """Cross-validated in-scope intent accuracy saved with the committed model, in percent."""
    from walmart_lib.nlp.training import MODEL_DIR

    try:
        meta = json.loads((MODEL_DIR / "head.json").read_text(encoding="utf-8"))
        return float(meta["cv_in_scope_accuracy"]) * 100.0
    except (OSError, ValueError, KeyError, TypeError):
        return None


class NlpHealthHandler(ApiHandler):
    route = "/api/nlp/health"

    async def get(self) -> None:
        body = dict(get_parser(self.ctx).health())
        body["accuracy_percent"] = model_accuracy_percent()
        self.send(body)


class NlpProcessHandler(ApiHandler):
    """``{"text", "today"?}`` -> intent, confidence, entities and linked products."""

    route = "/api/nlp/process"

    async def post(self) -> None:
        body = self.json_body()
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "'text' must be a non-empty string", field="text")
        if len(text) > MAX_TEXT_CHARS:
            raise ApiError(400, f"'text' must be at most {MAX_TEXT_CHARS} characters", field="text")
        today: date | None = None
        if body.get("today") is not None:
            raw = body["today"]
            try:
                today = date.fromisoformat(raw) if isinstance(raw, str) else None
            except ValueError:
                today = None
            if today is None:
                raise ApiError(400, "'today' must be a date YYYY-MM-DD", field="today")
        batcher = get_batcher(self.ctx)
        try:
            result, latency_ms = await asyncio.wrap_future(batcher.submit(text, today))
        except (OSError, RuntimeError) as exc:
            raise ApiError(503, "the NLP model is not available", error="unavailable") from exc
        self.ctx.metrics.nlp_parse_latency_ms.observe(latency_ms)
        self.send(result)


class NlpBatcher:
    """Parses queued requests together: one encoder pass per batch (``parse_batch``).

    Under concurrent load the encoder's fixed cost is shared by every request waiting, so
    throughput grows with load instead of the queue. Product links are cached per phrase and
    data version (the same staples are asked about again and again). Runs on one daemon thread
    with one torch intra-op thread (see :func:`load_in_background`).
    """

    def __init__(self, ctx: ServiceContext, max_batch: int = MAX_BATCH) -> None:
        self.ctx = ctx
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="walmart-nlp-batch", daemon=True)
        self._thread.start()

    def submit(self, text: str, today: date | None) -> Future[tuple[dict[str, Any], float]]:
        job = _Job(text, today, Future())
        self._queue.put(job)
        return job.future

    def _run(self) -> None:
        import torch

        torch.set_num_threads(1)
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < self.max_batch:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._parse(jobs)
            except Exception as exc:  # answer every waiting request, keep the thread alive
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(RuntimeError(type(exc).__name__))

    def _parse(self, jobs: list[_Job]) -> None:
        parser = get_parser(self.ctx)
        by_day: dict[date | None, list[_Job]] = {}
        for job in jobs:
            by_day.setdefault(job.today, []).append(job)
        for today, group in by_day.items():
            t0 = time.perf_counter()
            parses = parser.parse_batch([j.text for j in group], today=today)
            per_item_ms = (time.perf_counter() - t0) * 1000.0 / len(group)
            for job, parsed in zip(group, parses, strict=True):
                out = parsed.as_dict()
                phrase = parsed.entities.get("product")
                out["linked_products"] = self._links(phrase) if isinstance(phrase, str) else []
                job.future.set_result((out, per_item_ms))

    def _links(self, phrase: str) -> list[dict[str, Any]]:
        from walmart_lib.db.state import data_version
        from walmart_lib.nlp.search import link_products
        from walmart_lib.service.cache import cache_key

        engine = self.ctx.engine
        key = cache_key(data_version(engine), "links", [phrase.casefold(), MAX_LINKED])
        return list(
            self.ctx.cache.get_or_compute(
                key, lambda: [c.as_dict() for c in link_products(phrase, engine, MAX_LINKED)]
            )
        )


@dataclass
class _Job:
    text: str
    today: date | None
    future: Future[tuple[dict[str, Any], float]]


_BATCHERS: dict[int, NlpBatcher] = {}
_BATCHERS_LOCK = threading.Lock()


def get_batcher(ctx: ServiceContext) -> NlpBatcher:
    with _BATCHERS_LOCK:
        if id(ctx) not in _BATCHERS:
            _BATCHERS[id(ctx)] = NlpBatcher(ctx)
        return _BATCHERS[id(ctx)]


NLP_HANDLERS: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/nlp/health", NlpHealthHandler),
    (r"/api/nlp/process", NlpProcessHandler),
]
