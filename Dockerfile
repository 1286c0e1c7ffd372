# edoc for containers: one image for the web (gunicorn) and the worker (edoc worker).
# Built from this repository: `docker compose build`. See docs/operations.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EDOC_DATA_DIR=/var/lib/edoc \
    EDOC_BIND=0.0.0.0:8000 \
    EDOC_LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/var/lib/edoc/prometheus

# The Debian packages scripts/bootstrap installs (file tools, OCR, fonts, LibreOffice, pg_dump).
COPY scripts/bootstrap /usr/local/bin/edoc-bootstrap
RUN apt-get update -qq \
    && edoc-bootstrap run \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/edoc
COPY pyproject.toml README.md wsgi.py gunicorn.conf.py ./
COPY edoc ./edoc
COPY signing ./signing
COPY search ./search
COPY storage ./storage
COPY migrations ./migrations
# Editable: edoc finds its migrations/ beside the package (edoc/core/migrate.py).
RUN pip install --no-cache-dir -e . gunicorn

RUN useradd --system --home /var/lib/edoc --create-home edoc
USER edoc
VOLUME ["/var/lib/edoc"]
EXPOSE 8000

# The web process, its settings from the environment (EDOC_WEB_WORKERS, EDOC_WEB_THREADS,
# EDOC_WEB_TIMEOUT, EDOC_WEB_MAX_REQUESTS: gunicorn.conf.py); the worker runs the same image with
# `edoc worker` (docker-compose.yml), sharing PROMETHEUS_MULTIPROC_DIR for /metrics.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
