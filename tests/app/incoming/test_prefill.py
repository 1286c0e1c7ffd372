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


WRAPPED_LETTER = """UBND TỈNH DEMO
SỞ TÀI CHÍNH
Số: 215/STC-QLNS
V/v hướng dẫn lập dự toán ngân sách nhà nước
năm 2027 và kế hoạch tài chính - ngân sách
nhà nước 03 năm 2027-2029

CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Demo, ngày 10 tháng 7 năm 2026
Kính gửi: Các sở, ban, ngành tỉnh
Sở Tài chính đề nghị các đơn vị lập dự toán theo hướng dẫn.
Nơi nhận:
- Như trên;
- Lưu: VT, QLNS.
KT. GIÁM ĐỐC
PHÓ GIÁM ĐỐC
(Đã ký)
Lê Thị Hồng Nhung
"""

WRAPPED_DECISION = """ỦY BAN NHÂN DÂN
TỈNH BÌNH MINH
Số: 125/QĐ-UBND
QUYẾT ĐỊNH
Về việc ban hành Kế hoạch phòng chống thiên tai
và tìm kiếm cứu nạn năm 2026
CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH BÌNH MINH
Căn cứ Luật Phòng, chống thiên tai;
"""


def test_a_subject_over_several_lines_is_read_whole() -> None:
    guess = guess_fields(WRAPPED_LETTER)
    assert guess["subject"] == (
        "V/v hướng dẫn lập dự toán ngân sách nhà nước năm 2027 và kế hoạch tài chính - "
        "ngân sách nhà nước 03 năm 2027-2029"
    )
    assert guess_fields(WRAPPED_DECISION)["subject"] == (
        "Về việc ban hành Kế hoạch phòng chống thiên tai và tìm kiếm cứu nạn năm 2026"
    )


def test_the_signer_is_read_from_page_one_unless_the_certificate_names_them() -> None:
    assert guess_fields(WRAPPED_LETTER)["signer_name"] == "Lê Thị Hồng Nhung"
    certified = guess_fields(WRAPPED_LETTER, signer_name="Lê Thị Hồng Nhung (chứng thư)")
    assert certified["signer_name"] == "Lê Thị Hồng Nhung (chứng thư)"
    assert "signer_name" not in guess_fields(WRAPPED_DECISION)


def test_an_agency_seal_is_not_the_signer() -> None:
    """A document sealed by its agency names the agency in the certificate: the person who
    signed is the name under the authority lines of page 1."""
    guess = guess_fields(WRAPPED_LETTER, signer_name="Sở Tài chính tỉnh Demo", signer_org="")
    assert guess["signer_name"] == "Lê Thị Hồng Nhung"
    sealed = guess_fields(WRAPPED_DECISION, signer_name="UBND tỉnh Bình Minh", signer_org="x")
    assert "signer_name" not in sealed
