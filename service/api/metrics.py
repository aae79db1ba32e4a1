"""The app's Prometheus metrics, in a registry of its own (several apps in one process never share counters)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from service.pipeline.workers import WorkerPool

CONTENT_TYPE = CONTENT_TYPE_LATEST
ANALYSIS_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("reelsense_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("reelsense_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 registry=self.registry)
        self.uploads = Counter("reelsense_uploads_total", "Uploads by outcome code", ["outcome"],
                               registry=self.registry)
        self.analysis = Histogram("reelsense_analysis_seconds", "Worker analysis time per upload",
                                  registry=self.registry, buckets=ANALYSIS_BUCKETS)
        self.workers = Gauge("reelsense_workers_ready", "Analysis workers ready", registry=self.registry)
        self.restarts = Gauge("reelsense_worker_restarts", "Workers replaced (recycled, crashed, timed out)",
                              registry=self.registry)

    def exposition(self, pool: WorkerPool) -> bytes:
        """The Prometheus text format, with the worker gauges read from the pool now."""
        self.workers.set(pool.ready_workers)
        self.restarts.set(pool.restarts)
        return generate_latest(self.registry)
