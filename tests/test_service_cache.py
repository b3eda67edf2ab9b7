"""Cache and rate limiter, in process and against a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_helpers import RedisServer

from walmart_lib.service.cache import MemoryCache, RedisCache, cache_key, make_cache
from walmart_lib.service.ratelimit import MemoryRateLimiter, RedisRateLimiter


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def test_cache_key_depends_on_version_and_params() -> None:
    a = cache_key(1, "products", {"q": "milk", "limit": 20})
    assert a == cache_key(1, "products", {"limit": 20, "q": "milk"})  # order-free
    assert a != cache_key(2, "products", {"q": "milk", "limit": 20})
    assert a != cache_key(1, "products", {"q": "eggs", "limit": 20})
    assert a.startswith("walmart:v1:products:")


def test_memory_cache_counts_and_bounds() -> None:
    cache = MemoryCache(max_entries=2)
    calls: list[int] = []

    def compute() -> dict[str, Any]:
        calls.append(1)
        return {"n": len(calls)}

    assert cache.stats.hit_rate_percent is None
    assert cache.get_or_compute("a", compute) == {"n": 1}
    assert cache.get_or_compute("a", compute) == {"n": 1}
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)
    assert cache.stats.hit_rate_percent == 50.0
    value = cache.get("a")
    value["n"] = 99  # a caller changing its copy does not change the cache
    assert cache.get("a") == {"n": 1}
    cache.set("b", 2)
    cache.set("c", 3)
    assert len(cache) == 2 and cache.get("a") is None  # least recently used went first
    cache.clear()
    assert len(cache) == 0


def test_make_cache_without_redis() -> None:
    assert isinstance(make_cache(None), MemoryCache)


def test_redis_cache(redis_server: RedisServer) -> None:
    cache = make_cache(redis_server.url)
    assert isinstance(cache, RedisCache) and cache.ping()
    key = cache_key(7, "deals", [None, None, 50])
    assert cache.get_or_compute(key, lambda: [{"product_id": 1}]) == [{"product_id": 1}]
    assert cache.get_or_compute(key, lambda: pytest.fail("should be cached")) == [{"product_id": 1}]
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)
    client = redis_server.client()
    assert 0 < client.ttl(key) <= 3600
    # A second process (another client) sees the same entry.
    other = RedisCache(redis_server.client())
    assert other.get(key) == [{"product_id": 1}]
    cache.clear()
    assert other.get(key) is None


def test_redis_cache_survives_outage(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "r").start()
    cache = make_cache(server.url)
    assert isinstance(cache, RedisCache)
    server.stop()
    assert cache.get_or_compute("k", lambda: 5) == 5  # computed, not an exception
    assert cache.failures >= 2 and not cache.ping()
    with pytest.raises(Exception, match="(?i)connect"):
        make_cache(server.url)  # refusing to start on a dead Redis is the server's job


def test_memory_rate_limiter_sliding_window() -> None:
    limiter = MemoryRateLimiter(limit=3, window_s=60)
    assert [limiter.hit("a", now=t).allowed for t in (0, 1, 2)] == [True, True, True]
    blocked = limiter.hit("a", now=30)
    assert not blocked.allowed and blocked.retry_after_s == 30  # the hit at t=0 expires at 60
    assert limiter.hit("b", now=30).allowed  # per client
    assert limiter.hit("a", now=60.5).allowed
    assert limiter.hit("a", now=60.6).remaining == 0


def test_memory_rate_limiter_bounded_clients() -> None:
    limiter = MemoryRateLimiter(limit=1, max_clients=3)
    for i in range(10):
        assert limiter.hit(f"c{i}", now=float(i * 100)).allowed
    assert len(limiter._hits) <= 3


def test_redis_rate_limiter(redis_server: RedisServer) -> None:
    client = redis_server.client()
    a = RedisRateLimiter(client, limit=2, prefix="test:rl:")
    b = RedisRateLimiter(redis_server.client(), limit=2, prefix="test:rl:")  # another process
    now = 60.0 * 16_667 + 20  # 20 s into a minute window
    assert a.hit("ip", now=now).allowed and b.hit("ip", now=now).allowed
    third = a.hit("ip", now=now)
    assert not third.allowed and third.retry_after_s == 40
    assert a.hit("ip", now=now + 40).allowed  # the next window


def test_redis_rate_limiter_falls_back(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "r").start()
    limiter = RedisRateLimiter(server.client(), limit=1)
    server.stop()
    assert limiter.hit("ip").allowed
    assert not limiter.hit("ip").allowed  # the in-process fallback still limits
