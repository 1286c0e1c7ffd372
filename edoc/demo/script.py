"""A year of realistic paperwork for the demo agency, created through the application's services.

Everything goes through the same functions the pages and the API call (accept_pdf/accept_scan,
receive, return_to_sender, present, route, report_progress, create_draft, submit,
prepare_batch/finish_batch with the leader's token, issue with the agency token, send, recall,
dossier services), so the demo also exercises them. Content is written for the project; dates
are spread over the current year, some deadlines already passed.

Incoming mail: signed PDFs from three other demo agencies (their certificates come from the demo
CA), a few of them altered after signing and returned to the sender; paper originals scanned to
image-only PDFs (no text layer: only OCR reads them); urgent and secret ones.

OCR check word: :data:`SCAN_ONLY_WORD` ("Krông", in "cầu treo buôn Krông") appears in the body of
exactly one scanned page and nowhere else in the demo (not in any subject, field or text PDF), so
searching the demo for it finds that document only if the scanned page was OCR'd.
"""

from __future__ import annotations

import base64
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from edoc.audit.services import Operator, record
from edoc.core.clock import local_zone, set_clock
from edoc.core.extensions import db
from edoc.demo import documents as layout
from edoc.demo.keys import DemoKeys
from edoc.documents import files
from edoc.documents.models import Document
from edoc.dossiers import services as dossiers
from edoc.incoming import services as incoming
from edoc.outgoing import issuing, sending, signing
from edoc.outgoing import services as outgoing
from edoc.outgoing.models import Organization
from edoc.users.models import Unit, User
from signing import pki as labels
from signing.appearance import AgencySealAppearance, draw_seal_image, seal_box_over
from signing.batch import DigestItem, sign_digests
from signing.remote import SignatureFieldSpec, sign_with_digest_signer
from signing.tokens import CertificateSelector, select_certificate

SCAN_ONLY_WORD = "Krông"
AGENCY_HEADER = ("UBND TỈNH DEMO", "ỦY BAN NHÂN DÂN\nTỈNH DEMO")


@dataclass(frozen=True)
class Sender:
    parent: str
    issuer: str
    name: str  # "Cơ quan gửi" as registered
    abbreviation: str  # in a typed number: 12/QĐ-STC
    letter_code: str  # in an official letter's number: 125/STC-NS
    place: str
    signer_title: str
    signer_name: str
    cert: str | None = None  # demo PKI label: this agency sends signed electronic documents


SENDERS = {
    "stc": Sender(
        "UBND TỈNH DEMO",
        "SỞ TÀI CHÍNH",
        "Sở Tài chính tỉnh Demo",
        "STC",
        "STC-NS",
        "Demo",
        "GIÁM ĐỐC",
        "Hoàng Văn Thắng",
        labels.SO_TAI_CHINH,
    ),
    "snv": Sender(
        "UBND TỈNH DEMO",
        "SỞ NỘI VỤ",
        "Sở Nội vụ tỉnh Demo",
        "SNV",
        "SNV-CCVC",
        "Demo",
        "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
        "Vũ Thị Thanh Hương",
        labels.SO_NOI_VU,
    ),
    "huyen": Sender(
        "ỦY BAN NHÂN DÂN",
        "HUYỆN BÌNH AN",
        "UBND huyện Bình An",
        "UBND",
        "UBND-KT",
        "Bình An",
        "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH",
        "Đặng Quốc Bảo",
        labels.UBND_HUYEN,
    ),
    "ca": Sender(
        "UBND TỈNH DEMO",
        "CÔNG AN TỈNH DEMO",
        "Công an tỉnh Demo",
        "CAT",
        "CAT-PV01",
        "Demo",
        "GIÁM ĐỐC",
        "Đại tá Lý Minh Tuấn",
    ),
    "bnv": Sender(
        "",
        "BỘ NỘI VỤ",
        "Bộ Nội vụ",
        "BNV",
        "BNV-CCHC",
        "Hà Nội",
        "KT. BỘ TRƯỞNG\nTHỨ TRƯỞNG",
        "Trịnh Văn Hải",
    ),
    "stnmt": Sender(
        "UBND TỈNH DEMO",
        "SỞ TÀI NGUYÊN\nVÀ MÔI TRƯỜNG",
        "Sở Tài nguyên và Môi trường tỉnh Demo",
        "STNMT",
        "STNMT-QLĐĐ",
        "Demo",
        "GIÁM ĐỐC",
        "Ngô Thị Lan",
    ),
    "syt": Sender(
        "UBND TỈNH DEMO",
        "SỞ Y TẾ",
        "Sở Y tế tỉnh Demo",
        "SYT",
        "SYT-NVY",
        "Demo",
        "GIÁM ĐỐC",
        "Bùi Đức Minh",
    ),
    "pctt": Sender(
        "UBND TỈNH DEMO",
        "BAN CHỈ HUY PCTT\nVÀ TKCN TỈNH",
        "Ban Chỉ huy PCTT và TKCN tỉnh Demo",
        "BCH",
        "BCH-PCTT",
        "Demo",
        "KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN",
        "Mai Xuân Trường",
    ),
}


@dataclass(frozen=True)
class Incoming:
    sender: str
    doc_type: str
    subject: str  # may use {y} (year), {q} (quarter), {m} (month)
    body: str
    urgency: int = 0
    secrecy: int = 0


# Signed electronic documents (senders with a certificate).
ELECTRONIC = [
    Incoming(
        "stc",
        "CV",
        "Về việc báo cáo tình hình thực hiện dự toán ngân sách quý {q}",
        "Thực hiện Luật Ngân sách nhà nước và Quyết định giao dự toán ngân sách năm {y} của "
        "UBND tỉnh, Sở Tài chính đề nghị UBND tỉnh chỉ đạo các sở, ban, ngành và UBND các "
        "huyện báo cáo tình hình thực hiện dự toán thu, chi ngân sách quý {q}, dự kiến khả năng "
        "thực hiện cả năm và các kiến nghị về điều hành ngân sách.",
    ),
    Incoming(
        "stc",
        "CV",
        "Về việc đôn đốc giải ngân vốn đầu tư công năm {y}",
        "Đến hết tháng {m}, tỷ lệ giải ngân vốn đầu tư công của tỉnh mới đạt thấp so với kế "
        "hoạch được giao. Sở Tài chính kính đề nghị UBND tỉnh chỉ đạo các chủ đầu tư đẩy nhanh "
        "tiến độ thi công, nghiệm thu khối lượng hoàn thành và làm thủ tục thanh toán ngay.",
    ),
    Incoming(
        "stc",
        "BC",
        "Báo cáo quyết toán ngân sách địa phương năm {py}",
        "Sở Tài chính báo cáo kết quả tổng hợp quyết toán thu ngân sách nhà nước trên địa bàn "
        "và quyết toán chi ngân sách địa phương năm {py}; tổng thu vượt dự toán, chi thường "
        "xuyên bảo đảm các nhiệm vụ chính trị và an sinh xã hội của tỉnh.",
    ),
    Incoming(
        "snv",
        "CV",
        "Về việc kiểm tra công tác văn thư, lưu trữ năm {y}",
        "Thực hiện Nghị định số 30/2020/NĐ-CP về công tác văn thư, Sở Nội vụ dự kiến kiểm tra "
        "việc lập hồ sơ, nộp lưu hồ sơ vào lưu trữ cơ quan và quản lý văn bản điện tử tại Văn "
        "phòng UBND tỉnh trong tháng tới, kính đề nghị cử cán bộ làm việc với đoàn.",
    ),
    Incoming(
        "snv",
        "KH",
        "Kế hoạch cải cách hành chính năm {y} của Sở Nội vụ",
        "Kế hoạch xác định các nhiệm vụ trọng tâm: rà soát thủ tục hành chính, nâng cao chỉ "
        "số hài lòng của người dân, đẩy mạnh cải cách chế độ công vụ và xây dựng chính quyền "
        "điện tử; phân công rõ đơn vị chủ trì và thời hạn hoàn thành.",
    ),
    Incoming(
        "snv",
        "TB",
        "Thông báo tuyển dụng công chức năm {y}",
        "Sở Nội vụ thông báo chỉ tiêu, điều kiện, hồ sơ đăng ký dự tuyển công chức vào các cơ "
        "quan hành chính của tỉnh; thời gian nhận phiếu đăng ký là 30 ngày kể từ ngày thông "
        "báo được đăng trên Cổng thông tin điện tử của tỉnh.",
    ),
    Incoming(
        "snv",
        "HD",
        "Hướng dẫn thực hiện chuyển đổi số trong cơ quan hành chính",
        "Hướng dẫn các cơ quan xử lý văn bản và hồ sơ công việc trên môi trường điện tử, sử "
        "dụng chữ ký số chuyên dùng cho văn bản đi, số hóa văn bản đến là bản giấy và kết nối "
        "liên thông với Trục liên thông văn bản quốc gia.",
    ),
    Incoming(
        "huyen",
        "BC",
        "Báo cáo thiệt hại do mưa lũ tháng {m} trên địa bàn huyện",
        "Mưa lớn kéo dài đã gây ngập úng nhiều diện tích lúa và hoa màu, làm sạt lở một số "
        "tuyến đường liên xã; UBND huyện đã huy động lực lượng tại chỗ di dời các hộ dân ở "
        "vùng nguy hiểm đến nơi an toàn và báo cáo tổng hợp thiệt hại ban đầu.",
        urgency=1,
    ),
    Incoming(
        "huyen",
        "TTr",
        "Tờ trình phê duyệt danh sách hộ nghèo, hộ cận nghèo năm {y}",
        "Căn cứ kết quả rà soát hộ nghèo, hộ cận nghèo theo chuẩn nghèo đa chiều, UBND huyện "
        "Bình An kính trình UBND tỉnh xem xét, phê duyệt danh sách và kinh phí hỗ trợ bảo hiểm "
        "y tế cho các hộ thuộc diện được hưởng chính sách.",
    ),
    Incoming(
        "huyen",
        "CV",
        "Về việc trả lời kiến nghị của cử tri xã Tân Phú",
        "Cử tri xã Tân Phú kiến nghị sớm đầu tư tuyến kênh tưới tiêu nội đồng và hỗ trợ giống "
        "lúa sau mưa lũ. UBND huyện báo cáo kết quả giải quyết và kiến nghị UBND tỉnh bố trí "
        "vốn đầu tư công trung hạn cho công trình.",
    ),
]

# Paper originals, scanned (any sender; secret documents arrive on paper).
PAPER = [
    Incoming(
        "pctt",
        "CĐ",
        "Công điện về việc chủ động ứng phó với bão và mưa lũ",
        "Theo Trung tâm Dự báo khí tượng thủy văn quốc gia, áp thấp nhiệt đới có khả năng mạnh "
        "lên thành bão, gây mưa rất to trên địa bàn tỉnh. Đề nghị các địa phương kiểm tra, "
        "kêu gọi tàu thuyền vào nơi trú ẩn an toàn và sẵn sàng sơ tán dân.",
        urgency=3,
    ),
    Incoming(
        "ca",
        "CV",
        "Về việc bảo đảm an ninh, trật tự dịp lễ, Tết",
        "Công an tỉnh đề nghị UBND tỉnh chỉ đạo các sở, ngành, địa phương phối hợp tăng cường "
        "tuần tra, kiểm soát, bảo vệ tuyệt đối an toàn các mục tiêu, công trình trọng điểm và "
        "các hoạt động chính trị, văn hóa diễn ra trên địa bàn.",
        secrecy=1,
    ),
    Incoming(
        "syt",
        "CV",
        "Về việc tăng cường phòng, chống dịch sốt xuất huyết",
        "Số ca mắc sốt xuất huyết tăng nhanh ở các huyện đồng bằng. Sở Y tế đề nghị tổ chức "
        "chiến dịch diệt lăng quăng, bọ gậy tại hộ gia đình và giám sát chặt chẽ các ổ dịch, "
        "không để dịch lan rộng.",
    ),
    Incoming(
        "bnv",
        "GM",
        "Giấy mời dự Hội nghị trực tuyến về cải cách hành chính",
        "Bộ Nội vụ tổ chức Hội nghị trực tuyến đánh giá kết quả Chỉ số cải cách hành chính và "
        "triển khai nhiệm vụ thời gian tới, kính mời lãnh đạo UBND tỉnh chủ trì tại điểm cầu "
        "của tỉnh.",
    ),
    Incoming(
        "stnmt",
        "CV",
        "Về việc rà soát, cập nhật hồ sơ địa chính các xã ven biển",
        "Để phục vụ công tác quản lý đất đai và bồi thường giải phóng mặt bằng, Sở Tài nguyên "
        "và Môi trường đề nghị rà soát, chỉnh lý biến động và cập nhật cơ sở dữ liệu địa chính "
        "của các xã ven biển.",
    ),
    Incoming(
        "ca",
        "BC",
        "Báo cáo tình hình an ninh trật tự quý {q}",
        "Tình hình an ninh chính trị cơ bản ổn định; trật tự an toàn xã hội được bảo đảm. Công "
        "an tỉnh báo cáo kết quả đấu tranh phòng, chống tội phạm và kiến nghị các giải pháp "
        "trong thời gian tới.",
        secrecy=1,
    ),
    Incoming(
        "syt",
        "KH",
        "Kế hoạch tổ chức tiêm chủng mở rộng đợt {h}",
        "Sở Y tế xây dựng kế hoạch tiêm vắc xin cho trẻ em trong độ tuổi tại các trạm y tế xã, "
        "bảo đảm an toàn tiêm chủng và đề nghị chính quyền địa phương phối hợp thông báo, vận "
        "động người dân.",
    ),
    Incoming(
        "bnv",
        "CV",
        "Về việc tăng cường kỷ luật, kỷ cương hành chính",
        "Bộ Nội vụ đề nghị các địa phương chấn chỉnh lề lối làm việc, xử lý nghiêm cán bộ, "
        "công chức vi phạm quy định về giờ giấc, thái độ ứng xử khi giải quyết thủ tục cho "
        "người dân và doanh nghiệp.",
    ),
]

# The OCR word: only in this one scanned page's body, never in a subject or a text PDF.
KRONG = Incoming(
    "huyen",
    "CV",
    "Về việc đề nghị hỗ trợ kinh phí sửa chữa cầu treo",
    "Trận lũ quét vừa qua đã làm hư hỏng nặng cầu treo buôn Krông bắc qua suối Đắk Mi, tuyến "
    "đường duy nhất nối trung tâm xã với ba thôn vùng sâu, gây chia cắt hơn 400 hộ dân. UBND "
    "huyện kính đề nghị UBND tỉnh hỗ trợ kinh phí 2,5 tỷ đồng để khôi phục cầu trước mùa mưa.",
    urgency=1,
)

CLOSING = [
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh kịp thời để được "
    "hướng dẫn, giải quyết.",
    "Đề nghị các cơ quan, đơn vị khẩn trương triển khai thực hiện và báo cáo kết quả trước "
    "thời hạn quy định.",
    "Kính đề nghị Ủy ban nhân dân tỉnh quan tâm, xem xét, chỉ đạo.",
]

DIRECTION = "Giao Phòng Tổng hợp chủ trì, tham mưu xử lý; báo cáo kết quả trước hạn."
DIRECTIONS = [
    DIRECTION,
    "Giao Văn phòng chủ trì, phối hợp Phòng Kinh tế tham mưu văn bản trả lời.",
    "Chuyển Phòng Tổng hợp nghiên cứu, đề xuất; trình lại trước thời hạn.",
    "Đồng ý chủ trương. Giao Phòng Tổng hợp theo dõi, đôn đốc thực hiện.",
]
DONE_NOTES = [
    "Đã tham mưu văn bản trả lời, trình lãnh đạo ký.",
    "Đã tổng hợp số liệu, gửi báo cáo đúng hạn.",
    "Đã phối hợp các đơn vị triển khai xong.",
]


@dataclass(frozen=True)
class Outgoing:
    doc_type: str
    subject: str
    body: str
    recipients: tuple[str, ...] = ("Các sở, ban, ngành tỉnh", "UBND các huyện")
    prefix: str = ""
    urgency: int = 0


#: Issued over the year, in date order. The one with ``RECALLED_INDEX`` is recalled after sending.
ISSUED = [
    Outgoing(
        "KH",
        "Kế hoạch cải cách hành chính tỉnh Demo năm {y}",
        "Kế hoạch xác định mục tiêu nâng cao chất lượng phục vụ người dân và doanh nghiệp; "
        "100% hồ sơ thủ tục hành chính được tiếp nhận, giải quyết trên Hệ thống thông tin giải "
        "quyết thủ tục hành chính của tỉnh.",
    ),
    Outgoing(
        "CT",
        "Chỉ thị về tăng cường công tác phòng, chống thiên tai năm {y}",
        "Để chủ động phòng, chống thiên tai, giảm thiểu thiệt hại về người và tài sản, Chủ "
        "tịch UBND tỉnh yêu cầu các sở, ngành, địa phương rà soát phương án ứng phó theo phương "
        "châm bốn tại chỗ.",
    ),
    Outgoing(
        "QĐ",
        "Quyết định ban hành Quy chế làm việc của UBND tỉnh Demo",
        "Ban hành kèm theo Quyết định này Quy chế làm việc của Ủy ban nhân dân tỉnh Demo. Quyết "
        "định có hiệu lực kể từ ngày ký; Chánh Văn phòng, Thủ trưởng các sở, ban, ngành chịu "
        "trách nhiệm thi hành.",
    ),
    Outgoing(
        "CV",
        "Về việc đôn đốc giải ngân vốn đầu tư công năm {y}",
        "UBND tỉnh yêu cầu các chủ đầu tư tập trung tháo gỡ vướng mắc về giải phóng mặt bằng, "
        "đẩy nhanh tiến độ thi công và giải ngân vốn đầu tư công; người đứng đầu chịu trách "
        "nhiệm nếu tỷ lệ giải ngân thấp.",
    ),
    Outgoing(
        "TB",
        "Thông báo kết luận của Chủ tịch UBND tỉnh tại cuộc họp giao ban tháng 3",
        "Chủ tịch UBND tỉnh ghi nhận kết quả thực hiện nhiệm vụ quý I, yêu cầu các sở, ngành "
        "tập trung hoàn thành các chỉ tiêu kinh tế - xã hội và báo cáo tại cuộc họp giao ban "
        "tháng sau.",
    ),
    Outgoing(
        "QĐ",
        "Quyết định phê duyệt danh sách hộ nghèo, hộ cận nghèo năm {y}",
        "Phê duyệt danh sách hộ nghèo, hộ cận nghèo trên địa bàn tỉnh theo chuẩn nghèo đa "
        "chiều; giao Sở Tài chính bố trí kinh phí hỗ trợ bảo hiểm y tế cho các hộ được phê "
        "duyệt.",
    ),
    Outgoing(
        "CV",
        "Về việc triển khai các biện pháp phòng, chống dịch sốt xuất huyết",
        "UBND tỉnh yêu cầu Sở Y tế chủ trì, phối hợp UBND các huyện tổ chức chiến dịch vệ sinh "
        "môi trường, diệt lăng quăng và giám sát các ổ dịch.",
    ),
    Outgoing(
        "GM",
        "Giấy mời dự Hội nghị sơ kết công tác cải cách hành chính 6 tháng đầu năm",
        "UBND tỉnh trân trọng kính mời lãnh đạo các sở, ban, ngành và UBND các huyện dự Hội "
        "nghị sơ kết công tác cải cách hành chính tại Hội trường UBND tỉnh.",
    ),
    Outgoing(
        "BC",
        "Báo cáo tình hình kinh tế - xã hội 6 tháng đầu năm {y}",
        "Tổng sản phẩm trên địa bàn tăng khá so với cùng kỳ; thu ngân sách đạt trên một nửa dự "
        "toán; an sinh xã hội được bảo đảm; quốc phòng, an ninh giữ vững.",
        recipients=("Văn phòng Chính phủ", "Bộ Kế hoạch và Đầu tư"),
    ),
    Outgoing(
        "QĐ",
        "Quyết định giao bổ sung dự toán ngân sách năm {y} cho các huyện",
        "Giao bổ sung dự toán chi ngân sách năm {y} cho UBND các huyện để thực hiện chính "
        "sách an sinh xã hội và khắc phục hậu quả thiên tai theo Phụ lục kèm theo.",
    ),
    Outgoing(
        "CV",
        "Về việc bảo đảm an ninh, trật tự dịp Quốc khánh 2/9",
        "UBND tỉnh yêu cầu Công an tỉnh chủ trì, phối hợp các lực lượng bảo đảm tuyệt đối an "
        "ninh, trật tự và an toàn giao thông trong dịp nghỉ lễ Quốc khánh.",
        recipients=("Công an tỉnh", "Bộ Chỉ huy Quân sự tỉnh", "UBND các huyện"),
    ),
    Outgoing(
        "KH",
        "Kế hoạch chuyển đổi số tỉnh Demo giai đoạn {y} - {y2}",
        "Kế hoạch đặt mục tiêu xử lý văn bản hoàn toàn trên môi trường điện tử, ký số văn bản "
        "đi, kết nối liên thông văn bản với các cơ quan trung ương và địa phương.",
    ),
    Outgoing(
        "CĐ",
        "Công điện về việc chủ động ứng phó với cơn bão số 3",
        "Chủ tịch UBND tỉnh yêu cầu các địa phương ven biển kêu gọi tàu thuyền vào nơi trú ẩn, "
        "tổ chức sơ tán dân ở vùng nguy hiểm, bố trí lực lượng, phương tiện sẵn sàng cứu hộ.",
        urgency=3,
    ),
    Outgoing(
        "QĐ",
        "Quyết định hỗ trợ kinh phí khắc phục hậu quả mưa lũ cho huyện Bình An",
        "Hỗ trợ từ nguồn dự phòng ngân sách tỉnh cho UBND huyện Bình An để khắc phục hậu quả "
        "mưa lũ, sửa chữa đường giao thông và ổn định đời sống nhân dân.",
        recipients=("UBND huyện Bình An", "Sở Tài chính"),
    ),
    Outgoing(
        "TB",
        "Thông báo lịch tiếp công dân định kỳ của Chủ tịch UBND tỉnh quý IV",
        "Chủ tịch UBND tỉnh tiếp công dân định kỳ vào ngày 15 hằng tháng tại Trụ sở tiếp công "
        "dân tỉnh; trường hợp trùng ngày nghỉ thì tiếp vào ngày làm việc kế tiếp.",
    ),
    Outgoing(
        "BC",
        "Báo cáo kết quả công tác phòng, chống thiên tai 9 tháng đầu năm {y}",
        "Báo cáo tình hình thiên tai, thiệt hại, kết quả ứng phó và khắc phục hậu quả; kiến "
        "nghị Trung ương hỗ trợ kinh phí sửa chữa các công trình đê điều bị hư hỏng.",
        recipients=("Ban Chỉ đạo quốc gia về phòng, chống thiên tai",),
    ),
    Outgoing(
        "CV",
        "Về việc kiểm tra công tác văn thư, lưu trữ tại các sở, ngành",
        "UBND tỉnh giao Sở Nội vụ tổ chức kiểm tra việc lập hồ sơ điện tử, nộp lưu hồ sơ và "
        "quản lý, sử dụng con dấu, thiết bị lưu khóa bí mật tại các cơ quan.",
    ),
    Outgoing(
        "QĐ",
        "Quyết định thành lập Đoàn kiểm tra công tác cải cách hành chính năm {y}",
        "Thành lập Đoàn kiểm tra công tác cải cách hành chính do Giám đốc Sở Nội vụ làm Trưởng "
        "đoàn; Đoàn tự giải thể sau khi hoàn thành nhiệm vụ.",
    ),
    Outgoing(
        "GM",
        "Giấy mời dự Hội nghị tổng kết công tác phòng, chống thiên tai và tìm kiếm cứu nạn",
        "UBND tỉnh trân trọng kính mời các thành viên Ban Chỉ huy và đại diện các địa phương "
        "dự Hội nghị tổng kết, đánh giá kinh nghiệm ứng phó mùa mưa bão năm nay.",
    ),
    Outgoing(
        "CV",
        "Về việc lập dự toán ngân sách nhà nước năm {y1}",
        "UBND tỉnh yêu cầu các cơ quan, đơn vị xây dựng dự toán thu, chi ngân sách năm sau "
        "bảo đảm đúng quy định, tiết kiệm chi thường xuyên, gửi Sở Tài chính tổng hợp.",
    ),
    Outgoing(
        "TB",
        "Thông báo kết luận cuộc họp giao ban tháng 10",
        "Chủ tịch UBND tỉnh yêu cầu tập trung hoàn thành kế hoạch năm, đặc biệt là giải ngân "
        "vốn đầu tư công và các nhiệm vụ chuyển đổi số còn chậm tiến độ.",
    ),
    Outgoing(
        "CV",
        "Về việc trả lời kiến nghị của cử tri xã Tân Phú",
        "UBND tỉnh giao Sở Nông nghiệp và Môi trường khảo sát, đề xuất đầu tư kênh tưới tiêu "
        "nội đồng xã Tân Phú trong kế hoạch đầu tư công trung hạn.",
        recipients=("UBND huyện Bình An", "Ban Dân nguyện"),
    ),
]
RECALLED_INDEX = 9  # the supplementary budget decision: an appendix figure was wrong
RECALL_REASON = "Sai sót số liệu tại Phụ lục kèm theo Quyết định; sẽ ban hành quyết định thay thế."

#: Signed by the leader, waiting for the clerk to number and issue.
SIGNED_WAITING = Outgoing(
    "QĐ",
    "Quyết định công nhận xã Tân Phú đạt chuẩn nông thôn mới năm {y}",
    "Công nhận xã Tân Phú, huyện Bình An đạt chuẩn nông thôn mới; giao UBND huyện tiếp tục "
    "duy trì, nâng cao chất lượng các tiêu chí đã đạt.",
)

#: Drafts submitted, waiting for the leader's signature.
DRAFTS = [
    Outgoing(
        "QĐ",
        "Quyết định ban hành Kế hoạch phòng, chống thiên tai và tìm kiếm cứu nạn năm {y1}",
        "Ban hành kèm theo Quyết định này Kế hoạch phòng, chống thiên tai và tìm kiếm cứu nạn "
        "năm sau của tỉnh Demo.",
    ),
    Outgoing(
        "CV",
        "Về việc trả lời kiến nghị của cử tri huyện Bình An",
        "UBND tỉnh trả lời các kiến nghị của cử tri huyện Bình An gửi tới kỳ họp thứ mười của "
        "Hội đồng nhân dân tỉnh.",
    ),
    Outgoing(
        "KH",
        "Kế hoạch kiểm tra công tác cải cách hành chính năm {y1}",
        "Kế hoạch kiểm tra việc thực hiện nhiệm vụ cải cách hành chính tại 10 sở, ngành và 4 "
        "huyện trong năm sau.",
    ),
    Outgoing(
        "TB",
        "Thông báo lịch tiếp công dân định kỳ quý I năm {y1}",
        "Lịch tiếp công dân định kỳ của Chủ tịch và các Phó Chủ tịch UBND tỉnh trong quý I.",
    ),
]

#: A draft the specialist is still revising (a review comment on it).
IN_REVIEW = Outgoing(
    "KH",
    "Kế hoạch tổ chức Hội nghị tổng kết công tác năm {y}",
    "Kế hoạch tổ chức Hội nghị tổng kết công tác năm và triển khai nhiệm vụ năm sau của UBND "
    "tỉnh; thành phần, thời gian, địa điểm và phân công chuẩn bị.",
)
REVIEW_COMMENT = "Bổ sung thành phần mời đại biểu HĐND tỉnh; rút gọn phần chương trình."

ORGANIZATIONS = [
    ("000.00.12.H30", "Sở Tài chính tỉnh Demo"),
    ("000.00.13.H30", "Sở Nội vụ tỉnh Demo"),
    ("000.00.21.H30", "Công an tỉnh Demo"),
    ("000.00.31.H30", "UBND huyện Bình An"),
    ("000.00.00.G22", "Văn phòng Chính phủ"),
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
    ("05.VP", "Hồ sơ hội nghị, giao ban năm {y}", 5, ("hội nghị", "giao ban")),
]
CLOSED_DOSSIERS = {"01.VP", "05.VP"}


def _fill(text: str, day: date) -> str:
    quarter = ("I", "II", "III", "IV")[(day.month - 1) // 3]
    return text.format(
        y=day.year,
        py=day.year - 1,
        y1=day.year + 1,
        y2=day.year + 2,
        q=quarter,
        m=day.month,
        h=1 if day.month <= 6 else 2,
    )


def date_line(place: str, day: date) -> str:
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def working_day(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _upload(data: bytes, filename: str, content_type: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)


@cache
def _seal(name: str) -> bytes:
    return draw_seal_image(name)


def _sender_signed(pdf: bytes, sender: Sender, keys: DemoKeys, tsa_url: str | None) -> bytes:
    """The sending agency seals its document with its own key (not on our tokens)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    assert sender.cert is not None
    key = serialization.load_pem_private_key(keys.pki.key_path(sender.cert).read_bytes(), None)

    def sign_digest(item: DigestItem) -> bytes:
        return key.sign(item.digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))  # type: ignore[union-attr,call-arg]

    return sign_with_digest_signer(
        pdf,
        sign_digest=sign_digest,
        signer_cert=keys.pki.cert_der(sender.cert),
        chain=[keys.pki.cert_der(labels.ISSUING_CA), keys.pki.cert_der(labels.ROOT)],
        field=SignatureFieldSpec("ChuKyCoQuan", seal_box_over(signing.LEADER_BOX), page=-1),
        appearance=AgencySealAppearance(_seal(sender.name)),
        level="B-T" if tsa_url else "B-B",
        tsa_url=tsa_url,
        trust_roots=[keys.pki.cert_der(labels.ROOT)],
    )


def tamper(pdf: bytes) -> bytes:
    """Change one byte inside the signed range (the producer string): integrity check fails."""
    marker = b"ReportLab PDF Library"
    at = pdf.index(marker)
    return pdf[:at] + b"ReportLab PDF Librarz" + pdf[at + len(marker) :]


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


def _utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, local_zone()).astimezone(UTC).replace(tzinfo=None)


def incoming_kind(index: int, count: int) -> str:
    """``krong`` (the OCR word's scan), ``broken`` (returned), ``scan`` or ``signed``."""
    if index == count * 2 // 5:
        return "krong"
    if index in {count // 8, count // 2 + 1, count - 5}:
        return "broken"
    return "scan" if index % 4 == 0 else "signed"


def steps(
    count: int = 60, keys: DemoKeys | None = None, tsa_url: str | None = None
) -> list[tuple[str, Callable[[], None]]]:
    """The demo as labelled steps, so the command can show a progress bar.

    Without ``keys`` (no tokens: a test of the paperwork only) nothing is signed: incoming mail
    is all scans and the outgoing documents stay drafts.
    """
    rng = random.Random(2026)
    cast = _cast()
    demo_operator = Operator.cli("edoc demo")
    today = datetime.now(local_zone()).date()
    start = date(today.year, 1, 2)
    span = max((today - start).days, 1)
    plan: list[tuple[str, Callable[[], None]]] = []
    received: list[int] = []
    outgoing_ids: list[int] = []
    counters: dict[str, int] = {}

    def number_for(sender: Sender, doc_type: str) -> str:
        counters[sender.name] = counters.get(sender.name, rng.randint(3, 40)) + rng.randint(1, 9)
        n = counters[sender.name]
        if doc_type == "CV":
            return f"{n:02d}/{sender.letter_code}"
        return f"{n:02d}/{doc_type}-{sender.abbreviation}"

    def receive_one(index: int) -> None:
        kind = incoming_kind(index, count)
        if keys is None and kind in {"signed", "broken"}:
            kind = "scan"
        if kind == "krong":
            item = KRONG
        elif kind == "scan":
            item = PAPER[(index // 4) % len(PAPER)]
        else:
            item = ELECTRONIC[index % len(ELECTRONIC)]
        sender = SENDERS[item.sender]
        day = working_day(start + timedelta(days=int(span * index / count)))
        issued = working_day(day - timedelta(days=rng.randint(1, 3)))
        number = number_for(sender, item.doc_type)
        subject = _subject(item, day)
        urgency = item.urgency or (1 if index % 7 == 0 else 0)
        letter = layout.Letter(
            parent=sender.parent,
            issuer=sender.issuer,
            subject=subject,
            body=[_fill(item.body, day), CLOSING[index % len(CLOSING)]],
            type_title=None if item.doc_type == "CV" else _type_name(item.doc_type).upper(),
            number=number,
            date_line=date_line(sender.place, issued),
            addressee="Kính gửi: Ủy ban nhân dân tỉnh Demo." if item.doc_type == "CV" else "",
            mark=_mark(urgency, item.secrecy),
            recipients=["Như trên" if item.doc_type == "CV" else "UBND tỉnh Demo", "Lưu: VT"],
            signer_title=sender.signer_title,
            signer_name=sender.signer_name,
        )
        slug = number.replace("/", "-")
        if kind in {"scan", "krong"}:
            jpeg = layout.scan_jpeg(letter, seed=index)
            main = files.accept_scan([_upload(jpeg, f"scan-{slug}.jpg", "image/jpeg")])
            via = "paper"
        else:
            assert keys is not None
            signed = _sender_signed(layout.pdf(letter), sender, keys, tsa_url)
            if kind == "broken":
                signed = tamper(signed)
            main = files.accept_pdf(
                _upload(signed, f"{slug}.pdf", "application/pdf"), validate_signatures=True
            )
            via = "electronic"
        fields = incoming.IncomingFields(
            sender_org=sender.name,
            number_notation=number,
            doc_type=item.doc_type,
            subject=subject,
            received_via=via,
            issued_date=issued,
            signer_name=sender.signer_name,
            urgency=urgency,
            secrecy=item.secrecy,
            received_at=_utc(day, time(8, 30)),
            page_count=1,
        )
        document = incoming.receive(fields, main, cast.clerk)
        db.session.commit()
        if kind == "broken":
            incoming.return_to_sender(
                document.document_id,
                "Chữ ký số không hợp lệ: nội dung tệp đã bị thay đổi sau khi ký. "
                "Đề nghị quý cơ quan kiểm tra và gửi lại văn bản.",
                cast.clerk,
            )
            return
        received.append(document.document_id)
        stage = index % 5
        secret = item.secrecy > 0
        office = db.session.scalar(select(Unit).where(Unit.code == "VP"))
        if stage == 0:
            return  # registered, waiting to be presented
        incoming.present(document.document_id, cast.leader.id, cast.clerk)
        if stage == 1:
            return  # waiting for the leader's direction
        deadline = day + timedelta(days=rng.choice([7, 10, 15, 30]))
        with set_clock(_utc(day, time(9, 0))):  # the leader directs on the day it arrived
            incoming.route(
                document.document_id,
                cast.leader,
                direction_text=DIRECTIONS[index % len(DIRECTIONS)],
                lead_user_id=None if secret else cast.specialist.id,
                lead_unit_id=office.id if secret else None,
                cooperating_unit_ids=[
                    u.id for u in db.session.scalars(select(Unit).where(Unit.code == "KT"))
                ],
                deadline=deadline,
            )
        long_past = deadline < today - timedelta(days=20)
        if not secret and (stage >= 3 or long_past) and index % 9 != 2:
            task = next(
                t
                for t in incoming.tasks_for(cast.specialist)
                if t.document_id == document.document_id
            )
            incoming.report_progress(
                task.id, cast.specialist, DONE_NOTES[index % len(DONE_NOTES)], done=True
            )

    for index in range(count):
        plan.append((f"văn bản đến {index + 1}", lambda index=index: receive_one(index)))

    def draft(item: Outgoing, day: date, submit: bool = True) -> int:
        subject = _subject(item, day)
        letter = layout.Letter(
            parent="",
            issuer=AGENCY_HEADER[1],
            subject=subject,
            body=[_fill(item.body, day), CLOSING[len(outgoing_ids) % 2]],
            type_title=None if item.doc_type == "CV" else _type_name(item.doc_type).upper(),
            addressee="Kính gửi: " + item.recipients[0] + "." if item.doc_type == "CV" else "",
            mark=_mark(item.urgency, 0),
            recipients=[*item.recipients, "Lưu: VT, TH"],
        )
        created = outgoing.create_draft(
            outgoing.DraftFields(
                doc_type=item.doc_type,
                subject=subject,
                authority_prefix=item.prefix,
                urgency=item.urgency,
                recipients="\n".join([*item.recipients, "Lưu: VT, TH"]),
                signer_id=cast.leader.id,
            ),
            _upload(layout.pdf(letter), "du-thao.pdf", "application/pdf"),
            cast.specialist,
        )
        if submit:
            outgoing.submit(created.document_id, cast.specialist)
        return created.document_id

    issue_days = [
        working_day(start + timedelta(days=int(span * (k + 0.5) / (len(ISSUED) + 1))))
        for k in range(len(ISSUED))
    ]

    def organizations() -> None:
        for code, name in ORGANIZATIONS:  # as POST /api/v1/organizations does
            organization = Organization(code=code, name=name, internal=False)
            db.session.add(organization)
            db.session.flush()
            record(
                "organization.created",
                actor=demo_operator,
                object_type="organization",
                object_id=organization.id,
            )
        db.session.commit()

    def leader_signs() -> None:
        """The leader's "Ký số" batch: prepare all, one PIN on the token, finish all."""
        assert keys is not None
        keys.leader.hsm.activate()
        selector = CertificateSelector(token_label=keys.leader.label, label=keys.leader.cert_label)
        _token, cert = select_certificate(keys.leader.module, selector)
        digests = signing.prepare_batch(outgoing_ids, cert.der, cast.leader)
        batch = sign_digests(
            keys.leader.module,
            selector,
            [DigestItem(f"sr-{d.request_id}", d.digest) for d in digests],
            keys.leader.pin,
        )
        result = signing.finish_batch(
            {k: base64.b64encode(v).decode() for k, v in batch.signatures.items()}, cast.leader
        )
        if result["failed"]:
            raise RuntimeError(f"demo: leader signing failed: {result['failed']}")

    def issue_one(position: int) -> None:
        document_id = outgoing_ids[position]
        with set_clock(_utc(issue_days[position], time(14, 0))):  # issued on its day
            result = issuing.issue([document_id], cast.clerk)
        if result["failed"]:
            raise RuntimeError(f"demo: issue failed: {result['failed']}")
        names = {o.name: o.id for o in db.session.scalars(select(Organization))}
        item = ISSUED[position]
        targets = [names[r] for r in item.recipients if r in names] or [
            names["Sở Tài chính tỉnh Demo"],
            names["UBND huyện Bình An"],
        ]
        sending.send(outgoing.get_outgoing(document_id, cast.clerk), targets, cast.clerk)
        db.session.commit()
        if position == RECALLED_INDEX:
            outgoing.recall(document_id, cast.clerk, RECALL_REASON)

    def waiting_drafts() -> None:
        for item in DRAFTS:
            draft(item, today)
        review = draft(IN_REVIEW, today, submit=False)
        outgoing.comment(review, cast.leader, REVIEW_COMMENT)

    def _keep(document_id: int) -> None:
        outgoing_ids.append(document_id)

    plan.append(("danh bạ cơ quan nhận", organizations))
    if keys is not None:
        for position, item in enumerate(ISSUED):
            day = issue_days[position]
            plan.append((f"dự thảo {position + 1}", lambda i=item, d=day: _keep(draft(i, d))))
        plan.append(("dự thảo chờ văn thư", lambda: _keep(draft(SIGNED_WAITING, today))))
        plan.append(("lãnh đạo ký số", leader_signs))
        for position in range(len(ISSUED)):
            plan.append((f"phát hành {position + 1}", lambda p=position: issue_one(p)))
    plan.append(("dự thảo chờ ký", waiting_drafts))

    def dossier_list() -> None:
        filed = received + outgoing_ids[: len(ISSUED)]
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
                for i in filed
                if any(
                    word.lower() in db.session.get(Document, i).subject.lower() for word in words
                )
                and db.session.get(Document, i).secrecy == 0
            ]
            if matching:
                dossiers.add_documents(dossier.id, matching, cast.archivist)
            if code in CLOSED_DOSSIERS and matching:
                dossiers.close(dossier.id, cast.archivist)

    plan.append(("danh mục hồ sơ", dossier_list))
    return plan


def _subject(item: Incoming | Outgoing, day: date) -> str:
    """Trích yếu as registered: the type's name is its own column, not repeated in the subject."""
    subject = _fill(item.subject, day)
    if item.doc_type == "CV":
        return subject
    return layout.trich_yeu(subject, _type_name(item.doc_type))


def _type_name(code: str) -> str:
    from edoc.documents.models import DocumentType

    return db.session.get(DocumentType, code).name


def _mark(urgency: int, secrecy: int) -> str:
    urgent = {1: "KHẨN", 2: "THƯỢNG KHẨN", 3: "HỎA TỐC"}.get(urgency, "")
    secret = {1: "MẬT", 2: "TỐI MẬT", 3: "TUYỆT MẬT"}.get(secrecy, "")
    return "   ".join(m for m in (secret, urgent) if m)
