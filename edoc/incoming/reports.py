"""The incoming register (sổ đăng ký văn bản đến) with the ND30 columns, as PDF and XLSX."""

from __future__ import annotations

from datetime import date

from flask import Response
from flask_babel import gettext as _
from sqlalchemy import select

from edoc.core.clock import local_day_end_utc, local_day_start_utc, to_local
from edoc.core.errors import NotFound
from edoc.core.extensions import db
from edoc.documents.access import visible
from edoc.documents.agency import agency_name
from edoc.documents.models import Document, Register
from edoc.incoming.models import IncomingDocument
from edoc.reports.http import register_download
from edoc.reports.tables import Column, Table, dmy
from edoc.users.models import User

COLUMNS = [
    Column("Ngày đến", 20),
    Column("Số đến", 14),
    Column("Tác giả", 35),
    Column("Số, ký hiệu", 28),
    Column("Ngày tháng văn bản", 20),
    Column("Tên loại và trích yếu nội dung", 70),
    Column("Đơn vị hoặc người nhận", 30),
    Column("Ngày chuyển", 20),
    Column("Ký nhận", 16),
    Column("Ghi chú", 20),
]


def build_register(user: User, date_from: date, date_to: date, register_code: str = "DEN") -> Table:
    register = db.session.scalar(
        select(Register).where(Register.direction == "incoming", Register.code == register_code)
    )
    if register is None or (register.secret and user.clearance == 0):
        raise NotFound("register_not_found", _("Không tìm thấy sổ văn bản đến."))
    query = visible(
        select(IncomingDocument)
        .join(Document, Document.id == IncomingDocument.document_id)
        .where(
            IncomingDocument.register_id == register.id,
            IncomingDocument.arrival_number.is_not(None),
            IncomingDocument.received_at >= local_day_start_utc(date_from),
            IncomingDocument.received_at < local_day_end_utc(date_to),
        )
        .order_by(IncomingDocument.arrival_year, IncomingDocument.arrival_number),
        user,
    )
    rows = []
    for incoming in db.session.scalars(query):
        document = incoming.document
        routing = incoming.current_routing
        recipient = incoming.recipient
        if routing is not None:
            recipient = (routing.lead_unit.name if routing.lead_unit else "") or (
                routing.lead_user.full_name if routing.lead_user else ""
            )
        elif incoming.presented_to is not None:
            recipient = incoming.presented_to.full_name
        handed_over = routing.created_at if routing else incoming.presented_at
        notes = [incoming.note] if incoming.note else []
        if document.secrecy:
            notes.append(_("Mật"))
        rows.append(
            [
                dmy(to_local(incoming.received_at).date()),
                str(incoming.arrival_number),
                document.issuer_org,
                document.number_notation,
                dmy(document.issued_date),
                f"{document.doc_type.name}: {document.subject}",
                recipient,
                dmy(to_local(handed_over).date()) if handed_over else "",
                "",
                "; ".join(notes),
            ]
        )
    return Table(
        title=register.name.upper(),
        subtitle=_("Từ ngày %(a)s đến ngày %(b)s", a=dmy(date_from), b=dmy(date_to)),
        columns=COLUMNS,
        rows=rows,
        agency=agency_name(),
    )


def register_response(user: User, date_from: date, date_to: date, fmt: str) -> Response:
    table = build_register(user, date_from, date_to)
    return register_download(
        table, "so-van-ban-den", "incoming.register_exported", user, date_from, date_to, fmt
    )
