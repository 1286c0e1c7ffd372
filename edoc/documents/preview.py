"""Pages of a stored PDF as PNG images, so a document can be read inside a page, on a phone too.

Why images and not the browser's PDF viewer: phones (iOS Safari, Android Chrome) open a PDF in a
new tab or download it, and a leader must be able to read a draft beside the box they tick. The
server renders one page at a time with poppler's ``pdftoppm`` in a child process bounded in time
and memory (:func:`edoc.documents.files.run_file_tool`, the same bound as every other tool run on
an uploaded file), so a hostile draft costs a bounded amount and ends in a clear refusal.

Renders are cached on disk under ``<data_dir>/cache/pages`` by the blob's SHA-256, the page and
the width: a stored file never changes, so a cached image is never stale, and a second view is a
file read. The widths are a few fixed steps, so a client cannot fill the disk by asking for
every width from 1 to 5000. ``edoc gc`` purges the cache: the pages of the blobs it deletes
(:func:`drop_pages`) and pages nobody has read for a while (:func:`drop_stale_pages`; a hit
refreshes a page's time).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.errors import AppError, NotFound
from edoc.core.transactions import slow_work
from edoc.documents import files
from search.extract import ran_out_of_memory

#: The widths (pixels) a page is rendered at; a request is served at the nearest one above.
WIDTHS = (480, 800, 1200, 1600)
RENDER_TIMEOUT_SECONDS = 30


class PreviewFailed(AppError):
    """A page could not be shown; the message says why and what to do instead."""

    status = 422


def width_step(requested: int | None) -> int:
    """The smallest rendered width at least ``requested`` (the largest if none is)."""
    if not requested or requested <= 0:
        return WIDTHS[1]
    return next((w for w in WIDTHS if w >= requested), WIDTHS[-1])


def cache_dir() -> Path:
    root = current_app.config["EDOC"].data_dir / "cache" / "pages"
    root.mkdir(parents=True, exist_ok=True)
    return root


def cached_path(sha256: str, page: int, width: int) -> Path:
    return cache_dir() / sha256[:2] / f"{sha256}-p{page}-w{width}.png"


@slow_work
def page_png(sha256: str, page: int, width: int, page_count: int | None) -> Path:
    """The PNG of ``page`` (1-based) of the stored PDF ``sha256`` at ``width`` pixels.

    Runs with no transaction open (a hostile file may take the whole time limit). Raises
    :class:`NotFound` for a page the file does not have and :class:`PreviewFailed` when poppler
    cannot render it within its bounds.
    """
    if page < 1 or (page_count is not None and page > page_count):
        raise NotFound("page_not_found", _("Văn bản không có trang %(n)s.", n=page))
    target = cached_path(sha256, page, width)
    if target.is_file():
        target.touch()  # read now: :func:`drop_stale_pages` keeps it
        return target
    with tempfile.TemporaryDirectory(dir=files.tmp_root()) as directory:
        source = Path(directory) / "van-ban.pdf"
        with storage_errors(), blob_store().open(sha256) as stream, source.open("wb") as out:
            shutil.copyfileobj(stream, out, length=1024 * 1024)
        prefix = Path(directory) / "trang"
        _render(source, prefix, page, width)
        produced = prefix.with_suffix(".png")
        if not produced.is_file() or produced.stat().st_size == 0:
            raise NotFound("page_not_found", _("Văn bản không có trang %(n)s.", n=page))
        target.parent.mkdir(parents=True, exist_ok=True)
        # A unique name in the cache's own directory, then a rename: a reader sees the whole
        # image or none, and two renders of the same page (threads of one process) never
        # write into the same temporary file.
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as out, produced.open("rb") as rendered:
                shutil.copyfileobj(rendered, out)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return target


def drop_pages(sha256s: Iterable[str]) -> int:
    """Remove the cached pages of these blobs (deleted ones: their pages must go with them);
    returns how many files were removed."""
    removed = 0
    for sha256 in sha256s:
        for path in (cache_dir() / sha256[:2]).glob(f"{sha256}-p*.png"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def drop_stale_pages(max_age: timedelta) -> int:
    """Remove cached pages (and temporary files left by a crash) not read for ``max_age``, so
    the cache holds what is being read, not every page ever shown; returns how many."""
    cutoff = time.time() - max_age.total_seconds()
    removed = 0
    for path in cache_dir().rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _render(source: Path, prefix: Path, page: int, width: int) -> None:
    command = ["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-singlefile"]
    command += ["-scale-to-x", str(width), "-scale-to-y", "-1", str(source), str(prefix)]
    try:
        done = files.run_file_tool(command, timeout=RENDER_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise PreviewFailed(
            "preview_timeout",
            _(
                "Trang này mất quá nhiều thời gian để hiển thị (quá %(s)s giây); hãy tải tệp về "
                "để đọc.",
                s=RENDER_TIMEOUT_SECONDS,
            ),
        ) from error
    except FileNotFoundError as error:
        raise PreviewFailed(
            "preview_unavailable",
            _("Máy chủ chưa cài công cụ hiển thị PDF (poppler-utils); hãy tải tệp về để đọc."),
            status=503,
        ) from error
    if ran_out_of_memory(done):
        raise PreviewFailed(
            "preview_too_large",
            _(
                "Trang này vượt giới hạn bộ nhớ dành cho việc hiển thị (tệp có thể bị làm hỏng "
                "cố ý); hãy tải tệp về để đọc bằng phần mềm đọc PDF."
            ),
        )
    if done.returncode != 0:
        raise PreviewFailed(
            "preview_failed",
            _("Không hiển thị được trang %(n)s của văn bản; hãy tải tệp về để đọc.", n=page),
        )
