"""A year of realistic paperwork for the demo agency, created through the application's services.

Everything goes through the same functions the pages call (receive, present, route, report,
create_draft, submit, dossier services), so the demo also exercises them. Content is written
for the project; dates are spread over the current year, some deadlines already passed.
"""

from __future__ import annotations

import io
import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from edoc.documents import files
from edoc.documents.models import Document, DocumentType
from edoc.dossiers import services as dossiers
from edoc.extensions import db
from edoc.incoming import services as incoming
from edoc.outgoing import services as outgoing
from edoc.reports.tables import _register_fonts
from edoc.timeutil import local_zone
from edoc.users.models import Unit, User

SENDERS = [
    ("SỞ TÀI CHÍNH TỈNH DEMO", "Sở Tài chính tỉnh Demo", "STC-NS"),
    ("SỞ NỘI VỤ TỈNH DEMO", "Sở Nội vụ tỉnh Demo", "SNV-TCBC"),
    ("CÔNG AN TỈNH DEMO", "Công an tỉnh Demo", "CAT-PV01"),
    ("BỘ NỘI VỤ", "Bộ Nội vụ", "BNV-VP"),
    ("UBND HUYỆN BÌNH AN", "UBND huyện Bình An", "UBND-VP"),
    ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "Sở Tài nguyên và Môi trường tỉnh Demo", "STNMT-QLĐĐ"),
    ("SỞ Y TẾ TỈNH DEMO", "Sở Y tế tỉnh Demo", "SYT-NVY"),
    ("BAN CHỈ HUY PCTT VÀ TKCN TỈNH", "Ban Chỉ huy PCTT và TKCN tỉnh Demo", "BCH-PCTT"),
]

SUBJECTS = [
    ("CV", "Về việc triển khai các biện pháp ứng phó với cơn bão số 3"),
    ("CV", "Về việc báo cáo quyết toán ngân sách năm 2025"),
    ("KH", "Kế hoạch cải cách hành chính năm 2026"),
    ("CV", "Về việc tăng cường phòng, chống dịch sốt xuất huyết"),
    ("GM", "Mời dự Hội nghị tổng kết công tác phòng chống thiên tai"),
    ("TB", "Thông báo kết luận của Chủ tịch tại cuộc họp giao ban tháng"),
    ("CV", "Về việc rà soát, cập nhật hồ sơ địa chính các xã ven biển"),
    ("QĐ", "Quyết định phê duyệt danh sách hộ nghèo, hộ cận nghèo năm 2026"),
    ("CV", "Về việc đôn đốc giải ngân vốn đầu tư công"),
    ("BC", "Báo cáo tình hình an ninh trật tự quý I"),
    ("CV", "Về việc tổ chức tiêm chủng mở rộng đợt 2"),
    ("HD", "Hướng dẫn thực hiện chuyển đổi số trong cơ quan hành chính"),
    ("CV", "Về việc kiểm tra công tác văn thư, lưu trữ năm 2026"),
    ("CĐ", "Công điện về việc chủ động ứng phó mưa lũ, sạt lở đất"),
    ("CV", "Về việc góp ý dự thảo Quy chế làm việc của UBND tỉnh"),
    ("TB", "Thông báo tuyển dụng công chức năm 2026"),
]

BODY = (
    "Thực hiện chỉ đạo của cấp trên, đề nghị các cơ quan, đơn vị khẩn trương triển khai "
    "thực hiện các nội dung nêu trên, tổng hợp kết quả và báo cáo trước thời hạn quy định. "
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, kịp thời phản ánh để được "
    "hướng dẫn, giải quyết."
)

DIRECTION = "Giao Phòng Tổng hợp chủ trì, tham mưu xử lý; báo cáo kết quả trước hạn."

DRAFTS = [
    (
        "QĐ",
        "Quyết định ban hành Kế hoạch phòng, chống thiên tai và tìm kiếm cứu nạn năm 2026",
        "KT.",
    ),
    ("CV", "Về việc trả lời kiến nghị của cử tri huyện Bình An", ""),
    ("KH", "Kế hoạch kiểm tra công tác cải cách hành chính năm 2026", ""),
    ("TB", "Thông báo lịch tiếp công dân định kỳ quý IV", "TL."),
]

DOSSIERS = [
    (
        "01.VP",
        "Hồ sơ phòng, chống thiên tai và tìm kiếm cứu nạn năm {y}",
        10,
        ("bão", "mưa lũ", "thiên tai"),
    ),
    (
        "02.TH",
        "Hồ sơ cải cách hành chính, chuyển đổi số năm {y}",
        10,
        ("cải cách", "chuyển đổi số"),
    ),
    ("03.KT", "Hồ sơ ngân sách, đầu tư công năm {y}", None, ("ngân sách", "đầu tư công")),
    ("04.NC", "Hồ sơ an ninh trật tự, tiếp công dân năm {y}", 20, ("an ninh", "tiếp công dân")),
    ("05.VP", "Hồ sơ hội nghị, giao ban năm {y}", 5, ("Hội nghị", "giao ban")),
]


def document_pdf(header: str, number: str, issued: date, type_name: str, subject: str) -> bytes:
    """A one-page document laid out as ND30 asks, in a font with every Vietnamese glyph."""
    regular, bold = _register_fonts()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    page.setFont(bold, 11)
    page.drawCentredString(150, height - 60, header)
    page.setFont(regular, 11)
    page.drawCentredString(150, height - 80, f"Số: {number}")
    page.setFont(bold, 11)
    page.drawCentredString(420, height - 60, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    page.drawCentredString(420, height - 76, "Độc lập - Tự do - Hạnh phúc")
    page.setFont(regular, 11)
    page.drawCentredString(
        420, height - 100, f"Demo, ngày {issued.day:02d} tháng {issued.month} năm {issued.year}"
    )
    page.setFont(bold, 14)
    page.drawCentredString(width / 2, height - 150, type_name.upper())
    page.setFont(regular, 12)
    page.drawCentredString(width / 2, height - 170, subject[:95])
    text = page.beginText(72, height - 220)
    text.setFont(regular, 12)
    line = ""
    for word in BODY.split():
        if len(line) + len(word) > 80:
            text.textLine(line)
            line = ""
        line = f"{line} {word}".strip()
    text.textLine(line)
    page.drawText(text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _store(pdf: bytes, name: str) -> files.CheckedFile:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        sha256, size = files.store_path(Path(handle.name))
    return files.CheckedFile(name, "application/pdf", sha256, size, page_count=1)


@dataclass
class DemoCast:
    clerk: User
    leader: User
    specialist: User
    archivist: User


def _cast() -> DemoCast:
    def user(name: str) -> User:
        return db.session.scalar(select(User).where(User.username == name))

    return DemoCast(user("vanthu"), user("lanhdao"), user("chuyenvien"), user("luutru"))


def steps(count: int = 60) -> list[tuple[str, Callable[[], None]]]:
    """The demo as labelled steps, so the command can show a progress bar."""
    rng = random.Random(2026)
    cast = _cast()
    today = datetime.now(local_zone()).date()
    start = date(today.year, 1, 2)
    span = max((today - start).days, 1)
    plan: list[tuple[str, Callable[[], None]]] = []
    received: list[int] = []

    def receive_one(index: int) -> None:
        header, sender, code = rng.choice(SENDERS)
        doc_type, subject = SUBJECTS[index % len(SUBJECTS)]
        day = start + timedelta(days=int(span * index / count))
        issued = day - timedelta(days=rng.randint(1, 3))
        number = (
            f"{rng.randint(5, 480):02d}/{code}"
            if doc_type == "CV"
            else f"{rng.randint(5, 480):02d}/{doc_type}-{code.split('-')[0]}"
        )
        type_name = db.session.get(DocumentType, doc_type).name
        pdf = document_pdf(header, number, issued, type_name, subject)
        fields = incoming.IncomingFields(
            sender_org=sender,
            number_notation=number,
            doc_type=doc_type,
            subject=subject,
            received_via="paper",
            issued_date=issued,
            urgency=3 if doc_type == "CĐ" else (1 if index % 7 == 0 else 0),
            secrecy=1 if index % 17 == 5 else 0,
            received_at=datetime.combine(day, time(8, 30), local_zone())
            .astimezone(UTC)
            .replace(tzinfo=None),
            page_count=1,
        )
        document = incoming.receive(fields, _store(pdf, f"van-ban-den-{index + 1}.pdf"), cast.clerk)
        received.append(document.document_id)
        stage = index % 5
        secret = fields.secrecy > 0
        office = db.session.scalar(select(Unit).where(Unit.code == "VP"))
        if stage == 0:
            return  # registered, waiting to be presented
        incoming.present(document.document_id, cast.leader.id, cast.clerk)
        if stage == 1:
            return  # waiting for the leader's direction
        deadline = day + timedelta(days=rng.choice([7, 10, 15, 30]))
        incoming.route(
            document.document_id,
            cast.leader,
            direction_text=DIRECTION,
            lead_user_id=None if secret else cast.specialist.id,
            lead_unit_id=office.id if secret else None,
            cooperating_unit_ids=[
                u.id for u in db.session.scalars(select(Unit).where(Unit.code == "KT"))
            ],
            deadline=deadline,
            today=day,
        )
        long_past = deadline < today - timedelta(days=20)
        if not secret and (stage >= 3 or long_past) and index % 9 != 2:
            task = next(
                t
                for t in incoming.tasks_for(cast.specialist)
                if t.document_id == document.document_id
            )
            incoming.report_progress(
                task.id,
                cast.specialist,
                "Đã tham mưu văn bản trả lời, trình lãnh đạo ký.",
                done=True,
            )

    for index in range(count):
        plan.append((f"văn bản đến {index + 1}", lambda index=index: receive_one(index)))

    def drafts() -> None:
        for doc_type, subject, prefix in DRAFTS:
            pdf = document_pdf(
                "ỦY BAN NHÂN DÂN TỈNH DEMO",
                "      /" + doc_type + "-UBND",
                today,
                doc_type,
                subject,
            )
            upload = FileStorage(
                io.BytesIO(pdf), filename="du-thao.pdf", content_type="application/pdf"
            )
            draft = outgoing.create_draft(
                outgoing.DraftFields(
                    doc_type=doc_type,
                    subject=subject,
                    authority_prefix=prefix,
                    recipients="Các sở, ban, ngành tỉnh\nLưu: VT, TH",
                    signer_id=cast.leader.id,
                ),
                upload,
                cast.specialist,
            )
            outgoing.submit(draft.document_id, cast.specialist)

    def dossier_list() -> None:
        for code, title, retention, words in DOSSIERS:
            dossier = dossiers.create(
                dossiers.DossierFields(
                    year=today.year,
                    code=code,
                    title=title.format(y=today.year),
                    retention_years=retention,
                    keeper_id=cast.archivist.id,
                ),
                cast.archivist,
            )
            matching = [
                i
                for i in received
                if any(
                    word.lower() in db.session.get(Document, i).subject.lower() for word in words
                )
                and db.session.get(Document, i).secrecy == 0
            ]
            if matching:
                dossiers.add_documents(dossier.id, matching, cast.archivist)
            if code in {"01.VP", "05.VP"} and matching:
                dossiers.close(dossier.id, cast.archivist)

    plan.append(("dự thảo chờ ký", drafts))
    plan.append(("danh mục hồ sơ", dossier_list))
    return plan
