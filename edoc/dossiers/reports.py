"""The transfer list (mục lục hồ sơ nộp lưu) and the handover record, as one PDF."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _

from edoc.core.clock import local_today
from edoc.documents.agency import agency_name
from edoc.dossiers.models import Dossier
from edoc.reports.http import table_response
from edoc.reports.tables import Column, Table, dmy
from edoc.users.models import User

COLUMNS = [
    Column("STT", 12),
    Column("Mã hồ sơ", 38),
    Column("Tiêu đề hồ sơ", 98),
    Column("Thời gian tài liệu", 40),
    Column("Thời hạn bảo quản", 25),
    Column("Số văn bản", 20),
    Column("Số trang", 20),
    Column("Ghi chú", 20),
]


def transfer_table(dossiers: list[Dossier], archivist: User) -> Table:
    rows = []
    for index, dossier in enumerate(dossiers, start=1):
        period = ""
        if dossier.start_date and dossier.end_date:
            period = f"{dmy(dossier.start_date)} – {dmy(dossier.end_date)}"
        rows.append(
            [
                str(index),
                f"{dossier.year}.{dossier.code}",
                dossier.title,
                period,
                _("%(n)s năm", n=dossier.retention_years)
                if dossier.retention_years
                else _("Vĩnh viễn"),
                str(len(dossier.entries)),
                str(dossier.page_count or 0),
                "",
            ]
        )
    today = dmy(local_today())
    return Table(
        title=_("MỤC LỤC HỒ SƠ, TÀI LIỆU NỘP LƯU"),
        subtitle=_(
            "Kèm theo Biên bản giao nhận ngày %(d)s — bên giao: các đơn vị; "
            "bên nhận: %(a)s (Lưu trữ cơ quan). Tổng số: %(n)s hồ sơ.",
            d=today,
            a=archivist.full_name,
            n=len(dossiers),
        ),
        columns=COLUMNS,
        rows=rows,
        agency=agency_name(),
    )


def transfer_response(dossiers: list[Dossier], archivist: User) -> Response:
    return table_response(transfer_table(dossiers, archivist), "muc-luc-nop-luu", "pdf")
