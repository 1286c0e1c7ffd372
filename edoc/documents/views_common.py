"""What the areas' pages share: serving stored files, list pages."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

from flask import Response, current_app, render_template, request
from marshmallow import Schema

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.forms import FormInvalid, load_form
from edoc.core.paging import page_count
from edoc.core.params import last_page_if_past, with_clamped_page
from edoc.documents.files import clean_filename
from storage import BlobNotFound, IntegrityError, StorageUnavailable

MEMORY_LIMIT = 8 * 1024 * 1024


class StoredFile(Protocol):
    filename: str
    content_type: str
    sha256: str
    size: int


def file_response(stored: StoredFile, inline: bool = False) -> Response:
    """Send a stored file only after its hash has been checked end to end.

    The blob is copied through the verifying reader first, so a corrupt blob becomes a clear
    error instead of a download that silently differs from what was registered.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=MEMORY_LIMIT)  # noqa: SIM115 - closed by Response
    with storage_errors(), blob_store().open(stored.sha256) as stream:
        shutil.copyfileobj(stream, spool, length=1024 * 1024)
    spool.seek(0)
    # A PDF with JavaScript or automatic actions is never shown in the browser's viewer: it is a
    # download, and the sandbox CSP (no scripts, no same origin) covers any viewer that renders
    # it anyway. Files from before the check (nothing found) are served as they always were.
    active = bool(getattr(stored, "active_content_found", None))
    disposition = "inline" if inline and not active else "attachment"
    response = Response(spool, mimetype=stored.content_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(stored.size)
    name = clean_filename(stored.filename)  # names stored before the cleaning came in
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    if active:
        response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["X-Content-SHA256"] = stored.sha256
    response.call_on_close(spool.close)
    return response


def stored_file_state(sha256: str) -> str:
    """Re-read a stored file against its address: ``ok``, ``corrupt``, ``missing`` or
    ``unavailable`` (storage down). Pages call it so that a byte changed in storage after
    signing is flagged where people look, not only when someone downloads the file."""
    try:
        blob_store().verify(sha256)
    except IntegrityError:
        current_app.logger.error("stored file %s does not match its hash", sha256)
        return "corrupt"
    except BlobNotFound:
        current_app.logger.error("stored file %s is missing", sha256)
        return "missing"
    except StorageUnavailable:
        return "unavailable"
    return "ok"


Lister = Callable[[dict[str, Any]], tuple[int, list[Any]]]


def render_list(template: str, schema: Schema, lister: Lister, **context: Any) -> tuple[str, int]:
    """A list page: its filters read from the query string through the area's schema, one page
    of rows from ``lister`` and the pager (``page``, ``pages``). Filters that do not load show
    the page again, empty, with what was typed and a message for each field (422)."""
    try:
        args = load_form(schema, with_clamped_page(request.args))
    except FormInvalid as error:
        page = render_template(
            template, items=[], total=0, page=1, pages=1, errors=error.fields, **context
        )
        return page, error.status
    total, items = lister(args)
    last = last_page_if_past(args["page"], total, args["per_page"])
    if last != args["page"]:  # page 999 of a list of 3 pages: the last page
        args["page"] = last
        total, items = lister(args)
    page = render_template(
        template,
        items=items,
        total=total,
        page=args["page"],
        pages=page_count(total, args["per_page"]),
        errors={},
        **context,
    )
    return page, 200
