"""Result cache for the service, keyed on the database's data version.

Every key includes :func:`walmart_lib.db.data_version`, which each import bumps, so an answer
computed before an import is never served after it (old entries simply stop being asked for and
age out). :class:`MemoryCache` is a bounded LRU in the process; :class:`RedisCache` stores the
same JSON values in Redis (``REDIS_URL``) so all server processes share them. Both count hits
and misses for the ``cache_hit_rate_percent`` metric. Values must be JSON-serialisable: the
cache holds route payloads, not live objects.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

__all__ = [
    "CacheBackend",
    "CacheStats",
    "MemoryCache",
    "RedisCache",
    "cache_key",
    "dumps",
    "make_cache",
]


class CacheStats:
    """Thread-safe hit/miss counters."""

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def record(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses += 1

    @property
    def hit_rate_percent(self) -> float | None:
        """Hits as a percentage of lookups; None before the first lookup."""
        total = self.hits + self.misses
        return None if total == 0 else 100.0 * self.hits / total


def cache_key(version: int, name: str, params: Any) -> str:
    """``walmart:v<version>:<name>:<hash of params>`` (params as canonical JSON)."""
    blob = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    digest = hashlib.sha256(blob.encode()).hexdigest()[:24]
    return f"walmart:v{version}:{name}:{digest}"


class CacheBackend(Protocol):
    stats: CacheStats
    kind: str

    def get_text(self, key: str) -> str | None: ...

    def set_text(self, key: str, text: str) -> None: ...

    def clear(self) -> None: ...


def dumps(value: Any) -> str:
    """The JSON text a value is cached (and answered) as."""
    return json.dumps(value, default=str, separators=(",", ":"))


class _JsonMixin:
    """Object access and get-or-compute on top of a backend's text storage."""

    stats: CacheStats

    def get_text(self, key: str) -> str | None:
        raise NotImplementedError

    def set_text(self, key: str, text: str) -> None:
        raise NotImplementedError

    def get(self, key: str) -> Any | None:
        text = self.get_text(key)
        # Decoded per call, so callers can never change a cached value in place.
        return None if text is None else json.loads(text)

    def set(self, key: str, value: Any) -> None:
        self.set_text(key, dumps(value))

    def get_or_compute_text(self, key: str, compute: Callable[[], Any]) -> str:
        """The cached JSON text for ``key``, computing and storing it on a miss."""
        text = self.get_text(key)
        self.stats.record(text is not None)
        if text is None:
            text = dumps(compute())
            self.set_text(key, text)
        return text

    def get_or_compute(self, key: str, compute: Callable[[], Any]) -> Any:
        return json.loads(self.get_or_compute_text(key, compute))


class MemoryCache(_JsonMixin):
    """A bounded LRU of JSON texts in this process."""

    kind = "memory"

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self.stats = CacheStats()
        self._data: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get_text(self, key: str) -> str | None:
        with self._lock:
            text = self._data.get(key)
            if text is not None:
                self._data.move_to_end(key)
            return text

    def set_text(self, key: str, text: str) -> None:
        with self._lock:
            self._data[key] = text
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class RedisCache(_JsonMixin):
    """JSON values in Redis with a time-to-live (entries of old data versions expire)."""

    kind = "redis"

    def __init__(self, client: Any, ttl_s: int = 3600) -> None:
        import redis

        self._redis = client
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self.ttl_s = ttl_s
        self.stats = CacheStats()
        #: Redis failures seen; a failing Redis degrades to computing every answer.
        self.failures = 0

    def get_text(self, key: str) -> str | None:
        try:
            blob = self._redis.get(key)
        except self._errors:
            self.failures += 1
            return None
        return None if blob is None else bytes(blob).decode()

    def set_text(self, key: str, text: str) -> None:
        try:
            self._redis.set(key, text, ex=self.ttl_s)
        except self._errors:
            self.failures += 1

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except self._errors:
            return False

    def clear(self) -> None:
        for key in self._redis.scan_iter(match="walmart:v*"):
            self._redis.delete(key)


def make_cache(redis_url: str | None) -> MemoryCache | RedisCache:
    """A Redis cache when ``redis_url`` is set (and answers a PING), else an in-process one."""
    if not redis_url:
        return MemoryCache()
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    client.ping()
    return RedisCache(client)
