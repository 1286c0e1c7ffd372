from __future__ import annotations

from edoc.incoming.prefill import guess_fields

DECISION_PAGE = """ỦY BAN NHÂN DÂN
TỈNH BÌNH MINH
Số: 125/QĐ-UBND

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Bình Minh, ngày 05 tháng 3 năm 2026

QUYẾT ĐỊNH
Về việc ban hành Kế hoạch phòng chống thiên tai năm 2026
"""

LETTER_PAGE = """SỞ TÀI CHÍNH
Số: 07/STC-NS
V/v báo cáo quyết toán ngân sách năm 2025
Hà Nội, ngày 31 tháng 12 năm 2025
"""


def test_decision_fields_are_read_from_page_one() -> None:
    guess = guess_fields(DECISION_PAGE)
    assert guess == {
        "number_notation": "125/QĐ-UBND",
        "issued_date": "2026-03-05",
        "doc_type": "QĐ",
        "subject": "Về việc ban hành Kế hoạch phòng chống thiên tai năm 2026",
        "sender_org": "ỦY BAN NHÂN DÂN TỈNH BÌNH MINH",
    }


def test_official_letter_is_a_cong_van() -> None:
    guess = guess_fields(LETTER_PAGE, signer_name="Trần Văn Bình", signer_org="Sở Tài chính")
    assert guess["doc_type"] == "CV"
    assert guess["number_notation"] == "07/STC-NS"
    assert guess["subject"] == "V/v báo cáo quyết toán ngân sách năm 2025"
    assert guess["sender_org"] == "Sở Tài chính"
    assert guess["signer_name"] == "Trần Văn Bình"


def test_nothing_recognisable_gives_nothing() -> None:
    assert guess_fields("lorem ipsum\n\n") == {}
    assert guess_fields("ngày 31 tháng 02 năm 2026") == {}
