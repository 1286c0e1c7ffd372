"""The installation's blob store (``EDOC_STORAGE_URL``), opened once per app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from flask_babel import gettext as _

from edoc.core.errors import AppError, ServiceUnavailable
from edoc.core.health import register_health_check
from edoc.core.metrics import STORAGE_ERRORS
from storage import BlobStore, open_store


def init_storage(app: Flask) -> None:
    app.extensions["edoc.blobstore"] = None  # opened on first use: start-up never waits on S3
    register_health_check(app, "storage", lambda: blob_store().check())


def blob_store() -> BlobStore:
    store = current_app.extensions.get("edoc.blobstore")
    if store is None:
        store = open_store(
            current_app.config["EDOC"].storage_url,
            access_key=current_app.config["EDOC"].s3_access_key,
            secret_key=current_app.config["EDOC"].s3_secret_key,
        )
        current_app.extensions["edoc.blobstore"] = store
    return store


@contextmanager
def storage_errors() -> Iterator[None]:
    """Storage failures as the app's errors: an outage is a 503, corruption a clear 500."""
    try:
        yield
    except Exception as error:
        code = getattr(error, "code", None)
        if isinstance(code, str):
            STORAGE_ERRORS.labels(code).inc()
        if code == "storage_unavailable":
            raise ServiceUnavailable(
                "storage_unavailable",
                _(
                    "Kho lưu trữ tệp tạm thời không truy cập được; chưa có gì được lưu. "
                    "Vui lòng thử lại."
                ),
            ) from error
        if code == "integrity_error":
            raise AppError(
                "integrity_error",
                _("Tệp lưu trữ bị sai lệch so với bản gốc (mã băm không khớp); đã chặn tải xuống."),
                status=500,
            ) from error
        if code == "blob_not_found":
            raise AppError(
                "blob_missing", _("Không tìm thấy tệp trong kho lưu trữ."), status=500
            ) from error
        raise
