"""Prometheus metrics of one app instance (own registry: several apps in one process stay apart)."""
from __future__ import annotations

import logging
from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger("matex.api.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60)


class _QueueCollector:
    def __init__(self, counts: Callable[[], dict[str, int]], workers: Callable[[], int], review: Callable[[], int]):
        self.counts, self.workers, self.review = counts, workers, review

    def collect(self):
        g = GaugeMetricFamily("matex_jobs", "Jobs in the database by state", labels=["state"])
        try:
            c = self.counts()
            for st in ("queued", "running", "done", "failed"):
                g.add_metric([st], float(c.get(st, 0)))
        except Exception:
            log.warning("could not count jobs", exc_info=True)
        yield g
        w = GaugeMetricFamily("matex_workers_alive", "OCR worker processes alive")
        w.add_metric([], float(self.workers()))
        yield w
        r = GaugeMetricFamily("matex_review_pending", "Extractions waiting for a reviewer")
        try:
            r.add_metric([], float(self.review()))
        except Exception:
            r.add_metric([], 0.0)
        yield r


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("matex_http_requests", "HTTP requests", ["method", "route", "status"], registry=r)
        self.latency = Histogram("matex_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.uploads = Counter("matex_uploads", "Uploads by outcome (sync, async, duplicate, sync_timeout, rejected)",
                               ["outcome"], registry=r)
        self.extraction_seconds = Histogram("matex_extraction_seconds", "Worker time per file",
                                            buckets=LATENCY_BUCKETS, registry=r)
        self.jobs_finished = Counter("matex_jobs_finished", "Jobs finished by workers", ["state"], registry=r)
        self.worker_restarts = Gauge("matex_worker_restarts", "Worker processes restarted after dying", registry=r)
        self.rate_limited = Counter("matex_rate_limited", "Requests refused with 429", registry=r)

    def add_queue_collector(self, counts, workers, review) -> None:
        self.registry.register(_QueueCollector(counts, workers, review))
