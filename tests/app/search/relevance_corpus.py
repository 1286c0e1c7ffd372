"""A relevance test set: incoming correspondence of a provincial People's Committee, and queries.

The documents are written for this test in the ND30 style a clerk of Văn phòng UBND tỉnh
receives every day (storms and floods, dykes, public investment, administrative reform, land,
health, education …). Each has a short ``key``; the queries (data, in relevance_queries.toml)
name their expected results by key.

What the corpus is built to exercise:

* near-duplicates that differ only by diacritics — bão / báo / bảo, đê / đề, "bão lũ" /
  "dự báo lũ" — so that a query typed with exact diacritics must put the exact word first;
* number notations that share parts (125/QĐ-UBND, 125/QĐ-SNNPTNT, 12/QĐ-UBND, and a letter
  whose subject cites 125/QĐ-UBND), and the ND30 leading zero (07/BC-SKHĐT);
* words that appear only inside a PDF page (never in the subject or any other field), some
  on the second page;
* three image-only scans whose words appear nowhere else, so they are found only through OCR;
* two "Mật" documents (secrecy 1), which a specialist without clearance must never see;
* two electronic documents without a valid signature, held as "received" (not registered),
  for the status filter.

Every text PDF carries the ND30 frame (national motto, agency, number, place and date,
"Kính gửi", "Nơi nhận"), so common words occur in every body as they do in real letters.
"""

from __future__ import annotations

import datetime as dt
import textwrap
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fixtures.pdfs import scan_pdf, text_pdf

TYPE_TITLES = {
    "CV": "",
    "QĐ": "QUYẾT ĐỊNH",
    "TB": "THÔNG BÁO",
    "BC": "BÁO CÁO",
    "KH": "KẾ HOẠCH",
    "TTr": "TỜ TRÌNH",
    "NQ": "NGHỊ QUYẾT",
    "CT": "CHỈ THỊ",
    "HD": "HƯỚNG DẪN",
    "GM": "GIẤY MỜI",
    "CĐ": "CÔNG ĐIỆN",
    "BB": "BIÊN BẢN",
}
RECIPIENT = "Kính gửi: Ủy ban nhân dân tỉnh Quảng Ngãi."
LINE_WIDTH = 80


@dataclass(frozen=True)
class Doc:
    """One incoming document; ``body`` holds the content of each page (wrapped when drawn),
    ``scan`` the whole text of an image-only scan (then there is no text layer at all)."""

    key: str
    doc_type: str  # document_types.code
    number: str
    sender: str
    subject: str
    issued: str  # ISO date
    signer: str
    body: tuple[str, ...] = ()
    scan: str = ""
    urgency: int = 0
    secrecy: int = 0
    via: str = "paper"
    place: str = "Quảng Ngãi"

    def pages(self) -> list[str]:
        """The text of each page of the letter, ND30 frame included."""
        day = dt.date.fromisoformat(self.issued)
        head = [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            self.sender.upper(),
            f"Số: {self.number}",
            f"{self.place}, ngày {day.day:02d} tháng {day.month} năm {day.year}",
        ]
        title = TYPE_TITLES[self.doc_type]
        if title:
            head += [title, self.subject]
        else:  # a công văn carries its subject as "V/v …" under the number
            head.append(self.subject.replace("Về việc", "V/v", 1))
        if self.doc_type not in ("QĐ", "NQ", "CT", "BB"):
            head.append(RECIPIENT)
        foot = ["Nơi nhận:", "- Như trên;", "- Lưu: VT.", self.signer]
        pages = []
        for index, content in enumerate(self.body or ("",)):
            lines = head if index == 0 else []
            wrapped = [
                line
                for paragraph in content.split("\n")
                for line in textwrap.wrap(paragraph, LINE_WIDTH) or [""]
            ]
            pages.append("\n".join([*lines, *wrapped]))
        pages[-1] += "\n" + "\n".join(foot)
        return pages

    def pdf(self) -> bytes:
        return scan_pdf(self.scan) if self.scan else text_pdf(*self.pages())

    def form(self) -> dict[str, str]:
        """The multipart fields of ``POST /api/v1/incoming`` (the file is added by the test)."""
        return {
            "sender_org": self.sender,
            "number_notation": self.number,
            "doc_type": self.doc_type,
            "subject": self.subject,
            "received_via": self.via,
            "issued_date": self.issued,
            "urgency": str(self.urgency),
            "secrecy": str(self.secrecy),
            "signer_name": self.signer,
        }


NN = "Sở Nông nghiệp và Phát triển nông thôn"
KHDT = "Sở Kế hoạch và Đầu tư"
STC = "Sở Tài chính"

DOCUMENTS: tuple[Doc, ...] = (
    # ---- storms and floods: bão / báo / bảo --------------------------------------------------
    Doc(
        "cd_bao_so3",
        "CĐ",
        "03/CĐ-BCH",
        "Ban Chỉ huy Phòng thủ dân sự tỉnh",
        "Về việc chủ động ứng phó với bão số 3 và mưa lớn sau bão",
        "2026-09-08",
        "Phó Chủ tịch Thường trực Võ Phiên",
        body=(
            "Theo tin của Trung tâm Dự báo khí tượng thủy văn quốc gia, hồi 07 giờ ngày "
            "08/9, vị trí tâm bão ở khoảng 16,2 độ Vĩ Bắc; 112,5 độ Kinh Đông, sức gió mạnh "
            "nhất vùng gần tâm bão cấp 12, giật cấp 15.\n"
            "Yêu cầu Chủ tịch UBND các huyện, thị xã, thành phố ven biển kêu gọi tàu thuyền "
            "vào nơi tránh trú an toàn; tổ chức sơ tán dân ở nhà không kiên cố; cấm biển từ "
            "12 giờ ngày 08/9; kiểm tra an toàn hồ chứa thủy lợi, thủy điện.",
        ),
        urgency=3,
    ),
    Doc(
        "kh_bao_lu",
        "KH",
        "112/KH-SNNPTNT",
        NN,
        "Kế hoạch ứng phó bão lũ và sạt lở đất tại các huyện miền núi năm 2026",
        "2026-05-20",
        "Giám đốc Trần Văn Hưng",
        body=(
            "Mục đích: chủ động phòng ngừa, giảm thiểu thiệt hại về người và tài sản; xác "
            "định các khu vực có nguy cơ sạt lở cao tại các huyện Ba Tơ, Minh Long, Sơn Tây, "
            "Trà Bồng.\n"
            "Nhiệm vụ: rà soát phương án di dời dân cư; dự trữ lương thực, thuốc men tại chỗ "
            "theo phương châm bốn tại chỗ; tổ chức diễn tập cấp xã trước ngày 30/8.",
        ),
    ),
    Doc(
        "cv_du_bao_lu",
        "CV",
        "86/ĐKTTV-DBPV",
        "Đài Khí tượng thủy văn tỉnh",
        "Về việc tăng cường công tác dự báo lũ trên các sông Trà Khúc, sông Vệ",
        "2026-10-02",
        "Giám đốc Lê Quang Thái",
        body=(
            "Trong mùa mưa năm 2026, Đài bố trí trực 24/24 giờ tại các trạm thủy văn Sơn Giang, "
            "Trà Khúc và An Chỉ; bản tin cảnh báo được phát 3 giờ một lần khi mực nước vượt "
            "báo động II.\n"
            "Đề nghị UBND tỉnh chỉ đạo các địa phương tiếp nhận kịp thời bản tin qua hệ thống "
            "nhắn tin và truyền thanh cơ sở.",
        ),
    ),
    Doc(
        "bc_thiet_hai_bao",
        "BC",
        "215/BC-UBND",
        "UBND huyện Bình Sơn",
        "Báo cáo nhanh tình hình thiệt hại do bão số 3 gây ra trên địa bàn huyện Bình Sơn",
        "2026-09-10",
        "Chủ tịch Phạm Minh Trí",
        body=(
            "Tính đến 17 giờ ngày 10/9, trên địa bàn huyện có 1.245 nhà bị tốc mái, 37 tàu cá "
            "bị chìm tại khu neo đậu Sa Kỳ, 860 ha hoa màu bị ngập úng.\n"
            "Ước tổng giá trị thiệt hại khoảng 186 tỷ đồng. Huyện đã huy động lực lượng quân sự, "
            "công an giúp dân lợp lại mái nhà.",
        ),
        place="Bình Sơn",
    ),
    Doc(
        "cv_bao_duong_cau",
        "CV",
        "1675/SGTVT-QLKCHT",
        "Sở Giao thông vận tải",
        "Về việc bảo dưỡng thường xuyên cầu, đường tỉnh lộ trong mùa mưa bão năm 2026",
        "2026-08-25",
        "Phó Giám đốc Nguyễn Hữu Lộc",
        body=(
            "Sở đã giao các đơn vị quản lý đường bộ kiểm tra 42 cầu yếu trên tuyến ĐT.623 và "
            "ĐT.624, cắm biển hạn chế tải trọng, chuẩn bị vật tư dự phòng tại các hạt.\n"
            "Kinh phí thực hiện từ nguồn sự nghiệp giao thông năm 2026 đã được phân bổ.",
        ),
    ),
    Doc(
        "kh_bao_ve_rung",
        "KH",
        "19/KH-CCKL",
        "Chi cục Kiểm lâm tỉnh",
        "Kế hoạch bảo vệ rừng và phòng cháy, chữa cháy rừng mùa khô năm 2026",
        "2026-02-12",
        "Chi cục trưởng Đinh Văn Nhơn",
        body=(
            "Diện tích rừng có nguy cơ cháy cao tập trung ở rừng thông, rừng keo tại các huyện "
            "Sơn Tịnh, Mộ Đức, Đức Phổ.\n"
            "Các chủ rừng phải xây dựng đường băng cản lửa, chòi canh và tổ đội xung kích; trực "
            "cấp dự báo cháy rừng hằng ngày trên trang thông tin điện tử.",
        ),
    ),
    Doc(
        "tb_bao_chi",
        "TB",
        "41/TB-STTTT",
        "Sở Thông tin và Truyền thông",
        "Thông báo kết quả giao ban báo chí tháng 9 năm 2026",
        "2026-10-05",
        "Giám đốc Hồ Thị Thanh",
        body=(
            "Trong tháng, các cơ quan báo chí trên địa bàn đăng phát 1.320 tin, bài; tập "
            "trung tuyên truyền công tác khắc phục hậu quả thiên tai và chuyển đổi số.\n"
            "Đề nghị các sở, ngành trả lời kịp thời các phản ánh của cơ quan báo chí theo quy "
            "chế phát ngôn.",
        ),
    ),
    # ---- dykes: đê / đề ------------------------------------------------------------------
    Doc(
        "cv_sat_lo_de",
        "CV",
        "1502/SNNPTNT-TL",
        NN,
        "Về việc xử lý khẩn cấp sự cố sạt lở đê sông Trà Bồng đoạn qua xã Bình Minh",
        "2026-10-20",
        "Phó Giám đốc Nguyễn Tấn Phát",
        body=(
            "Qua kiểm tra hiện trường, chiều dài đoạn sạt lở khoảng 320 m, có nơi ăn sâu vào "
            "thân tuyến 4 m, đe dọa an toàn 210 hộ dân phía trong.\n"
            "Sở đề nghị UBND tỉnh công bố tình huống khẩn cấp, cho phép áp dụng hình thức chỉ "
            "định thầu để thi công kè mềm bằng rọ đá trước mùa lũ chính vụ.",
        ),
        urgency=2,
    ),
    Doc(
        "cv_van_de_sat_lo",
        "CV",
        "318/UBND-KT",
        "UBND huyện Trà Bồng",
        "Về việc giải quyết vấn đề sạt lở bờ sông Trà Bồng đoạn qua thị trấn Trà Xuân",
        "2026-10-22",
        "Chủ tịch Đinh Thị Hồng",
        body=(
            "Những năm gần đây dòng chảy thay đổi, bờ hữu sông bị xâm thực mạnh, nhiều hộ dân "
            "tổ dân phố 3 phải di dời khẩn cấp.\n"
            "Huyện kiến nghị tỉnh bố trí vốn từ nguồn dự phòng ngân sách để xây dựng kè chống "
            "xói lở dài 1,2 km.",
        ),
        place="Trà Bồng",
    ),
    Doc(
        "bc_de_dieu",
        "BC",
        "96/BC-SNNPTNT",
        NN,
        "Báo cáo hiện trạng đê điều và phương án hộ đê năm 2026",
        "2026-04-15",
        "Giám đốc Trần Văn Hưng",
        body=(
            "Toàn tỉnh có 146 km đê sông và đê biển, trong đó 38 km xung yếu cần gia cố; 12 "
            "cống dưới đê bị rò rỉ.\n"
            "Phương án hộ đê được xây dựng theo bốn tại chỗ, lực lượng xung kích mỗi xã từ 50 "
            "đến 100 người, vật tư dự trữ gồm 15.000 bao tải đất và 800 m3 đá hộc.",
        ),
    ),
    Doc(
        "tb_de_thi",
        "TB",
        "102/TB-SGDĐT",
        "Sở Giáo dục và Đào tạo",
        "Thông báo về cấu trúc đề thi tuyển sinh lớp 10 năm học 2026-2027",
        "2026-11-03",
        "Phó Giám đốc Võ Thị Thu Sương",
        body=(
            "Kỳ thi tuyển sinh vào lớp 10 trung học phổ thông gồm ba bài thi: Ngữ văn, Toán và "
            "Ngoại ngữ; bài thi Ngữ văn theo hình thức tự luận, thời gian làm bài 120 phút.\n"
            "Các phòng giáo dục thông báo đến học sinh lớp 9 và cha mẹ học sinh.",
        ),
    ),
    # ---- public investment, disbursement -------------------------------------------------
    Doc(
        "bc_giai_ngan_skhdt",
        "BC",
        "07/BC-SKHĐT",
        KHDT,
        "Báo cáo tình hình giải ngân kế hoạch vốn đầu tư công 6 tháng đầu năm 2026",
        "2026-07-05",
        "Giám đốc Nguyễn Văn Dũng",
        body=(
            "Tổng kế hoạch vốn năm 2026 là 6.845 tỷ đồng; đến ngày 30/6 giải ngân 2.636 tỷ "
            "đồng, đạt 38,5%, thấp hơn bình quân cả nước.\n"
            "Nguyên nhân chủ yếu: vướng mắc bồi thường, thiếu mỏ vật liệu đắp nền, một số chủ "
            "đầu tư chưa quyết liệt.",
            "Danh mục dự án giải ngân dưới 10%:\n"
            "1. Dự án cầu treo Phú Lễ, huyện Ba Tơ: giải ngân 4,2%.\n"
            "2. Dự án kè chống sạt lở khu dân cư Gò Nổi: giải ngân 7,9%.\n"
            "3. Dự án nâng cấp đường đến trung tâm xã Sơn Mùa: giải ngân 9,1%.",
        ),
    ),
    Doc(
        "cv_giai_ngan_stc",
        "CV",
        "2150/STC-ĐT",
        STC,
        "Về việc đẩy nhanh tiến độ thanh toán, giải ngân vốn đầu tư công năm 2026",
        "2026-08-12",
        "Phó Giám đốc Lương Thị Kim Oanh",
        body=(
            "Thực hiện chỉ đạo của Thủ tướng Chính phủ, Sở Tài chính đề nghị các chủ đầu tư "
            "hoàn thiện hồ sơ, gửi Kho bạc Nhà nước để thanh toán ngay khi có khối lượng "
            "nghiệm thu.\n"
            "Các dự án đến 30/9 giải ngân dưới 50% sẽ bị điều chuyển vốn cho dự án khác.",
        ),
    ),
    Doc(
        "nq_dau_tu_cong",
        "NQ",
        "15/NQ-HĐND",
        "Hội đồng nhân dân tỉnh",
        "Nghị quyết về kế hoạch đầu tư công trung hạn giai đoạn 2026-2030",
        "2026-03-28",
        "Chủ tịch HĐND Bùi Thị Quỳnh Vân",
        body=(
            "Tổng vốn giai đoạn 2026-2030 là 32.500 tỷ đồng, trong đó ngân sách địa phương "
            "18.200 tỷ đồng.\n"
            "Ưu tiên các dự án giao thông liên vùng, hạ tầng khu kinh tế Dung Quất và các công "
            "trình ứng phó biến đổi khí hậu.",
        ),
    ),
    Doc(
        "cv_cong_khai_dau_tu",
        "CV",
        "1430/SKHĐT-XTĐT",
        KHDT,
        "Về việc công khai danh mục dự án kêu gọi đầu tư năm 2026",
        "2026-06-18",
        "Phó Giám đốc Trương Công Định",
        body=(
            "Sở đã rà soát 26 dự án kêu gọi nhà đầu tư theo phương thức đối tác, gồm khu du "
            "lịch sinh thái, cụm công nghiệp và nhà máy xử lý chất thải rắn.\n"
            "Danh mục được đăng tải trên Cổng thông tin điện tử tỉnh để các nhà đầu tư tìm hiểu.",
        ),
    ),
    Doc(
        "cv_gpmb",
        "CV",
        "412/BQLDA-GPMB",
        "Ban Quản lý dự án đầu tư xây dựng các công trình giao thông tỉnh",
        "Về việc đẩy nhanh công tác giải phóng mặt bằng dự án đường ven biển Dung Quất - Sa Huỳnh",
        "2026-09-16",
        "Giám đốc Huỳnh Ngọc Sơn",
        body=(
            "Đến nay mới bàn giao 61% mặt bằng; còn 184 hộ chưa nhận tiền bồi thường do chưa "
            "thống nhất đơn giá đất ở tái định cư.\n"
            "Ban đề nghị UBND các huyện Bình Sơn, Đức Phổ thành lập tổ công tác vận động.",
        ),
    ),
    # ---- administrative reform -----------------------------------------------------------
    Doc(
        "kh_cchc",
        "KH",
        "25/KH-SNV",
        "Sở Nội vụ",
        "Kế hoạch cải cách hành chính nhà nước năm 2026",
        "2026-01-08",
        "Giám đốc Phan Thị Mỹ Lệ",
        body=(
            "Tập trung cải cách thể chế, thủ tục hành chính, tổ chức bộ máy, chế độ công vụ, "
            "tài chính công và xây dựng chính quyền số.\n"
            "Phấn đấu 100% thủ tục đủ điều kiện được cung cấp dịch vụ công trực tuyến toàn trình.",
        ),
    ),
    Doc(
        "bc_cchc_quy",
        "BC",
        "178/BC-SNV",
        "Sở Nội vụ",
        "Báo cáo kết quả công tác cải cách hành chính quý III năm 2026",
        "2026-10-10",
        "Phó Giám đốc Lê Văn Thịnh",
        body=(
            "Trong quý, Bộ phận Một cửa các cấp tiếp nhận 48.612 hồ sơ, giải quyết đúng hạn "
            "97,6%.\n"
            "Kết quả khảo sát Chỉ số SIPAS của tỉnh đạt 84,21%, tăng 2,3 điểm so với cùng kỳ.",
        ),
    ),
    Doc(
        "ct_ky_cuong",
        "CT",
        "12/CT-TTg",
        "Thủ tướng Chính phủ",
        "Chỉ thị về tăng cường kỷ luật, kỷ cương trong thực thi công vụ",
        "2026-04-02",
        "Thủ tướng Chính phủ",
        body=(
            "Người đứng đầu cơ quan, đơn vị chịu trách nhiệm khi để xảy ra tình trạng né "
            "tránh, đùn đẩy, sợ sai, không dám làm.\n"
            "Xử lý nghiêm cán bộ, công chức gây phiền hà, nhũng nhiễu người dân, doanh nghiệp.",
        ),
        place="Hà Nội",
    ),
    Doc(
        "hd_ho_so",
        "HD",
        "06/HD-SNV",
        "Sở Nội vụ",
        "Hướng dẫn lập hồ sơ và nộp lưu hồ sơ, tài liệu vào Lưu trữ lịch sử tỉnh",
        "2026-03-05",
        "Giám đốc Phan Thị Mỹ Lệ",
        body=(
            "Hồ sơ được lập theo Danh mục hồ sơ hằng năm; văn bản điện tử được lập hồ sơ trên "
            "Hệ thống quản lý văn bản và điều hành.\n"
            "Thời hạn nộp lưu là 10 năm kể từ năm công việc kết thúc.",
        ),
    ),
    # ---- land: thu hồi đất, number variants ----------------------------------------------
    Doc(
        "qd_thu_hoi_dat",
        "QĐ",
        "125/QĐ-UBND",
        "UBND huyện Tư Nghĩa",
        "Về việc thu hồi đất để thực hiện dự án Khu dân cư Nam Sông Vệ",
        "2026-01-15",
        "Chủ tịch Nguyễn Đức Tuấn",
        body=(
            "Căn cứ Luật Đất đai ngày 18 tháng 01 năm 2024; xét đề nghị của Trưởng phòng Tài "
            "nguyên và Môi trường huyện;\n"
            "Điều 1. Thu hồi 12,6 ha đất trồng lúa và đất ở của 57 hộ gia đình tại xã Nghĩa "
            "Hiệp (danh sách kèm theo).",
            "DANH SÁCH HỘ BỊ THU HỒI (trích)\n"
            "1. Ông Trương Văn Sáu, thửa 112, tờ bản đồ 7, diện tích 1.240 m2.\n"
            "2. Bà Lê Thị Nở, thửa 118, tờ bản đồ 7, diện tích 860 m2.",
        ),
        place="Tư Nghĩa",
    ),
    Doc(
        "qd_125_snn",
        "QĐ",
        "125/QĐ-SNNPTNT",
        NN,
        "Về việc phê duyệt danh sách hộ được hỗ trợ giống cây trồng sau lũ",
        "2026-11-12",
        "Giám đốc Trần Văn Hưng",
        body=(
            "Hỗ trợ 42 tấn giống lúa, 6 tấn giống ngô cho 3.180 hộ bị thiệt hại sản xuất do "
            "mưa lũ tháng 10 năm 2026.",
        ),
    ),
    Doc(
        "cv_trien_khai_125",
        "CV",
        "85/UBND-ĐC",
        "UBND xã Nghĩa Hiệp",
        "Về việc triển khai Quyết định số 125/QĐ-UBND ngày 15/01/2026 của UBND huyện Tư Nghĩa",
        "2026-02-03",
        "Chủ tịch Võ Văn Khải",
        body=(
            "UBND xã đã niêm yết công khai quyết định tại trụ sở và nhà văn hóa thôn, tổ chức "
            "đối thoại với các hộ có đất bị thu hồi.\n"
            "Còn 6 hộ chưa đồng ý phương án bồi thường, xã tiếp tục vận động.",
        ),
        place="Nghĩa Hiệp",
    ),
    Doc(
        "qd_12_ubnd",
        "QĐ",
        "12/QĐ-UBND",
        "UBND huyện Mộ Đức",
        "Về việc giao đất ở không thông qua đấu giá cho hộ gia đình tái định cư",
        "2026-01-20",
        "Chủ tịch Lê Thị Mai",
        body=("Giao 24 lô đất ở tại khu tái định cư Đức Chánh cho các hộ phải di dời.",),
        place="Mộ Đức",
    ),
    Doc(
        "bc_dat_dai",
        "BC",
        "310/BC-STNMT",
        "Sở Tài nguyên và Môi trường",
        "Báo cáo kết quả kiểm kê đất đai năm 2025",
        "2026-03-20",
        "Giám đốc Đặng Ngọc Dũng",
        body=(
            "Tổng diện tích tự nhiên toàn tỉnh 515.552 ha; đất nông nghiệp chiếm 82,4%, đất phi "
            "nông nghiệp 13,1%, đất chưa sử dụng 4,5%.\n"
            "Biến động chủ yếu do chuyển mục đích sang đất khu công nghiệp và đất ở đô thị.",
        ),
    ),
    Doc(
        "qd_quy_che_dat_dai",
        "QĐ",
        "45/QĐ-UBND",
        "UBND huyện Sơn Tịnh",
        "Về việc ban hành Quy chế phối hợp quản lý nhà nước về đất đai trên địa bàn huyện",
        "2026-02-26",
        "Chủ tịch Trần Phước Hiền",
        body=(
            "Quy chế quy định trách nhiệm của phòng chuyên môn và UBND các xã trong việc phát "
            "hiện, ngăn chặn, xử lý vi phạm.",
        ),
        place="Sơn Tịnh",
    ),
    # ---- health ----------------------------------------------------------------------------
    Doc(
        "kh_sot_xuat_huyet",
        "KH",
        "140/KH-SYT",
        "Sở Y tế",
        "Kế hoạch phòng, chống dịch sốt xuất huyết năm 2026",
        "2026-03-10",
        "Giám đốc Nguyễn Thị Hồng Vân",
        body=(
            "Năm 2025 toàn tỉnh ghi nhận 4.812 ca mắc, 3 ca tử vong; dịch có xu hướng tăng vào "
            "các tháng mùa mưa.\n"
            "Tổ chức chiến dịch diệt lăng quăng, phun hóa chất Cloramin B và Permethrin tại các "
            "ổ dịch, ưu tiên tổ dân phố Cổ Lũy và khu công nghiệp Tịnh Phong.",
        ),
    ),
    Doc(
        "cv_bhyt",
        "CV",
        "1120/BHXH-QLT",
        "Bảo hiểm xã hội tỉnh",
        "Về việc tăng tỷ lệ bao phủ bảo hiểm y tế học sinh, sinh viên năm học 2026-2027",
        "2026-09-22",
        "Giám đốc Trần Đình Quý",
        body=(
            "Đến 31/8 tỷ lệ tham gia của học sinh đạt 91,7%; còn 12 trường dưới 80%.\n"
            "Đề nghị ngành giáo dục chỉ đạo các trường phối hợp thu, nộp đúng hạn.",
        ),
    ),
    Doc(
        "tb_vac_xin_soi",
        "TB",
        "67/TB-KSBT",
        "Trung tâm Kiểm soát bệnh tật tỉnh",
        "Thông báo tổ chức tiêm bổ sung vắc xin sởi cho trẻ từ 1 đến 5 tuổi",
        "2026-05-06",
        "Giám đốc Phạm Thị Bích",
        body=("Chiến dịch tiêm từ ngày 15/5 đến 15/6 tại trạm y tế các xã, phường.",),
    ),
    # ---- education ------------------------------------------------------------------------
    Doc(
        "kh_nam_hoc",
        "KH",
        "88/KH-SGDĐT",
        "Sở Giáo dục và Đào tạo",
        "Kế hoạch thực hiện nhiệm vụ năm học 2026-2027 đối với giáo dục mầm non",
        "2026-08-28",
        "Phó Giám đốc Võ Thị Thu Sương",
        body=("Duy trì phổ cập giáo dục mầm non cho trẻ 5 tuổi; giảm tỷ lệ trẻ suy dinh dưỡng.",),
    ),
    Doc(
        "ttr_truong_hoc",
        "TTr",
        "52/TTr-UBND",
        "UBND huyện Ba Tơ",
        "Tờ trình đề nghị bổ sung kinh phí sửa chữa trường học bị hư hỏng do lũ",
        "2026-11-05",
        "Chủ tịch Đinh Văn Thích",
        body=(
            "Đợt lũ tháng 10 làm hư hỏng 14 điểm trường, sập 2 phòng học tại điểm trường Làng "
            "Xinh; tổng kinh phí sửa chữa dự kiến 7,8 tỷ đồng.",
        ),
        place="Ba Tơ",
    ),
    # ---- other current business -----------------------------------------------------------
    Doc(
        "ttr_kinh_phi_lu",
        "TTr",
        "35/TTr-STC",
        STC,
        "Tờ trình về việc hỗ trợ kinh phí khắc phục hậu quả mưa lũ năm 2025",
        "2026-01-12",
        "Giám đốc Lê Văn Tám",
        body=(
            "Sở Tài chính trình UBND tỉnh hỗ trợ 45 tỷ đồng từ dự phòng ngân sách tỉnh cho "
            "các huyện bị thiệt hại, ưu tiên khôi phục giao thông và thủy lợi.",
        ),
        via="electronic",  # no valid signature: held as "received"
    ),
    Doc(
        "cv_mua_sam",
        "CV",
        "1988/STC-QLGCS",
        STC,
        "Về việc bố trí kinh phí mua sắm tài sản công theo phương thức tập trung năm 2026",
        "2026-04-22",
        "Phó Giám đốc Lương Thị Kim Oanh",
        body=("Danh mục tài sản mua sắm tập trung gồm máy vi tính, máy in, máy photocopy.",),
    ),
    Doc(
        "gm_so_ket",
        "GM",
        "55/GM-STTTT",
        "Sở Thông tin và Truyền thông",
        "Giấy mời dự hội nghị sơ kết 6 tháng công tác chuyển đổi số",
        "2026-07-14",
        "Giám đốc Hồ Thị Thanh",
        body=("Thời gian: 8 giờ 00 ngày 21/7/2026, tại Hội trường Sở.",),
        via="electronic",
    ),
    Doc(
        "cv_de_an_06",
        "CV",
        "2468/CAT-PC06",
        "Công an tỉnh",
        "Về việc đẩy mạnh triển khai Đề án 06 về phát triển ứng dụng dữ liệu dân cư",
        "2026-06-02",
        "Đại tá Nguyễn Văn Hiền",
        body=("Đến nay đã kích hoạt 812.430 tài khoản định danh điện tử mức độ 2.",),
    ),
    Doc(
        "tb_tiep_dan",
        "TB",
        "09/TB-BTCD",
        "Ban Tiếp công dân tỉnh",
        "Thông báo lịch tiếp công dân định kỳ của Chủ tịch UBND tỉnh tháng 12 năm 2026",
        "2026-11-20",
        "Trưởng ban Hà Văn Minh",
        body=("Chủ tịch UBND tỉnh tiếp công dân vào ngày 15/12/2026 tại Trụ sở Tiếp công dân.",),
    ),
    Doc(
        "qd_ho_ngheo",
        "QĐ",
        "760/QĐ-UBND",
        "UBND huyện Sơn Hà",
        "Về việc công nhận hộ nghèo, hộ cận nghèo năm 2026 trên địa bàn huyện Sơn Hà",
        "2026-02-10",
        "Chủ tịch Đinh Thị Loan",
        body=("Công nhận 3.412 hộ nghèo và 1.906 hộ cận nghèo theo chuẩn nghèo đa chiều.",),
        place="Sơn Hà",
    ),
    Doc(
        "cv_ocop",
        "CV",
        "2210/SNNPTNT-PTNT",
        NN,
        "Về việc đánh giá, phân hạng sản phẩm OCOP năm 2026",
        "2026-06-25",
        "Phó Giám đốc Nguyễn Tấn Phát",
        body=("Hội đồng cấp tỉnh sẽ đánh giá 48 sản phẩm, trong đó có tỏi Lý Sơn đen lên men.",),
    ),
    # ---- secret documents (Mật): never shown to a specialist without clearance ---------------
    Doc(
        "cv_mat_phong_thu",
        "CV",
        "15/BCH-TM",
        "Bộ Chỉ huy Quân sự tỉnh",
        "Về việc triển khai phương án bảo vệ mục tiêu trọng điểm trên đảo Lý Sơn",
        "2026-07-30",
        "Chỉ huy trưởng Đại tá Phạm Văn Trung",
        body=("Bố trí lực lượng canh gác tại khu vực Hang Câu và cảng cá Lý Sơn.",),
        secrecy=1,
    ),
    Doc(
        "bc_mat_to_cao",
        "BC",
        "44/BC-TTr",
        "Thanh tra tỉnh",
        "Báo cáo kết quả xác minh đơn tố cáo liên quan đến quản lý đất đai tại xã Nghĩa Hiệp",
        "2026-09-03",
        "Chánh Thanh tra Lê Hồng Phong",
        body=("Nội dung tố cáo đúng một phần; kiến nghị kiểm điểm trách nhiệm cán bộ địa chính.",),
        secrecy=1,
    ),
    # ---- image-only scans: their words are found only through OCR --------------------------
    Doc(
        "ttr_scan_kenh",
        "TTr",
        "18/TTr-UBND",
        "UBND xã Phổ Vinh",
        "Tờ trình đề nghị hỗ trợ kinh phí",
        "2026-11-16",
        "Chủ tịch Nguyễn Văn Bảy",
        scan=(
            "ỦY BAN NHÂN DÂN XÃ PHỔ VINH\n"
            "Số: 18/TTr-UBND\n"
            "TỜ TRÌNH\n"
            "Về việc nạo vét kênh mương nội đồng\n"
            "thôn Phước Hậu bị bồi lấp sau đợt lũ\n"
            "tháng 10; đề nghị hỗ trợ 350 triệu đồng\n"
            "từ nguồn dự phòng ngân sách tỉnh."
        ),
        place="Phổ Vinh",
    ),
    Doc(
        "bb_scan_lo_gach",
        "BB",
        "03/BB-ĐKT",
        "Phòng Tài nguyên và Môi trường huyện Sơn Tịnh",
        "Biên bản kiểm tra hiện trường",
        "2026-06-11",
        "Trưởng đoàn Nguyễn Thanh Tùng",
        scan=(
            "BIÊN BẢN KIỂM TRA HIỆN TRƯỜNG\n"
            "Cơ sở sản xuất lò gạch thủ công\n"
            "tại thôn Gò Sỏi, xã Tịnh Khê\n"
            "Chủ cơ sở: ông Huỳnh Văn Tư\n"
            "Khói thải vượt quy chuẩn, đề nghị\n"
            "đình chỉ hoạt động trong 30 ngày."
        ),
    ),
    Doc(
        "cv_scan_don",
        "CV",
        "214/BTCD",
        "Ban Tiếp công dân tỉnh",
        "Về việc chuyển đơn của công dân",
        "2026-08-04",
        "Trưởng ban Hà Văn Minh",
        scan=(
            "ĐƠN KIẾN NGHỊ\n"
            "Tôi là Phạm Thị Mỹ Dung, trú tại\n"
            "thôn An Hải, xã Bình Châu.\n"
            "Đề nghị cấp giấy chứng nhận quyền\n"
            "sử dụng thửa đất số 214, tờ bản đồ 9\n"
            "mà gia đình tôi sử dụng từ năm 1992."
        ),
    ),
)


@dataclass(frozen=True)
class Query:
    """A search and what a clerk expects of it.

    * ``first``: the key that must be the first result;
    * ``top``: keys that must all be among the first ``len(top)`` results (order free);
    * ``order``: the exact sequence the results must begin with;
    * ``absent``: keys that must not be returned at all;
    * ``total``: the exact ``total`` (secrecy: hidden documents are not counted);
    * ``marks``: a highlight field that must carry a ``<mark>`` on the first result.
    """

    qid: str
    category: str
    q: str
    first: str | None = None
    top: tuple[str, ...] = ()
    order: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    total: int | None = None
    marks: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    user: str = "vanthu"


QUERIES_FILE = Path(__file__).with_name("relevance_queries.toml")


def _query(entry: dict[str, Any]) -> Query:
    """One ``[[query]]`` of QUERIES_FILE (TOML lists become the tuples of Query)."""
    return Query(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()})


QUERIES: tuple[Query, ...] = tuple(
    _query(entry) for entry in tomllib.loads(QUERIES_FILE.read_text(encoding="utf-8"))["query"]
)

# Queries that fail because of a known ranking weakness of the search, with the reason. The test
# asserts that exactly these fail, so an entry must go as soon as its query starts passing.
KNOWN_WEAKNESSES: dict[str, str] = {}  # query id → why it misses; asserted both ways
