"""What each audited action is called in Vietnamese (the code stays the stable key)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
