# edoc for containers: one image for the web (gunicorn) and the worker (edoc worker).
# Built from this repository: `docker compose build`. See docs/operations.md.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    EDOC_DATA_DIR=/var/lib/edoc

# The Debian packages scripts/bootstrap installs (file tools, OCR, fonts, LibreOffice, pg_dump).
COPY scripts/bootstrap /usr/local/bin/edoc-bootstrap
RUN apt-get update -qq \
    && edoc-bootstrap run \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/edoc
COPY pyproject.toml README.md wsgi.py ./
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

# The web process; the worker runs the same image with `edoc worker` (docker-compose.yml).
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "3", \
     "--threads", "4", "--timeout", "120", "wsgi:app"]
