"""Sending a report table as a PDF or XLSX download."""

from __future__ import annotations

from datetime import date

from flask import Response

from edoc.audit.services import record
from edoc.reports.tables import Table, render_pdf, render_xlsx
from edoc.users.models import User

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


def register_download(
    table: Table, name: str, action: str, user: User, date_from: date, date_to: date, fmt: str
) -> Response:
    """A register for a date range as a download named after it; the export is audited."""
    record(
        action,
        actor=user,
        **{"from": date_from.isoformat(), "to": date_to.isoformat(), "format": fmt},
    )
    return table_response(table, f"{name}_{date_from:%Y%m%d}-{date_to:%Y%m%d}", fmt)
