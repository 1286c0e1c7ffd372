"""gunicorn settings of the production profile: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value comes from the environment, so one unit file and ``scripts/prod-local`` share this
file. ``edoc worker`` runs beside it as its own process (the Huey consumer on Redis).

Metrics: each worker process keeps its counters in files under ``PROMETHEUS_MULTIPROC_DIR``
(default ``$EDOC_DATA_DIR/prometheus``), and ``/metrics`` adds them up. ``edoc worker`` must be
given the same directory so its task counters are summed too. Files of processes that are gone
are dropped when gunicorn starts, and a worker that exits is marked dead (its live gauges go).
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import multiprocess

_data_dir = Path(os.environ.get("EDOC_DATA_DIR", "var")).resolve()
_metrics_dir = Path(
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(_data_dir / "prometheus"))
)

bind = [
    os.environ.get("EDOC_BIND")
    or f"{os.environ.get('EDOC_HOST', '127.0.0.1')}:{os.environ.get('EDOC_PORT', '8000')}"
]
workers = int(os.environ.get("EDOC_WEB_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("EDOC_WEB_THREADS", "4"))
worker_class = "gthread"
# A signature validation or an upload of 50 MB on a slow line may take a while; slow work
# itself runs in the worker, not here.
timeout = int(os.environ.get("EDOC_WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (a leak stays bounded); metrics survive through the files.
max_requests = int(os.environ.get("EDOC_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# X-Forwarded-* are believed by the app's ProxyFix (EDOC_TRUSTED_PROXIES …), not by gunicorn.
forwarded_allow_ips = "127.0.0.1"
accesslog = os.environ.get("EDOC_ACCESS_LOG") or None  # edoc logs each request (JSON mode)
errorlog = "-"
loglevel = "info"
proc_name = "edoc-web"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server: object) -> None:
    """Drop the metric files of processes that are gone (a previous run), keep those of live
    ones (an ``edoc worker`` already running writes into the same directory)."""
    _metrics_dir.mkdir(parents=True, exist_ok=True)
    for path in _metrics_dir.glob("*.db"):
        try:
            pid = int(path.stem.rsplit("_", 1)[1])
        except (IndexError, ValueError):
            continue
        if not _alive(pid):
            path.unlink(missing_ok=True)


def child_exit(server: object, worker: object) -> None:
    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
