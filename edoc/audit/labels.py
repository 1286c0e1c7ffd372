"""What each audited action is called in Vietnamese (the code stays the stable key)."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from edoc.core.words import SECRECY_LABELS, date_vn, datetime_vn, yes_no

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$")

ACTION_LABELS = {
    "incoming.received": _l("Tiếp nhận văn bản"),
    "incoming.registered": _l("Vào sổ, cấp số đến"),
    "incoming.signature_override": _l("Vào sổ dù chữ ký không hợp lệ"),
    "incoming.returned": _l("Trả lại nơi gửi"),
    "incoming.presented": _l("Trình lãnh đạo"),
    "incoming.routed": _l("Cho ý kiến chỉ đạo, giao xử lý"),
    "incoming.task_progress": _l("Cập nhật tiến độ"),
    "incoming.task_done": _l("Hoàn thành xử lý"),
    "incoming.sender_recalled": _l("Nơi gửi thu hồi văn bản"),
    "incoming.recalled": _l("Văn bản bị nơi gửi thu hồi"),
    "incoming.slip_printed": _l("In phiếu xử lý"),
    "statistics.exported": _l("Xuất số liệu thống kê"),
    "dossier.reopened": _l("Mở lại hồ sơ đã đóng"),
    "exchange.peer_saved": _l("Cập nhật hệ thống liên thông"),
    "exchange.retried": _l("Gửi lại gói tin liên thông"),
    "exchange.given_up": _l("Ngừng gửi gói tin liên thông"),
    "exchange.imported": _l("Nhập gói tin edXML"),
    "exchange.exported": _l("Xuất gói tin edXML"),
    "document.file_downloaded": _l("Tải tệp"),
    "document.page_viewed": _l("Xem trang văn bản mật"),
    "exchange.package_downloaded": _l("Tải gói tin edXML"),
    "outgoing.draft_created": _l("Tạo dự thảo"),
    "document.message_posted": _l("Trao đổi về văn bản"),
    "notifications.preferences_saved": _l("Đổi cách nhận thông báo"),
    "outgoing.version_added": _l("Cập nhật dự thảo"),
    "outgoing.commented": _l("Góp ý dự thảo"),
    "outgoing.submitted": _l("Trình ký"),
    "outgoing.returned": _l("Trả lại dự thảo cho người soạn thảo"),
    "outgoing.number_allocated": _l("Cấp số văn bản đi"),
    "outgoing.number_voided": _l("Hủy số không sử dụng"),
    "outgoing.recalled": _l("Thu hồi văn bản"),
    "outgoing.sent": _l("Gửi văn bản"),
    "outgoing.issued": _l("Cấp số, ký số cơ quan, phát hành"),
    "outgoing.copy_signed": _l("Tạo bản sao, phụ lục có ký số cơ quan"),
    "outgoing.appendix_added": _l("Thêm phụ lục dự thảo"),
    "agency.updated": _l("Sửa thẩm quyền ký của cơ quan"),
    "organization.created": _l("Thêm cơ quan, tổ chức vào danh bạ"),
    "organization.updated": _l("Sửa thông tin cơ quan, tổ chức trong danh bạ"),
    "organization.deactivated": _l("Ngừng sử dụng cơ quan, tổ chức trong danh bạ"),
    "organization.imported": _l("Nhập danh bạ cơ quan từ tệp"),
    "webhook.created": _l("Thêm webhook"),
    "webhook.updated": _l("Sửa, bật hoặc tắt webhook"),
    "webhook.deleted": _l("Xóa webhook"),
    "webhook.pinged": _l("Gửi thử webhook"),
    "webhook.delivery_retried": _l("Gửi lại sự kiện webhook"),
    "webhook.delivery_given_up": _l("Bỏ qua sự kiện webhook"),
    "outgoing.signing_prepared": _l("Chuẩn bị ký số"),
    "outgoing.signed": _l("Lãnh đạo ký số"),
    "auth.login": _l("Đăng nhập"),
    "auth.logout": _l("Đăng xuất"),
    "auth.login_failed": _l("Đăng nhập không thành công"),
    "auth.login_refused_locked": _l("Từ chối đăng nhập: tài khoản đang bị khóa"),
    "auth.account_locked": _l("Khóa tài khoản do đăng nhập sai nhiều lần"),
    "auth.password_changed": _l("Đổi mật khẩu"),
    "auth.password_change_refused": _l("Từ chối đổi mật khẩu"),
    "auth.token_issued": _l("Cấp mã truy cập API"),
    "auth.token_rejected": _l("Từ chối mã truy cập API"),
    "auth.token_revoked": _l("Thu hồi mã truy cập API"),
    "security.access_denied": _l("Truy cập chức năng không được phép"),
    "security.csrf_rejected": _l("Từ chối biểu mẫu hết hạn hoặc giả mạo"),
    "security.self_change_refused": _l("Từ chối tự thay đổi quyền của mình"),
    "user.created": _l("Tạo tài khoản"),
    "user.updated": _l("Sửa tài khoản"),
    "unit.created": _l("Tạo đơn vị"),
    "dossier.created": _l("Mở hồ sơ"),
    "dossier.documents_added": _l("Đưa văn bản vào hồ sơ"),
    "dossier.closed": _l("Đóng hồ sơ"),
    "dossier.transferred": _l("Nộp hồ sơ vào lưu trữ"),
    "dossier.disposed": _l("Hủy hồ sơ hết giá trị"),
    "dossier.list_copied": _l("Sao chép danh mục hồ sơ sang năm mới"),
    "archive.export_started": _l("Bắt đầu xuất gói lưu trữ"),
    "archive.exported": _l("Xuất gói lưu trữ"),
    "archive.export_refused": _l("Từ chối xuất gói lưu trữ"),
    "archive.imported": _l("Nhập gói lưu trữ"),
    "audit.checkpoint": _l("Ký điểm kiểm tra nhật ký"),
    "audit.rekeyed": _l("Chuyển nhật ký sang khóa mới"),
    "storage.gc": _l("Dọn tệp không còn dùng"),
    "backup.created": _l("Sao lưu dữ liệu"),
    "backup.restored": _l("Khôi phục từ bản sao lưu"),
    "incoming.register_exported": _l("Xuất sổ văn bản đến"),
    "outgoing.register_exported": _l("Xuất sổ văn bản đi"),
}

#: What each detail kept with an event is called.
DETAIL_LABELS = {
    "backup_created_at": _l("Thời điểm sao lưu"),
    "backup_host": _l("Máy đã sao lưu"),
    "blobs": _l("Số tệp lưu trữ"),
    "blobs_included": _l("Kèm các tệp lưu trữ"),
    "manifest_sha256": _l("Mã băm bản kê (SHA-256)"),
    "active": _l("Đang dùng"),
    "added": _l("Đã thêm"),
    "already_received": _l("Đã nhận trước đó"),
    "arrival_number": _l("Số đến"),
    "changes": _l("Thay đổi"),
    "channel": _l("Hình thức gửi"),
    "clearance": _l("Mức tiếp cận bí mật"),
    "code": _l("Mã"),
    "cooperating_unit_ids": _l("Đơn vị phối hợp"),
    "count": _l("Số lượng"),
    "created_codes": _l("Mã được thêm"),
    "deadline": _l("Hạn giải quyết"),
    "decision": _l("Quyết định"),
    "delivery": _l("Lần gửi"),
    "direction": _l("Ý kiến chỉ đạo"),
    "directory": _l("Thư mục"),
    "dispatch_id": _l("Lần gửi"),
    "document_ids": _l("Văn bản"),
    "documents": _l("Số văn bản"),
    "docx_sha256": _l("Mã băm tệp DOCX"),
    "dossier_ids": _l("Hồ sơ"),
    "dossiers": _l("Hồ sơ"),
    "email": _l("Thư điện tử"),
    "endpoint": _l("Địa chỉ"),
    "event": _l("Sự kiện"),
    "events": _l("Sự kiện"),
    "fields": _l("Trường"),
    "file": _l("Tệp"),
    "file_id": _l("Tệp"),
    "filename": _l("Tên tệp"),
    "files": _l("Số tệp"),
    "format": _l("Định dạng"),
    "from": _l("Từ"),
    "full_name": _l("Họ và tên"),
    "internal": _l("Dùng chung hệ thống"),
    "kind": _l("Loại"),
    "lead_unit_id": _l("Đơn vị chủ trì"),
    "lead_user_id": _l("Người chủ trì"),
    "leader": _l("Lãnh đạo"),
    "legacy_register": _l("Sổ của hệ thống cũ"),
    "legacy_register_sha256": _l("Mã băm sổ của hệ thống cũ"),
    "legacy_row": _l("Dòng trong sổ cũ"),
    "legacy_seq": _l("Sự kiện cũ đến số"),
    "legacy_sha256_head": _l("Mã băm cũ"),
    "message_id": _l("Gói tin"),
    "name": _l("Tên"),
    "needs": _l("Vai trò cần có"),
    "number": _l("Số"),
    "organ_code": _l("Mã định danh cơ quan"),
    "pages": _l("Số trang"),
    "password_reset": _l("Đặt lại mật khẩu"),
    "path": _l("Trang"),
    "reason": _l("Lý do"),
    "recipient": _l("Nơi nhận"),
    "register": _l("Sổ"),
    "register_id": _l("Sổ"),
    "removed": _l("Đã xóa"),
    "replaced_by": _l("Thay bằng"),
    "requests": _l("Số yêu cầu"),
    "role": _l("Vai trò tệp"),
    "roles": _l("Vai trò"),
    "rows": _l("Số dòng"),
    "secrecy": _l("Độ mật"),
    "sender": _l("Nơi gửi"),
    "sessions_ended": _l("Phiên đăng nhập đã kết thúc"),
    "sha256": _l("Mã băm SHA-256"),
    "signatures": _l("Chữ ký"),
    "signer": _l("Người ký"),
    "source": _l("Nguồn"),
    "task_id": _l("Việc"),
    "text": _l("Nội dung"),
    "title": _l("Chức vụ"),
    "to": _l("Đến"),
    "to_organ": _l("Cơ quan nhận"),
    "tokens_revoked": _l("Mã API đã thu hồi"),
    "unit_id": _l("Đơn vị"),
    "updated_codes": _l("Mã được sửa"),
    "url": _l("Địa chỉ"),
    "username": _l("Tên đăng nhập"),
    "verdict": _l("Kết quả kiểm tra chữ ký"),
    "version": _l("Phiên bản"),
    "via": _l("Hình thức nhận"),
    "year": _l("Năm"),
}

#: Coded values some details hold, and what they mean.
VALUE_LABELS = {
    "ok": _l("hợp lệ"),
    "invalid": _l("không hợp lệ"),
    "no_signatures": _l("không có chữ ký số"),
    "paper": _l("bản giấy"),
    "electronic": _l("điện tử"),
    "admin": _l("Quản trị"),
    "clerk": _l("Văn thư"),
    "leader": _l("Lãnh đạo"),
    "specialist": _l("Chuyên viên"),
    "archivist": _l("Lưu trữ"),
    "unknown": _l("không rõ"),
    "expired": _l("đã hết hạn"),
    "revoked": _l("đã bị thu hồi"),
    "main": _l("tệp chính"),
    "attachment": _l("tệp đính kèm"),
    "appendix": _l("phụ lục"),
    "upload": _l("văn thư tải lên"),
    "dispatch": _l("cơ quan dùng chung hệ thống gửi"),
    "package": _l("gói lưu trữ"),
    "exchange": _l("liên thông văn bản"),
    "integration": _l("hệ thống khác gửi qua API"),
    "email": _l("thư điện tử"),
    "internal": _l("trong hệ thống"),
    "peer": _l("trực tiếp"),
    "hub": _l("qua trục"),
    "files": _l("tệp"),
    "edxml": _l("liên thông edXML"),
}


def action_label(action: str) -> str:
    """The event's name; one not listed yet reads as its area ("Văn bản đến: …") rather than
    as a code."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    area = str(AREA_LABELS.get(action.split(".")[0], _l("Hệ thống")))
    return f"{area}: {action.split('.', 1)[-1].replace('_', ' ')}"


AREA_LABELS = {
    "incoming": _l("Văn bản đến"),
    "outgoing": _l("Văn bản đi"),
    "document": _l("Văn bản"),
    "dossier": _l("Hồ sơ"),
    "auth": _l("Đăng nhập"),
    "user": _l("Tài khoản"),
    "security": _l("An ninh"),
    "exchange": _l("Liên thông"),
    "webhook": _l("Webhook"),
    "organization": _l("Danh bạ cơ quan"),
    "archive": _l("Lưu trữ"),
    "audit": _l("Nhật ký"),
    "unit": _l("Đơn vị"),
    "storage": _l("Kho tệp"),
    "backup": _l("Sao lưu"),
}


def action_group_label(prefix: str) -> str:
    """A filter on every action of an area (``auth.``): "Đăng nhập (mọi hành động)"."""
    area = prefix.split(".")[0]
    return f"{AREA_LABELS.get(area, area)} ({_l('mọi hành động')})"


def detail_label(key: str) -> str:
    return str(DETAIL_LABELS.get(key, key.replace("_", " ")))


def detail_value(value: Any, changes: bool = False) -> str:
    """One detail as a person reads it: lists joined, yes/no, dates as dd/mm/yyyy, a coded
    value by its meaning; within ``changes`` each ``[before, after]`` as "before → after"."""
    if isinstance(value, bool):
        return str(yes_no(value))
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return "; ".join(
            f"{detail_label(k)}: {_change(v) if changes else detail_value(v)}"
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(detail_value(v) for v in value) or "—"
    if isinstance(value, str):
        if value in VALUE_LABELS:
            return str(VALUE_LABELS[value])
        if ISO_DATE.match(value):
            return datetime_vn(value) if "T" in value or " " in value else date_vn(value)
    return str(value)


#: What an event is about (``AuditEvent.object_type``).
OBJECT_LABELS = {
    "document": _l("Văn bản"),
    "user": _l("Tài khoản"),
    "unit": _l("Đơn vị"),
    "api_token": _l("Mã truy cập API"),
    "dossier": _l("Hồ sơ"),
    "organization": _l("Cơ quan"),
    "webhook": _l("Webhook"),
    "webhook_delivery": _l("Lần gửi webhook"),
    "exchange_message": _l("Gói tin liên thông"),
    "exchange_peer": _l("Hệ thống liên thông"),
    "register": _l("Sổ"),
    "directory": _l("Danh bạ cơ quan"),
    "job": _l("Tác vụ nền"),
}


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type.replace("_", " ")))


def _level(value: Any) -> str:
    if isinstance(value, int) and 0 <= value < len(SECRECY_LABELS):
        return str(SECRECY_LABELS[value])
    return detail_value(value)


def _change(value: Any) -> str:
    if isinstance(value, list | tuple) and len(value) == 2:
        return f"{detail_value(value[0])} → {detail_value(value[1])}"
    return detail_value(value)


def readable_details(details: Any) -> list[tuple[str, str]]:
    """An event's details as (label, value) lines, for the audit page."""
    if not isinstance(details, dict):
        return [("", detail_value(details))] if details else []
    return [
        (
            detail_label(key),
            _level(value)
            if key in ("clearance", "secrecy")
            else detail_value(value, changes=key == "changes"),
        )
        for key, value in details.items()
    ]
