"""Per-client rate limiting for ``/api/*``: a fixed budget of requests per rolling minute.

:class:`MemoryRateLimiter` keeps a sliding window of request times per client in the process
(each server process counts on its own). :class:`RedisRateLimiter` keeps one counter per client
per minute in Redis, so several processes behind a proxy share the budget. Both answer
:meth:`hit` with a :class:`Decision` that says whether the request may go on and, if not, how
many seconds to wait (the ``Retry-After`` header).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Decision", "MemoryRateLimiter", "RateLimiter", "RedisRateLimiter"]

WINDOW_S = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after_s: int


class RateLimiter(Protocol):
    limit: int

    def hit(self, client: str) -> Decision: ...


class MemoryRateLimiter:
    """Sliding-window limiter: at most ``limit`` requests per client in any 60 s."""

    def __init__(self, limit: int, window_s: float = WINDOW_S, max_clients: int = 10_000) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_clients = max_clients
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, client: str, now: float | None = None) -> Decision:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(client)
            if hits is None:
                if len(self._hits) >= self.max_clients:
                    self._evict(now)
                hits = self._hits[client] = deque()
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = max(1, math.ceil(hits[0] + self.window_s - now))
                return Decision(False, 0, retry)
            hits.append(now)
            return Decision(True, self.limit - len(hits), 0)

    def _evict(self, now: float) -> None:
        # Drop clients with no request in the window; bounded memory under many client IPs.
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
            del self._hits[key]
        if len(self._hits) >= self.max_clients:
            self._hits.clear()


class RedisRateLimiter:
    """Fixed one-minute windows counted in Redis (``INCR`` + ``EXPIRE``), shared by processes."""

    def __init__(self, client: Any, limit: int, prefix: str = "walmart:rl:") -> None:
        import redis

        self.limit = limit
        self._redis = client
        self._prefix = prefix
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        # While Redis is down each process limits on its own rather than failing requests.
        self.fallback = MemoryRateLimiter(limit)

    def hit(self, client: str, now: float | None = None) -> Decision:
        now = time.time() if now is None else now
        window = int(now // WINDOW_S)
        key = f"{self._prefix}{client}:{window}"
        try:
            pipe = self._redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, int(WINDOW_S) + 1)
            count = int(pipe.execute()[0])
        except self._errors:
            return self.fallback.hit(client)
        if count > self.limit:
            retry = max(1, math.ceil((window + 1) * WINDOW_S - now))
            return Decision(False, 0, retry)
        return Decision(True, self.limit - count, 0)
