"""The processing slip (phiếu xử lý văn bản đến) of one incoming document, as an A4 PDF.

What a clerk prints and clips to the paper original, and what a leader signs on paper where
work is still done that way: the document's particulars, the leader's direction with the lead
and cooperating units and the deadline, each assignee's progress, and the audited history.
Only someone who may see the document gets its slip (``get_incoming`` answers 404 otherwise),
and each print is recorded in the document's history.
"""

from __future__ import annotations

import io
from datetime import datetime

from flask import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import select

from edoc.audit.labels import action_label
from edoc.core.clock import to_local, utcnow
from edoc.core.extensions import db
from edoc.documents import records
from edoc.documents.agency import agency_name
from edoc.documents.models import Urgency
from edoc.incoming import services
from edoc.incoming.models import IncomingDocument, ReceivedVia
from edoc.reports.tables import dmy, escape_markup_lines, register_fonts
from edoc.users.models import CLEARANCE_LABELS, Unit, User

TASK_STATUS = {
    "open": _l("Chưa xử lý"),
    "in_progress": _l("Đang xử lý"),
    "done": _l("Đã hoàn thành"),
    "superseded": _l("Đã được thay bằng chỉ đạo mới"),
}


def _when(value: datetime | None) -> str:
    return to_local(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _rows(incoming: IncomingDocument) -> list[tuple[str, str]]:
    document = incoming.document
    via = ReceivedVia(incoming.received_via).label
    return [
        (_("Số đến"), str(incoming.arrival_number or "")),
        (_("Ngày đến"), _when(incoming.received_at)),
        (_("Sổ"), incoming.register.name),
        (_("Cơ quan gửi"), document.issuer_org),
        (_("Số, ký hiệu"), document.number_notation),
        (_("Ngày văn bản"), dmy(document.issued_date)),
        (_("Loại văn bản"), document.doc_type.name),
        (_("Trích yếu"), document.subject),
        (_("Người ký"), document.signer_name),
        (_("Độ khẩn"), Urgency(document.urgency).label),
        (_("Độ mật"), str(CLEARANCE_LABELS.get(document.secrecy, "")) if document.secrecy else ""),
        (_("Hình thức nhận"), via),
        (_("Số trang"), str(document.page_count or "")),
    ]


def render_slip(incoming: IncomingDocument, printed_by: User) -> bytes:
    regular, bold = register_fonts()
    cell = ParagraphStyle("cell", fontName=regular, fontSize=10, leading=13)
    label = ParagraphStyle("label", parent=cell, fontName=bold)
    heading = ParagraphStyle("heading", parent=cell, fontName=bold, fontSize=11, spaceBefore=8)
    title = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18, alignment=1)
    small = ParagraphStyle("small", parent=cell, fontSize=8, leading=10)

    def p(text: str, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape_markup_lines(text), style)

    def grid(data: list[list[Paragraph]], widths: list[float], header: bool = False) -> Table:
        table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1 if header else 0)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        table.setStyle(TableStyle(style))
        return table

    story: list = [
        p(agency_name().upper(), label),
        Spacer(1, 4 * mm),
        p(_("PHIẾU XỬ LÝ VĂN BẢN ĐẾN"), title),
        Spacer(1, 5 * mm),
        grid([[p(k, label), p(v)] for k, v in _rows(incoming)], [45, 135]),
    ]
    units = {u.id: u.name for u in db.session.scalars(select(Unit))}
    story.append(p(_("Ý kiến chỉ đạo của lãnh đạo"), heading))
    if not incoming.routings:
        story.append(p(_("Chưa có ý kiến chỉ đạo.")))
    for index, routing in enumerate(incoming.routings, start=1):
        lead = routing.lead_unit.name if routing.lead_unit else ""
        if routing.lead_user is not None:
            lead = ", ".join(filter(None, [lead, routing.lead_user.full_name]))
        cooperating = ", ".join(units.get(i, "") for i in routing.cooperating_unit_ids or [])
        rows = [
            (_("Lãnh đạo chỉ đạo"), routing.directed_by.full_name),
            (_("Thời điểm"), _when(routing.created_at)),
            (_("Ý kiến chỉ đạo"), routing.direction_text),
            (_("Đơn vị, người chủ trì"), lead),
            (_("Đơn vị phối hợp"), cooperating),
            (_("Hạn giải quyết"), dmy(routing.deadline) or _("Không có")),
        ]
        if len(incoming.routings) > 1:
            story.append(p(_("Lần %(n)s", n=index), label))
        story.append(grid([[p(k, label), p(v)] for k, v in rows], [45, 135]))
        tasks = [
            [
                p(h, label)
                for h in (_("Phần việc"), _("Người, đơn vị"), _("Tình trạng"), _("Báo cáo"))
            ]
        ]
        for task in routing.tasks:
            who = task.user.full_name if task.user else (task.unit.name if task.unit else "")
            notes = "\n".join(
                f"{_when(n.created_at)} {n.author.full_name}: {n.text}" for n in task.notes
            )
            kind = _("Chủ trì") if task.kind == "lead" else _("Phối hợp")
            status = str(TASK_STATUS.get(task.status, ""))
            done = f"\n{_when(task.completed_at)}" if task.completed_at else ""
            tasks.append([p(kind), p(who), p(status + done), p(notes)])
        story += [Spacer(1, 2 * mm), grid(tasks, [22, 45, 35, 78], header=True)]
    story.append(p(_("Lịch sử xử lý"), heading))
    history = [[p(h, label) for h in (_("Thời điểm"), _("Người thực hiện"), _("Nội dung"))]]
    for event in records.history(incoming.document_id):
        history.append([p(_when(event.at)), p(event.actor_name), p(action_label(event.action))])
    story += [
        grid(history, [35, 55, 90], header=True),
        Spacer(1, 6 * mm),
        p(_("In lúc %(t)s, người in: %(n)s", t=_when(utcnow()), n=printed_by.full_name), small),
    ]

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Phiếu xử lý văn bản đến"),
        author=agency_name(),
    )
    document.build(story)
    return buffer.getvalue()


def slip_response(document_id: int, user: User) -> Response:
    """The slip of a document ``user`` may see, as a PDF shown in the browser (for printing)."""
    incoming = services.get_incoming(document_id, user)
    body = render_slip(incoming, user)
    records.audit("incoming.slip_printed", user, document_id)
    name = f"phieu-xu-ly-{incoming.arrival_number or document_id}.pdf"
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
