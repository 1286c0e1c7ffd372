"""``/statistics``: the handling and issuing statistics of a period, with charts, as XLSX
and PDF. For leaders and clerks (the clerk prints the weekly report, the leader reads it);
what each may count is said in :mod:`edoc.statistics.queries`."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from edoc.audit.services import record
from edoc.core.auth import roles_required
from edoc.core.clock import MAX_DATE, MIN_DATE, local_today
from edoc.core.forms import FormInvalid, UserDate, load_form
from edoc.documents.agency import agency_name
from edoc.reports.http import table_response
from edoc.reports.tables import Column, Table, dmy
from edoc.statistics.charts import Bar, Segment, bar_chart
from edoc.statistics.queries import CountRow, HandlingRow, Statistics, statistics
from edoc.users.models import Role

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

READERS = (Role.LEADER, Role.CLERK)
COLOURS = {"on_time": "#2e7d32", "late": "#ef6c00", "overdue": "#c62828", "in_progress": "#1565c0"}
REPORTS = ("units", "people", "types", "drafting_units")


def _date(**kwargs: Any) -> UserDate:
    return UserDate(
        validate=validate.Range(
            MIN_DATE, MAX_DATE, error="Ngày phải trong khoảng 01/01/1900 – 31/12/2999."
        ),
        **kwargs,
    )


class PeriodArgs(Schema):
    """The period (``from``, ``to``: dd/mm/yyyy or ISO), and for a download which table."""

    date_from = _date(data_key="from", load_default=None)
    date_to = _date(data_key="to", load_default=None)
    report = fields.String(load_default="units", validate=validate.OneOf(REPORTS))
    fmt = fields.String(
        data_key="format", load_default=None, validate=validate.OneOf(["pdf", "xlsx"])
    )

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise SchemaError("Ngày bắt đầu phải trước ngày kết thúc.", "to")


def _labels() -> dict[str, str]:
    return {
        "on_time": _("Đúng hạn"),
        "late": _("Quá hạn đã xong"),
        "overdue": _("Quá hạn chưa xong"),
        "in_progress": _("Đang xử lý"),
    }


def _handling_chart(title: str, rows: list[HandlingRow]) -> Any:
    labels = _labels()
    bars = [
        Bar(row.label, [Segment(labels[k], getattr(row.counts, k), c) for k, c in COLOURS.items()])
        for row in rows
    ]
    legend = [Segment(labels[k], 0, c) for k, c in COLOURS.items()]
    return bar_chart(title, bars, legend)


def _count_chart(title: str, rows: list[CountRow]) -> Any:
    return bar_chart(title, [Bar(r.label, [Segment(r.label, r.count, "#1565c0")]) for r in rows])


def _period_text(stats: Statistics) -> str:
    return _("Từ ngày %(a)s đến ngày %(b)s", a=dmy(stats.date_from), b=dmy(stats.date_to))


def _handling_table(stats: Statistics, report: str) -> Table:
    first = _("Đơn vị") if report == "units" else _("Cán bộ")
    labels = _labels()
    rows = stats.units if report == "units" else stats.people
    body = [
        [
            row.label,
            str(row.counts.received),
            *(str(getattr(row.counts, k)) for k in COLOURS),
        ]
        for row in rows
    ]
    body.append(
        [
            _("Tổng cộng"),
            str(stats.total.received),
            *(str(getattr(stats.total, k)) for k in COLOURS),
        ]
    )
    title = (
        _("Thống kê tình hình giải quyết văn bản đến theo đơn vị")
        if report == "units"
        else _("Thống kê tình hình giải quyết văn bản đến theo cán bộ")
    )
    return Table(
        title=title.upper(),
        subtitle=_period_text(stats),
        columns=[Column(first, 80), Column(_("Được giao"), 30)]
        + [Column(labels[k], 35) for k in COLOURS],
        rows=body,
        agency=agency_name(),
        highlight_rows={i for i, row in enumerate(rows) if row.counts.overdue},
    )


def _count_table(stats: Statistics, report: str) -> Table:
    by_type = report == "types"
    rows = stats.outgoing_types if by_type else stats.outgoing_units
    title = (
        _("Thống kê văn bản đi đã phát hành theo loại văn bản")
        if by_type
        else _("Thống kê văn bản đi đã phát hành theo đơn vị soạn thảo")
    )
    body = [[r.label, str(r.count)] for r in rows]
    body.append([_("Tổng cộng"), str(stats.outgoing_total)])
    return Table(
        title=title.upper(),
        subtitle=_period_text(stats),
        columns=[
            Column(_("Loại văn bản") if by_type else _("Đơn vị soạn thảo"), 120),
            Column(_("Số văn bản"), 40),
        ],
        rows=body,
        agency=agency_name(),
    )


def report_table(stats: Statistics, report: str) -> Table:
    """One of the page's tables as the register renderers take it."""
    if report in ("units", "people"):
        return _handling_table(stats, report)
    return _count_table(stats, report)


#: The longest period counted: beyond it the page would read years of documents for one table.
MAX_PERIOD_YEARS = 5


def _period(args: dict[str, Any]) -> tuple[date, date]:
    """The period asked for. Without a start, the first of the end's month (not of this month,
    which comes after an end in an earlier month); without an end, today, or the start itself
    when it is later (a one-day period)."""
    today = local_today()
    end = args["date_to"] or today
    start = args["date_from"] or end.replace(day=1)
    if start > end:  # only the start given, after today
        end = start
    return start, end


def _too_long(start: date, end: date) -> bool:
    """Whether the period runs past ``MAX_PERIOD_YEARS`` years after its start (29/02 counts
    as 28/02 in a year without it)."""
    year = start.year + MAX_PERIOD_YEARS
    try:
        limit = start.replace(year=year)
    except ValueError:
        limit = date(year, 2, 28)
    return end > limit


@bp.route("/")
@roles_required(*READERS)
def statistics_page() -> Any:
    errors: dict[str, str] = {}
    try:
        args = load_form(PeriodArgs(), request.args)
    except FormInvalid as error:
        errors = error.fields
        args = {"date_from": None, "date_to": None, "report": "units", "fmt": None}
    date_from, date_to = _period(args)
    if not errors and _too_long(date_from, date_to):
        errors = {
            "to": _("Khoảng thời gian thống kê không được dài quá %(n)s năm.", n=MAX_PERIOD_YEARS)
        }
        date_from, date_to = _period({"date_from": None, "date_to": None})
    stats = statistics(current_user, date_from, date_to)
    if args["fmt"] and not errors:
        return _download(stats, args["report"], args["fmt"])
    return (
        render_template(
            "statistics/index.html",
            stats=stats,
            errors=errors,
            values=request.args,
            labels=_labels(),
            outcomes=list(COLOURS),
            outcome_labels=[_labels()[k] for k in COLOURS],
            charts={
                "units": _handling_chart(_("Theo đơn vị"), stats.units),
                "people": _handling_chart(_("Theo cán bộ"), stats.people),
                "types": _count_chart(_("Theo loại văn bản"), stats.outgoing_types),
                "drafting_units": _count_chart(_("Theo đơn vị soạn thảo"), stats.outgoing_units),
            },
        ),
        422 if errors else 200,
    )


def _download(stats: Statistics, report: str, fmt: str) -> Response:
    record(
        "statistics.exported",
        actor=current_user._get_current_object(),
        report=report,
        format=fmt,
        **{"from": stats.date_from.isoformat(), "to": stats.date_to.isoformat()},
    )
    name = f"thong-ke-{report.replace('_', '-')}_{stats.date_from:%Y%m%d}-{stats.date_to:%Y%m%d}"
    table = report_table(stats, report)
    if fmt == "xlsx":  # numbers as numbers, so the spreadsheet can sum and chart them
        table.rows = [[int(v) if v.isdigit() else v for v in row] for row in table.rows]  # type: ignore[misc]
    return table_response(table, name, fmt)
