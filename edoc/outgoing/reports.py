"""The outgoing register (sổ đăng ký văn bản đi): every number, used or void, ND30 columns."""

from __future__ import annotations

from datetime import date

from flask import Response
from flask_babel import gettext as _

from edoc.core.clock import to_local
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.outgoing import services
from edoc.outgoing.authority import authority_lines
from edoc.outgoing.models import OutgoingDocument
from edoc.reports.http import register_download
from edoc.reports.tables import Column, Table, dmy
from edoc.users.models import User

COLUMNS = [
    Column("Số, ký hiệu văn bản", 28),
    Column("Ngày tháng văn bản", 20),
    Column("Tên loại và trích yếu nội dung", 64),
    Column("Người ký", 28),
    Column("Nơi nhận văn bản", 38),
    Column("Đơn vị, người nhận bản lưu", 25),
    Column("Số lượng bản", 13),
    Column("Ngày chuyển", 18),
    Column("Ký nhận", 16),
    Column("Ghi chú", 23),
]


def _signer_cell(outgoing: OutgoingDocument) -> str:
    """The signer's name over the authority they signed under ("KT. CHỦ TỊCH, PHÓ CHỦ TỊCH")."""
    if outgoing.signer is None:
        return ""
    try:
        block = ", ".join(authority_lines(outgoing))
    except AppError:  # the agency's titles were cleared since: the name alone
        return outgoing.signer.full_name
    return f"{outgoing.signer.full_name}\n{block}"


def build_register(user: User, date_from: date, date_to: date, code: str = "DI") -> Table:
    rows: list[list[str]] = []
    void_rows: set[int] = set()
    for allocation in services.register_rows(user, date_from, date_to, code):
        outgoing = db.session.get(OutgoingDocument, allocation.document_id)
        document = outgoing.document
        issued = to_local(outgoing.issued_at).date() if outgoing.issued_at else None
        if allocation.status == "issued" and issued and not date_from <= issued <= date_to:
            continue
        if allocation.status == "void":
            void_rows.add(len(rows))
            note = _("Số không sử dụng: %(r)s", r=allocation.reason)
        elif outgoing.recalled_at:
            note = _("Đã thu hồi: %(r)s", r=outgoing.recall_reason)
        else:
            note = ""
        rows.append(
            [
                document.number_notation
                if allocation.status == "issued"
                else f"{allocation.number:02d}",
                dmy(document.issued_date),
                f"{document.doc_type.name}: {document.subject}",
                _signer_cell(outgoing),
                "; ".join(outgoing.recipient_list),
                outgoing.drafter.unit.name if outgoing.drafter.unit else "",
                str(outgoing.copies),
                dmy(issued),
                "",
                note,
            ]
        )
    return Table(
        title=_("SỔ ĐĂNG KÝ VĂN BẢN ĐI"),
        subtitle=_("Từ ngày %(a)s đến ngày %(b)s", a=dmy(date_from), b=dmy(date_to)),
        columns=COLUMNS,
        rows=rows,
        agency=services.agency_name(),
        highlight_rows=void_rows,
    )


def register_response(user: User, date_from: date, date_to: date, fmt: str) -> Response:
    table = build_register(user, date_from, date_to)
    return register_download(
        table, "so-van-ban-di", "outgoing.register_exported", user, date_from, date_to, fmt
    )
