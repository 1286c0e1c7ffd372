"""Prometheus metrics: counters the code increments where things happen, and gauges each area
reads from its own tables when ``/metrics`` is scraped.

Counters live in ``prometheus_client``'s process registry. Under gunicorn (several worker
processes) and beside ``edoc worker`` they must be summed over processes: with
``PROMETHEUS_MULTIPROC_DIR`` set (``gunicorn.conf.py`` sets it; ``edoc worker`` must get the same
directory) every process writes its values to files there and a scrape adds them up
(``MultiProcessCollector``). The variable must be set before this module is imported: the
library picks its storage when a metric is created.

Gauges about the installation's state (outbox backlog, queue depth, failed deliveries) are not
per process: they are read from the database and the queue at each scrape, by the sources each
area registers (:func:`register_metric_source`), so they are right whichever process answers.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

from edoc.core.extensions import db

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # each process writes its counters' files there
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

REQUEST_LATENCY = Histogram(
    "edoc_http_request_duration_seconds",
    "Time to answer a request, by route rule (not the raw path) and method.",
    ["endpoint", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
REQUESTS = Counter(
    "edoc_http_requests",
    "Requests answered, by route rule, method and status class (2xx, 4xx, 5xx …).",
    ["endpoint", "method", "status"],
)
JOB_FAILURES = Counter(
    "edoc_job_failures",
    "Background tasks that raised (each attempt), by task name.",
    ["task"],
)
JOBS_RUN = Counter("edoc_jobs_run", "Background tasks started, by task name.", ["task"])
DELIVERY_FAILURES = Counter(
    "edoc_delivery_failures",
    "Failed delivery attempts to another system, by channel (exchange, webhook, email).",
    ["channel"],
)
SIGNATURE_FAILURES = Counter(
    "edoc_signature_validation_failures",
    "PDFs whose signatures did not validate (verdict invalid) or could not be read.",
    ["reason"],
)
STORAGE_ERRORS = Counter(
    "edoc_storage_errors",
    "Blob store failures met by a request or a task, by error code.",
    ["code"],
)

#: A source yields gauge families read from the database or the queue at scrape time.
MetricSource = Callable[[], Iterable[GaugeMetricFamily]]


def register_metric_source(app: Flask, source: MetricSource) -> None:
    app.extensions.setdefault("edoc.metric_sources", []).append(source)


def gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    """A gauge family a source fills with ``add_metric``."""
    return GaugeMetricFamily(name, documentation, labels=labels or [])


class _StateCollector(Collector):
    """Runs the app's metric sources at a scrape, in the scrape's request."""

    def __init__(self, sources: list[MetricSource]) -> None:
        self.sources = sources

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for source in self.sources:
            try:
                yield from source()
            except Exception as error:  # a source down (the queue) must not hide the others
                current_app.logger.warning("metric source %s failed: %s", source.__name__, error)
                db.session.rollback()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render_metrics() -> Response:
    """Every metric in Prometheus' text format: counters summed over processes, then gauges."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        MultiProcessCollector(registry)
        output = generate_latest(registry)
    else:
        output = generate_latest(REGISTRY)
    state = CollectorRegistry()
    state.register(_StateCollector(current_app.extensions.get("edoc.metric_sources", [])))
    output += generate_latest(state)
    return Response(output, mimetype=CONTENT_TYPE_LATEST.split(";")[0])


def metrics_allowed() -> bool:
    """With ``EDOC_METRICS_TOKEN``: only a request bearing it; without: only from loopback (the
    client address after the trusted proxies, so a proxied request from outside is refused)."""
    token = current_app.config["EDOC"].metrics_token
    if token:
        offered = request.headers.get("Authorization", "")
        return offered == f"Bearer {token}"
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def init_request_metrics(app: Flask) -> None:
    """Time every request and count it by its route rule."""

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _observe(response: Any) -> Any:
        started = g.get("request_started")
        if started is not None:
            rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
            elapsed = time.perf_counter() - started
            REQUEST_LATENCY.labels(rule, request.method).observe(elapsed)
            REQUESTS.labels(rule, request.method, f"{response.status_code // 100}xx").inc()
        return response
