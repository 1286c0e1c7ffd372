"""``edoc reindex`` and ``edoc search-status``: rebuild the index, and see whether it is current."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from edoc.search.indexing import reindex
from edoc.search.services import status_report


@click.command("reindex")
@click.option("--skip-text", is_flag=True, help="Do not read text (or OCR) files not read yet.")
@with_appcontext
def reindex_command(skip_text: bool) -> None:
    """Rebuild the search index from the database, with a progress bar."""
    count = reindex_with_progress("Lập chỉ mục", read_missing_text=not skip_text)
    click.echo(f"reindex: {count} văn bản đã được lập chỉ mục")


def reindex_with_progress(label: str, *, read_missing_text: bool = True) -> int:
    with click.progressbar(length=1, label=label, show_pos=True) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        return reindex(progress, read_missing_text=read_missing_text)


@click.command("search-status")
@with_appcontext
def search_status_command() -> None:
    """Whether the search engine answers and how many changes wait to be indexed (JSON)."""
    report = status_report()
    click.echo(json.dumps(report, default=str, ensure_ascii=False, indent=2))
    raise SystemExit(0 if report["ok"] else 1)
