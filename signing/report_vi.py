"""A validation report in Vietnamese, for people (the JSON form is ``to_dict``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from signing.validation import SignatureReport, ValidationReport

VN = timezone(timedelta(hours=7))

LEVELS = {
    "NONE": "không có",
    "LTA_UPDATES": "chỉ bổ sung dữ liệu kiểm tra dài hạn (LTA)",
    "FORM_FILLING": "điền biểu mẫu (được phép)",
    "ANNOTATIONS": "thêm chú thích",
    "OTHER": "thay đổi KHÔNG được phép",
    None: "không xác định",
}
COVERAGE = {
    "ENTIRE_FILE": "toàn bộ tệp",
    "ENTIRE_REVISION": "toàn bộ phiên bản tại thời điểm ký",
    "CONTIGUOUS_BLOCK_FROM_START": "chỉ một phần đầu tệp",
    "UNCLEAR": "không rõ ràng (bất thường)",
    "": "không xác định",
}
COMMITMENTS = {
    "proof_of_origin": "xác nhận nguồn gốc (proof of origin)",
    "proof_of_receipt": "xác nhận đã nhận (proof of receipt)",
    "proof_of_delivery": "xác nhận đã chuyển (proof of delivery)",
    "proof_of_sender": "xác nhận người gửi (proof of sender)",
    "proof_of_approval": "phê duyệt (proof of approval)",
    "proof_of_creation": "xác nhận tạo lập (proof of creation)",
}
VERDICTS = {
    "ok": "KẾT LUẬN: Tất cả chữ ký số hợp lệ, toàn vẹn và tin cậy.",
    "invalid": "KẾT LUẬN: Có chữ ký số KHÔNG hợp lệ, không toàn vẹn hoặc không tin cậy.",
    "no_signatures": "KẾT LUẬN: Tệp không có chữ ký số.",
}


def _yes(value: bool | None) -> str:
    return "có" if value else "không"


def _time(value: str | None) -> str:
    if not value:
        return "không có"
    moment = datetime.fromisoformat(value).astimezone(VN)
    return moment.strftime("%d/%m/%Y %H:%M:%S (+07:00)")


def _signature(index: int, sig: SignatureReport) -> list[str]:
    title = "Dấu thời gian tài liệu" if sig.kind == "timestamp" else "Chữ ký"
    lines = [
        f"{title} {index}: {sig.signer_name or '(không rõ người ký)'} — trường {sig.field_name}",
        f"  Chủ thể chứng thư: {sig.signer_subject}",
        f"  Số hiệu chứng thư: {sig.certificate_serial}; cấp bởi: {sig.certificate_issuer}",
        f"  Thời điểm ký (người ký khai): {_time(sig.signing_time)}",
        f"  Thời điểm theo dấu thời gian: {_time(sig.timestamp_time)}",
        f"  Toàn vẹn: {_yes(sig.intact)}; Hợp lệ: {_yes(sig.valid)}; Tin cậy: {_yes(sig.trusted)}",
        f"  Phạm vi ký: {COVERAGE.get(sig.coverage, sig.coverage)}",
        f"  Thay đổi sau khi ký: {LEVELS.get(sig.modification_level, sig.modification_level)}",
    ]
    if sig.pades_level:
        lines.append(f"  Mức PAdES: {sig.pades_level}")
    if sig.signature_policy:
        lines.append(f"  Chính sách chữ ký (OID): {sig.signature_policy}")
    if sig.commitment_type:
        commitment = COMMITMENTS.get(sig.commitment_type, sig.commitment_type)
        lines.append(f"  Loại cam kết: {commitment}")
    lines += [f"  Vấn đề: {problem}" for problem in sig.problems]
    lines.append(f"  => {'ĐẠT' if sig.ok else 'KHÔNG ĐẠT'}")
    return lines


def format_report_vi(report: ValidationReport) -> str:
    lines: list[str] = []
    for index, sig in enumerate(report.signatures, start=1):
        lines += _signature(index, sig)
    lines.append(VERDICTS[report.verdict])
    return "\n".join(lines)
