"""What the demo's letters say: senders, subjects, bodies, directions, notes, and the dates on them.

Content is written for the project. Subjects and bodies may use ``{y}`` (year), ``{py}`` (the
year before), ``{y1}``/``{y2}`` (the years after), ``{q}`` (quarter), ``{m}`` (month) and
``{h}`` (half year), filled in with the day the letter is dated (:func:`fill`).

OCR check word: :data:`SCAN_ONLY_WORD` ("Krông", in "cầu treo buôn Krông") appears in the body of
exactly one scanned page (:data:`KRONG`) and nowhere else in the demo (not in any subject, field
or text PDF), so searching the demo for it finds that document only if the scanned page was
OCR'd.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from signing import pki as labels

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


#: What the province's people's committee decides as a collective is signed "TM. ỦY BAN NHÂN DÂN"
#: over "CHỦ TỊCH"; the chairman signs the rest in his own name ("CHỦ TỊCH").
COLLECTIVE_TYPES = frozenset({"QĐ", "CT", "KH", "CĐ"})


@dataclass(frozen=True)
class Outgoing:
    doc_type: str
    subject: str
    body: str
    recipients: tuple[str, ...] = ("Các sở, ban, ngành tỉnh", "UBND các huyện")
    prefix: str | None = None  # signing authority; None: TM. for COLLECTIVE_TYPES, else none
    urgency: int = 0

    @property
    def authority(self) -> str:
        if self.prefix is not None:
            return self.prefix
        return "TM." if self.doc_type in COLLECTIVE_TYPES else ""


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


def fill(text: str, day: date) -> str:
    """``text`` with its year, quarter, month and half-year placeholders for ``day``."""
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
    """ND30's "Địa danh, ngày … tháng … năm …" (months 1 and 2 written with a leading zero)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def mark(urgency: int, secrecy: int) -> str:
    """The secrecy and urgency marks printed on the letter (e.g. "MẬT   KHẨN")."""
    urgent = {1: "KHẨN", 2: "THƯỢNG KHẨN", 3: "HỎA TỐC"}.get(urgency, "")
    secret = {1: "MẬT", 2: "TỐI MẬT", 3: "TUYỆT MẬT"}.get(secrecy, "")
    return "   ".join(m for m in (secret, urgent) if m)
