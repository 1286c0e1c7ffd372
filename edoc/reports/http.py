"""Sending a report table as a PDF or XLSX download."""

from __future__ import annotations

from flask import Response

from edoc.reports.tables import Table, render_pdf, render_xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(table: Table, basename: str, fmt: str) -> Response:
    if fmt == "xlsx":
        body, mimetype = render_xlsx(table), XLSX_TYPE
    else:
        fmt, body, mimetype = "pdf", render_pdf(table), "application/pdf"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{basename}.{fmt}"'},
    )
