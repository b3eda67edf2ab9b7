"""The service's shared state: settings, engine, cache, limiter, metrics, credentials, pools.

One :class:`ServiceContext` is built per server process by :func:`build_context` and handed to
every route handler. Database work runs on its thread pool and the NLP model in a worker process
(``nlp_worker``), so the Tornado loop (which also drives the dashboards' websockets) never
blocks on a query or a parse.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from walmart_lib import __version__
from walmart_lib.config import Settings
from walmart_lib.db.engine import get_engine
from walmart_lib.service.auth import CredentialStore, load_cookie_secret
from walmart_lib.service.cache import MemoryCache, RedisCache, make_cache
from walmart_lib.service.metrics import ServiceMetrics
from walmart_lib.service.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from walmart_lib.service.version import SqliteVersionReader

__all__ = ["ServiceContext", "build_context"]

#: Threads for database queries (SQLite and PostgreSQL release the GIL while they work).
DB_WORKERS = 8


@dataclass
class ServiceContext:
    settings: Settings
    engine: Engine
    cache: MemoryCache | RedisCache
    limiter: RateLimiter
    metrics: ServiceMetrics
    store: CredentialStore | None
    cookie_secret: str
    executor: ThreadPoolExecutor
    #: SQLite only: the loop thread's fast data-version reader.
    version_reader: SqliteVersionReader | None = None
    version: str = __version__
    started_at: float = field(default_factory=time.monotonic)
    inflight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: The NLP worker process (``walmart_lib.service.nlp_worker.NlpWorker``), once started.
    nlp_worker: Any = None

    @property
    def auth_enabled(self) -> bool:
        return self.store is not None

    @property
    def uptime_s(self) -> float:
        return round(time.monotonic() - self.started_at, 3)

    def enter(self) -> None:
        with self._lock:
            self.inflight += 1

    def leave(self) -> None:
        with self._lock:
            self.inflight -= 1

    def nlp_accuracy(self) -> float | None:
        """Intent accuracy (percent) saved with the NLP model, when the NLP package exists."""
        try:
            from walmart_lib.service.routes_nlp import model_accuracy_percent

            return model_accuracy_percent()
        except ImportError:
            return None


def _version_reader(engine: Engine) -> SqliteVersionReader | None:
    try:
        return SqliteVersionReader(engine)
    except ValueError:  # PostgreSQL, or an in-memory SQLite: read through the pool
        return None


def build_context(settings: Settings) -> ServiceContext:
    """Everything the routes share, built from ``settings`` (Redis is pinged here)."""
    engine = get_engine(settings.database_url, query_timeout_s=settings.query_timeout_s)
    cache = make_cache(settings.redis_url)
    limiter: RateLimiter
    if isinstance(cache, RedisCache):
        limiter = RedisRateLimiter(cache._redis, settings.rate_limit_per_minute)
    else:
        limiter = MemoryRateLimiter(settings.rate_limit_per_minute)
    store = CredentialStore(settings.auth_file) if settings.auth_file else None
    holder: dict[str, ServiceContext] = {}
    metrics = ServiceMetrics(
        cache_hit_rate=lambda: cache.stats.hit_rate_percent,
        nlp_accuracy=lambda: holder["ctx"].nlp_accuracy() if "ctx" in holder else None,
    )
    ctx = ServiceContext(
        settings=settings,
        engine=engine,
        cache=cache,
        limiter=limiter,
        metrics=metrics,
        store=store,
        cookie_secret=load_cookie_secret(settings.cookie_secret, settings.run_dir),
        executor=ThreadPoolExecutor(DB_WORKERS, thread_name_prefix="walmart-db"),
        version_reader=_version_reader(engine),
    )
    holder["ctx"] = ctx
    return ctx
