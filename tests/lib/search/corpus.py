"""The documents every backend is held to: small, hand-written, each there for a reason."""

from __future__ import annotations

import datetime as dt

from search.base import (
    SECRECY_MAT,
    SECRECY_NONE,
    SECRECY_TUYET_MAT,
    IndexDocument,
)

D = dt.date

STORM = IndexDocument(
    id="in:1",
    direction="incoming",
    subject="Về việc phòng chống bão số 3 tại Đà Nẵng",
    number_notation="125/QĐ-UBND",
    body="Ủy ban nhân dân thành phố yêu cầu các sở, ngành chủ động ứng phó với bão số 3.",
    doc_type="Quyết định",
    sender="UBND thành phố Đà Nẵng",
    signer="Nguyễn Văn An",
    unit="Văn phòng",
    urgency="Hỏa tốc",
    status="done",
    dossier="HS-2024-01",
    issued_date=D(2024, 9, 10),
    arrival_date=D(2024, 9, 11),
)
REPORT = IndexDocument(
    id="in:2",
    direction="incoming",
    subject="Báo cáo tình hình đầu tư công quý III",
    number_notation="45/BC-SKHĐT",
    body="Sở Kế hoạch và Đầu tư báo cáo tiến độ giải ngân vốn đầu tư công.",
    doc_type="Báo cáo",
    sender="Sở Kế hoạch và Đầu tư",
    signer="Trần Thị Bình",
    unit="Phòng Tài chính",
    urgency="Thường",
    status="processing",
    dossier="HS-2024-02",
    issued_date=D(2024, 10, 2),
)
ENVIRONMENT = IndexDocument(
    id="out:3",
    direction="outgoing",
    subject="Bảo vệ môi trường khu công nghiệp",
    number_notation="07/CV-STNMT",
    body="Đề nghị các doanh nghiệp thực hiện nghiêm quy định về xử lý nước thải.",
    doc_type="Công văn",
    signer="Lê Văn Cường",
    unit="Phòng Tài nguyên",
    urgency="Khẩn",
    status="issued",
    issued_date=D(2024, 3, 15),
)
SECRET_PLAN = IndexDocument(
    id="out:4",
    direction="outgoing",
    subject="Kế hoạch ứng phó bão lũ năm 2024",
    number_notation="12/KH-BCH",
    body="Nội dung mật về lực lượng ứng phó bão.",
    doc_type="Kế hoạch",
    signer="Nguyễn Văn An",
    unit="Văn phòng",
    urgency="Thường",
    secrecy=SECRECY_MAT,
    status="issued",
    dossier="HS-2024-01",
    issued_date=D(2024, 6, 1),
)
TOP_SECRET = IndexDocument(
    id="in:5",
    direction="incoming",
    subject="Phương án đầu tư quốc phòng",
    number_notation="1/TM-BQP",
    body="Tài liệu tuyệt mật về đầu tư và bão.",
    doc_type="Phương án",
    sender="Bộ Quốc phòng",
    signer="Phạm Văn Dũng",
    unit="Văn phòng",
    urgency="Hỏa tốc",
    secrecy=SECRECY_TUYET_MAT,
    status="done",
    arrival_date=D(2024, 7, 20),
)
SCRIPT = IndexDocument(
    id="in:6",
    direction="incoming",
    subject='Thông báo lịch họp <script>alert("x")</script> & giao ban',
    number_notation="88/TB-VP",
    body="Lịch họp giao ban tuần: <b>thứ Hai</b> lúc 8 giờ & thứ Sáu lúc 14 giờ.",
    doc_type="Thông báo",
    sender="Văn phòng UBND tỉnh",
    unit="Văn phòng",
    urgency="Thường",
    status="done",
    arrival_date=D(2024, 2, 5),
)
RECRUIT = IndexDocument(
    id="out:7",
    direction="outgoing",
    subject="Công văn về việc tuyển dụng viên chức",
    number_notation="126/QĐ-UBND",
    body="Căn cứ Quyết định số 125/QĐ-UBND của Ủy ban nhân dân, tuyển dụng viên chức năm 2024.",
    doc_type="Công văn",
    signer="Trần Thị Bình",
    unit="Phòng Nội vụ",
    urgency="Khẩn",
    status="issued",
    issued_date=D(2024, 11, 20),
)
PUBLIC_BUDGET = IndexDocument(
    id="out:8",
    direction="outgoing",
    subject="Công khai ngân sách và thu hút đầu tư",
    number_notation="9/CV-STC",
    body="Công bố công khai dự toán ngân sách.",
    doc_type="Công văn",
    signer="Lê Văn Cường",
    unit="Phòng Tài chính",
    urgency="Thường",
    status="draft",
    created_at=dt.datetime(2023, 12, 28, 9, 30),
)

NAMED = [STORM, REPORT, ENVIRONMENT, SECRET_PLAN, TOP_SECRET, SCRIPT, RECRUIT, PUBLIC_BUDGET]

# 25 routine documents sharing one phrase, one a day in January 2023: paging and date order.
MEETINGS = [
    IndexDocument(
        id=f"mtg:{i:02d}",
        direction="incoming" if i % 2 else "outgoing",
        subject=f"Giấy mời dự hội nghị tổng kết lần {i}",
        number_notation=f"{200 + i}/GM-VP",
        body="Kính mời đồng chí dự hội nghị tổng kết công tác năm.",
        doc_type="Giấy mời",
        sender="Văn phòng UBND tỉnh" if i % 2 else None,
        unit="Văn phòng",
        urgency="Thường",
        secrecy=SECRECY_NONE,
        status="done",
        arrival_date=D(2023, 1, i),
    )
    for i in range(1, 26)
]

ALL = NAMED + MEETINGS
BY_ID = {d.id: d for d in ALL}


def visible(clearance: int) -> list[IndexDocument]:
    return [d for d in ALL if d.secrecy <= clearance]
