"""What exchange adds to the incoming and outgoing pages (registered by ``init_exchange``; those
areas sit below this one and never import it): the sender's timeline of each recipient, the
origin and checks of a document that came from the axis, and the list's "Liên thông" badge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.documents.panels import register_list_marks, register_panel
from edoc.exchange import edxml, peers, queries
from edoc.exchange.models import ExchangeMessage, MessageState
from edoc.outgoing.models import OutgoingStatus
from edoc.users.models import Role

STATE_LABELS = {
    MessageState.PENDING: _l("Chờ gửi"),
    MessageState.DELIVERED: _l("Đã gửi"),
    MessageState.FAILED: _l("Gửi lỗi"),
    MessageState.GIVEN_UP: _l("Đã ngừng gửi"),
    MessageState.RECEIVED: _l("Đã nhận, chờ kiểm tra"),
    MessageState.VERIFIED: _l("Đã kiểm tra, chờ đến lượt xử lý"),
    MessageState.PROCESSED: _l("Đã xử lý"),
    MessageState.REFUSED: _l("Bị từ chối"),
    MessageState.HELD: _l("Đang giữ lại"),
    MessageState.EXPORTED: _l("Đã xuất tệp .edxml"),
}
DIRECTION_LABELS = {"out": _l("Gửi đi"), "in": _l("Nhận về"), "forward": _l("Chuyển tiếp")}
KIND_LABELS = {"document": _l("Văn bản"), "status": _l("Trạng thái")}
BUSINESS_LABELS = {0: _l("Văn bản mới"), 1: _l("Thu hồi"), 2: _l("Cập nhật"), 3: _l("Thay thế")}
PEER_KIND_LABELS = {
    "peer": _l("Kết nối trực tiếp"),
    "hub": _l("Trục liên thông (hub)"),
    "member": _l("Cơ quan thành viên của hub này"),
}
#: How packages reach a peer; a transport registered without a label shows its name.
TRANSPORT_LABELS = {"http": _l("Trực tiếp qua mạng (HTTPS, edXML)")}
VIA_LABELS = {
    "direct": _l("Trực tiếp từ hệ thống nơi gửi"),
    "hub": _l("Qua trục liên thông"),
    "file": _l("Nhập từ tệp .edxml"),
}


def status_label(code: str) -> str:
    return f"{code} {edxml.STATUS_LABELS.get(code, '')}".strip()


def signer_name(subject: str) -> str:
    """The common name of a signer's subject as the check reports it ("Common Name: UBND tỉnh
    Demo, Organization: …"), or the subject as it is."""
    _head, found, rest = subject.partition("Common Name: ")
    return rest.split(", ")[0] if found else subject


def delivery(message: ExchangeMessage) -> dict[str, Any]:
    """What became of a package on its way out, in the operator's words: ``state`` (a CSS
    class: waiting, sent, failed, held, given-up) and ``text``."""
    state = message.state
    if state == MessageState.DELIVERED:
        return {"state": "sent", "text": _("Đã gửi"), "at": message.delivered_at}
    if state == MessageState.HELD:
        return {"state": "held", "text": _("Chưa có đường liên thông"), "error": message.last_error}
    if state == MessageState.GIVEN_UP:
        return {"state": "given-up", "text": _("Đã ngừng gửi"), "error": message.last_error}
    if state == MessageState.EXPORTED:
        return {"state": "exported", "text": _("Đã xuất tệp .edxml")}
    if state == MessageState.FAILED or (state == MessageState.PENDING and message.attempts):
        text = _("Gửi lỗi") if state == MessageState.FAILED else _("Gửi lỗi, sẽ gửi lại")
        return {
            "state": "failed",
            "text": text,
            "attempts": message.attempts,
            "error": message.last_error,
            "next": message.next_attempt_at,
        }
    return {"state": "waiting", "text": _("Chờ gửi")}


def template_context() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "direction_labels": DIRECTION_LABELS,
        "kind_labels": KIND_LABELS,
        "business_labels": BUSINESS_LABELS,
        "peer_kind_labels": PEER_KIND_LABELS,
        "via_labels": VIA_LABELS,
        "status_label": status_label,
        "signer_name": signer_name,
        "delivery": delivery,
        "may_operate": may_operate(),
        "unpinned_warning": UNPINNED_WARNING,
        "unpinned_explanation": UNPINNED_EXPLANATION,
    }


def may_operate() -> bool:
    """Whether the user may open the exchange pages (message detail, retry, download)."""
    return current_user.is_authenticated and current_user.has_role(Role.ADMIN, Role.CLERK)


def outgoing_panel(document_id: int) -> str | None:
    """Each recipient the document went to by exchange, with its delivery and its statuses;
    for the clerk, the way to a package file for a recipient that is not connected."""
    timelines = queries.dispatch_timelines(document_id)
    document = db.session.get(Document, document_id)
    may_export = (
        document is not None
        and document.status == OutgoingStatus.ISSUED
        and current_user.has_role(Role.CLERK)
    )
    if not timelines and not may_export:
        return None
    return render_template(
        "exchange/_dispatch_timelines.html",
        timelines=timelines,
        document_id=document_id,
        may_export=may_export,
        **template_context(),
    )


def incoming_panel(document_id: int) -> str | None:
    """Where a document from the axis came from, what the checks found, the statuses sent
    back, and the packages that recall or replace it."""
    found = queries.origin(document_id)
    if found is None:
        return None
    hub = peers.peer(found.message.hop) if found.via == "hub" and found.message.hop else None
    return render_template(
        "exchange/_incoming_origin.html",
        origin=found,
        document=db.session.get(Document, document_id),
        hub=hub,
        **template_context(),
    )


UNPINNED_WARNING = _l("Người gửi chưa được xác thực (nhập tay, chứng thư chưa ghim)")
UNPINNED_EXPLANATION = _l(
    "Gói tin được nhập tay từ tệp .edxml; chữ ký số gói tin hợp lệ và do tổ chức chứng thực "
    "tin cậy cấp, nhưng chứng thư đó chưa được ghim (đăng ký) cho cơ quan gửi, nên chưa chắc "
    "gói tin do chính cơ quan này gửi. Cần đối chiếu người ký với cơ quan gửi trước khi vào sổ."
)


def incoming_marks(document_ids: Sequence[int]) -> dict[int, str]:
    """The "Liên thông" badge on arrivals from the axis, and beside it, on a package brought
    by hand whose sender's certificate is not pinned, the warning that its sender is not
    authenticated (distinct from a verified arrival)."""
    badge = Markup('<mark class="exchange" data-testid="exchange-badge" title="{}">{}</mark>')
    html = badge.format(_("Nhận qua trục liên thông (edXML)"), _("Liên thông"))
    warning = Markup(
        ' <mark class="exchange-unpinned" data-testid="exchange-unpinned" title="{}">{}</mark>'
    ).format(UNPINNED_EXPLANATION, UNPINNED_WARNING)
    unpinned = queries.unpinned_arrivals(document_ids)
    return {
        document_id: str(html + warning) if document_id in unpinned else str(html)
        for document_id in queries.exchanged_documents(document_ids)
    }


def init_panels(app: Flask) -> None:
    register_panel(app, "outgoing.detail", outgoing_panel)
    register_panel(app, "incoming.detail", incoming_panel)
    register_list_marks(app, "incoming.list", incoming_marks)
