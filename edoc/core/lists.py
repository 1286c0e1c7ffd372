"""Helpers of the shared list templates (``templates/_lists.html``)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.DOTALL | re.IGNORECASE)
_CELL = re.compile(r"<t([dh])\b([^>]*)>", re.IGNORECASE)
_COLSPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""", re.IGNORECASE)


def label_cells(rows_html: str, headings: Sequence[object]) -> Markup:
    """Each cell of ``rows_html`` (the ``<tr>`` rows a list page wrote) with
    ``data-label="<its column's heading>"``.

    On a phone a table becomes a stack of cards, one per row, and each cell shows its label
    before the value (``td::before { content: attr(data-label) }`` in edoc.css): done here, on
    the server, so it holds without JavaScript and every list page gets it from the macro
    instead of repeating its headings in every cell. Cells that already have a label, and cells
    spanning several columns (the "nothing here" row), are left as they are.
    """
    labels = [str(escape(str(heading))) for heading in headings]

    def row(match: re.Match[str]) -> str:
        column = 0

        def cell(found: re.Match[str]) -> str:
            nonlocal column
            kind, attributes = found.group(1), found.group(2)
            span = _COLSPAN.search(attributes)
            width = int(span.group(1)) if span else 1
            label = labels[column] if column < len(labels) else ""
            column += width
            if width > 1 or not label or "data-label" in attributes:
                return found.group(0)
            return f'<t{kind}{attributes} data-label="{label}">'

        return match.group(1) + _CELL.sub(cell, match.group(2)) + match.group(3)

    return Markup(_ROW.sub(row, str(rows_html)))
