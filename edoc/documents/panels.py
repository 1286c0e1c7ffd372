"""Boxes and marks that upper areas add to the document pages of lower ones.

The incoming and outgoing pages sit below the areas that follow their documents (exchange
shows a dispatch's status timeline on the outgoing page, where an incoming document came from
on its page, a badge in the incoming list). Those areas register a renderer here when the app
starts; the lower area's template asks for whatever is registered for its page
(``document_panels('outgoing.detail', document.id)``, ``list_marks('incoming.list', ids)``)
without knowing who answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from flask import Flask, current_app
from markupsafe import Markup

#: document id → the box's HTML (a rendered template), or None when it has nothing to show.
PanelRenderer = Callable[[int], str | None]
#: document ids of a list page → the HTML of a mark for each document that gets one.
MarkLookup = Callable[[Sequence[int]], dict[int, str]]

PANELS = "edoc.document_panels"
MARKS = "edoc.list_marks"


def register_panel(app: Flask, page: str, render: PanelRenderer) -> None:
    """Show ``render(document_id)`` on ``page`` (e.g. ``outgoing.detail``), in the order
    registered."""
    app.extensions.setdefault(PANELS, {}).setdefault(page, []).append(render)


def register_list_marks(app: Flask, page: str, lookup: MarkLookup) -> None:
    """Mark rows of the list ``page`` (one call per page of rows, not one per row)."""
    app.extensions.setdefault(MARKS, {}).setdefault(page, []).append(lookup)


def document_panels(page: str, document_id: int) -> list[Markup]:
    renderers = current_app.extensions.get(PANELS, {}).get(page, [])
    rendered = (render(document_id) for render in renderers)
    return [Markup(html) for html in rendered if html]


def list_marks(page: str, document_ids: Iterable[int]) -> dict[int, Markup]:
    ids = list(document_ids)
    marks: dict[int, list[str]] = {}
    for lookup in current_app.extensions.get(MARKS, {}).get(page, []) if ids else []:
        for document_id, html in lookup(ids).items():
            marks.setdefault(document_id, []).append(html)
    return {document_id: Markup(" ".join(parts)) for document_id, parts in marks.items()}
