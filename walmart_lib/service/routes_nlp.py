"""NLP routes: ``GET /api/nlp/health`` and ``POST /api/nlp/process`` (``walmart_lib.nlp``).

The parser lives in a worker process (:mod:`walmart_lib.service.nlp_worker`) started with the
server; it loads the model in the background, so ``/api/nlp/health`` reports ``loaded: false``
until the model is in memory and start-up is not held up by it. Parse requests are batched
(:class:`NlpBatcher`: requests that arrive together share one encoder pass); the per-text parse
time feeds ``nlp_parse_latency_ms``. The ``product`` entity of a parse is linked to catalogue
products (``link_products``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import queue
import threading
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from typing import Any

from walmart_lib.service.base import ApiError, ApiHandler
from walmart_lib.service.context import ServiceContext
from walmart_lib.service.nlp_worker import NlpWorker, parse_texts

__all__ = [
    "NLP_HANDLERS",
    "NlpBatcher",
    "get_worker",
    "load_in_background",
    "model_accuracy_percent",
]

MAX_TEXT_CHARS = 1000
#: Most parses in one encoder pass.
MAX_BATCH = 32


def get_worker(ctx: ServiceContext) -> NlpWorker:
    """The service's NLP worker process (started on first use)."""
    with _WORKER_LOCK:
        if ctx.nlp_worker is None:
            ctx.nlp_worker = NlpWorker(ctx.settings.database_url, ctx.settings.query_timeout_s)
        worker: NlpWorker = ctx.nlp_worker
        return worker


def load_in_background(ctx: ServiceContext) -> None:
    """Start the worker process; it loads the model and embeds the catalogue meanwhile."""
    get_worker(ctx)
    get_batcher(ctx)


@functools.lru_cache(maxsize=1)
def model_accuracy_percent() -> float | None:
    """In-scope intent accuracy on the validation split, saved with the committed model (%).

    Read once per process: the worker loads the model once too, so a retrain is picked up by
    a restart, and health checks and metrics scrapes do not read the file each time.
    """
    from walmart_lib.nlp.training import MODEL_DIR

    try:
        meta = json.loads((MODEL_DIR / "head.json").read_text(encoding="utf-8"))
        # Rounded: 0.9368 * 100 prints as 93.67999999999999.
        return round(float(meta["val_in_scope_accuracy"]) * 100.0, 2)
    except (OSError, ValueError, KeyError, TypeError):
        return None


class NlpHealthHandler(ApiHandler):
    route = "/api/nlp/health"

    async def get(self) -> None:
        from walmart_lib.nlp.encoder import MODEL_NAME
        from walmart_lib.nlp.intents import INTENTS

        self.send(
            {
                "model": MODEL_NAME,
                "loaded": get_worker(self.ctx).ready,
                "intents": len(INTENTS),
                "accuracy_percent": model_accuracy_percent(),
            }
        )


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
        except (OSError, RuntimeError, BrokenProcessPool) as exc:
            raise ApiError(503, "the NLP model is not available", error="unavailable") from exc
        self.ctx.metrics.nlp_parse_latency_ms.observe(latency_ms)
        self.send(result)


class NlpBatcher:
    """Parses queued requests together: one encoder pass per batch, in the worker process.

    Under concurrent load the encoder's fixed cost is shared by every request waiting, so
    throughput grows with load instead of the queue. One daemon thread collects the waiting
    requests (at most :data:`MAX_BATCH`), hands them to the worker and answers each.
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
        by_day: dict[date | None, list[_Job]] = {}
        for job in jobs:
            by_day.setdefault(job.today, []).append(job)
        worker = get_worker(self.ctx)
        for today, group in by_day.items():
            results = worker.submit(parse_texts, [j.text for j in group], today).result()
            for job, item in zip(group, results, strict=True):
                latency_ms = float(item.pop("_latency_ms"))
                job.future.set_result((item, latency_ms))


@dataclass
class _Job:
    text: str
    today: date | None
    future: Future[tuple[dict[str, Any], float]]


_WORKER_LOCK = threading.Lock()
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
