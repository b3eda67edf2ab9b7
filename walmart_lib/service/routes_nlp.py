"""NLP routes: ``GET /api/nlp/health`` and ``POST /api/nlp/process`` (``walmart_lib.nlp``).

The parser is created without loading (``load_parser(engine, load=False)``) and loaded on the
NLP thread right after the server starts, so ``/api/nlp/health`` reports ``loaded: false``
until the model is in memory and start-up is not held up by it. Parses run on that single
thread too; their latency feeds ``nlp_parse_latency_ms``. A parse names the products it refers
to: the ``product`` entity is linked to catalogue products (``link_products``).
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

from walmart_lib.service.base import ApiError, ApiHandler
from walmart_lib.service.context import ServiceContext

__all__ = ["NLP_HANDLERS", "load_in_background", "model_accuracy_percent"]

MAX_TEXT_CHARS = 1000
MAX_LINKED = 5


def get_parser(ctx: ServiceContext) -> Any:
    """The service's parser (created on first use, model not loaded yet)."""
    if ctx._parser is None:
        from walmart_lib.nlp.parser import load_parser

        ctx._parser = load_parser(ctx.engine, load=False)
    return ctx._parser


def load_in_background(ctx: ServiceContext) -> None:
    """Load the model and embed the catalogue on the NLP thread (once the server listens)."""

    def load() -> None:
        from walmart_lib.nlp.search import get_product_index

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
        ctx = self.ctx

        def work() -> tuple[dict[str, Any], float]:
            from walmart_lib.nlp.search import link_products

            parser = get_parser(ctx)
            t0 = time.perf_counter()
            parsed = parser.parse(text, today=today)
            latency_ms = (time.perf_counter() - t0) * 1000.0
            out = parsed.as_dict()
            phrase = parsed.entities.get("product")
            linked = []
            if isinstance(phrase, str) and phrase:
                linked = [c.as_dict() for c in link_products(phrase, ctx.engine, MAX_LINKED)]
            out["linked_products"] = linked
            return out, latency_ms

        try:
            result, latency_ms = await self._loop().run_in_executor(ctx.nlp_executor, work)
        except (OSError, RuntimeError) as exc:
            raise ApiError(503, "the NLP model is not available", error="unavailable") from exc
        ctx.metrics.nlp_parse_latency_ms.observe(latency_ms)
        self.send(result)


NLP_HANDLERS: list[tuple[str, type[ApiHandler]]] = [
    (r"/api/nlp/health", NlpHealthHandler),
    (r"/api/nlp/process", NlpProcessHandler),
]
