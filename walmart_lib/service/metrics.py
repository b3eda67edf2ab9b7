"""Prometheus metrics for the service, in one registry rendered at ``/metrics``.

Names are fixed by the operations contract: ``walmart_app_response_time_ms`` (histogram by
route and method), ``walmart_app_errors_total`` (responses with status >= 400, by route and
status), ``walmart_orders_processed_total`` (orders added or updated by imports through the
server), ``nlp_parse_latency_ms`` (histogram), ``nlp_service_accuracy_percent`` (from the last
saved NLP evaluation; absent until there is one), ``cache_hit_rate_percent`` (absent before the
first lookup) and the standard ``process_*`` memory/CPU series. Each server process keeps its
own counters (see docs/operations.md for scale-out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "ServiceMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The "_created" timestamps double every series and nothing here reads them.
disable_created_metrics()

_MS_BUCKETS = (1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


class _GaugeFromCallback(Collector):
    """A gauge whose value is read when scraped; emits nothing while the value is unknown."""

    def __init__(self, name: str, doc: str, read: Callable[[], float | None]) -> None:
        self._name = name
        self._doc = doc
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        value = self._read()
        if value is not None:
            yield GaugeMetricFamily(self._name, self._doc, value=value)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # No describe(): the registry must not call collect() at registration time.
        return iter(())


class ServiceMetrics:
    """The service's metric objects and their registry."""

    def __init__(
        self,
        cache_hit_rate: Callable[[], float | None],
        nlp_accuracy: Callable[[], float | None],
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.registry)
        self.response_time_ms = Histogram(
            "walmart_app_response_time_ms",
            "Time to answer a request, in milliseconds, by route.",
            ["route", "method"],
            buckets=_MS_BUCKETS,
            registry=self.registry,
        )
        self.errors_total = Counter(
            "walmart_app_errors_total",
            "Responses with an error status (>= 400), by route and status.",
            ["route", "status"],
            registry=self.registry,
        )
        self.orders_processed_total = Counter(
            "walmart_orders_processed_total",
            "Orders added or updated by imports through this server.",
            registry=self.registry,
        )
        self.nlp_parse_latency_ms = Histogram(
            "nlp_parse_latency_ms",
            "Time to parse one text with the offline NLP parser, in milliseconds.",
            buckets=_MS_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(
            _GaugeFromCallback(
                "nlp_service_accuracy_percent",
                "Intent accuracy of the NLP parser in its last saved evaluation.",
                nlp_accuracy,
            )
        )
        self.registry.register(
            _GaugeFromCallback(
                "cache_hit_rate_percent",
                "Cache hits as a percentage of cache lookups since the server started.",
                cache_hit_rate,
            )
        )

    def observe_request(self, route: str, method: str, status: int, latency_ms: float) -> None:
        self.response_time_ms.labels(route=route, method=method).observe(latency_ms)
        if status >= 400:
            self.errors_total.labels(route=route, status=str(status)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
