"""The admin's webhook pages, and ``init_integrations`` that plugs the area into the app.

Creating a subscription answers the page with its secret, once: never through ``flash`` (the
session cookie is signed, not encrypted) and never again afterwards.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from edoc.core.auth import Role, roles_required
from edoc.core.errors import AppError
from edoc.core.forms import FormInvalid, load_form
from edoc.core.paging import page_count
from edoc.core.params import last_page_if_past, with_clamped_page
from edoc.core.signals import document_event
from edoc.core.transactions import kick_after_request
from edoc.integrations import events, services
from edoc.integrations.models import DELIVERY_STATUS_LABELS, WEBHOOK_EVENT_LABELS
from edoc.integrations.schemas import DeliveryArgs, GiveUpForm, WebhookCreate
from edoc.integrations.tasks import deliver_webhooks_task
from edoc.users.current import signed_in

bp = Blueprint("integrations", __name__, url_prefix="/admin/webhooks")


def _list_page(values: Any, errors: dict[str, str], status: int = 200) -> Any:
    subscriptions = services.list_subscriptions()
    page = render_template(
        "integrations/webhook_list.html",
        subscriptions=subscriptions,
        blocked={s.id: services.blocked_by(s) for s in subscriptions},
        event_labels=WEBHOOK_EVENT_LABELS,
        values=values,
        errors=errors,
    )
    return page, status


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def webhook_list() -> Any:
    if request.method == "GET":
        return _list_page(MultiDict(), {})
    try:
        fields = load_form(WebhookCreate(), request.form, lists=("events",))
        subscription, secret = services.create_subscription(actor=signed_in(), **fields)
    except AppError as error:
        if isinstance(error, FormInvalid):
            return _list_page(request.form, error.fields, error.status)
        errors = error.details if isinstance(error.details, dict) else {}
        if not errors:
            flash(error.message, "error")
        return _list_page(request.form, errors, error.status)
    page = render_template(
        "integrations/webhook_created.html", subscription=subscription, secret=secret
    )
    return page, 201, {"Cache-Control": "no-store"}


@bp.route("/<int:subscription_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def webhook_toggle(subscription_id: int) -> Any:
    active = request.form.get("active") == "1"
    services.update_subscription(subscription_id, signed_in(), active=active)
    flash(_("Đã bật webhook.") if active else _("Đã tắt webhook."), "success")
    return redirect(url_for("integrations.webhook_list"))


@bp.route("/<int:subscription_id>/ping", methods=["POST"])
@roles_required(Role.ADMIN)
def webhook_ping(subscription_id: int) -> Any:
    services.send_ping(subscription_id, signed_in())
    flash(_("Đã gửi sự kiện thử (ping); xem kết quả trong nhật ký gửi."), "success")
    return redirect(url_for("integrations.delivery_list", subscription=subscription_id))


@bp.route("/deliveries")
@roles_required(Role.ADMIN)
def delivery_list() -> Any:
    errors: dict[str, str] = {}
    try:
        args = load_form(DeliveryArgs(), with_clamped_page(request.args))
    except FormInvalid as refused:
        errors, args = refused.fields, load_form(DeliveryArgs(), MultiDict())
    subscription_id = request.args.get("subscription", type=int)
    flt = services.DeliveryFilter(subscription_id=subscription_id, **args)
    total, items = services.list_deliveries(flt)
    if (last := last_page_if_past(flt.page, total, flt.per_page)) != flt.page:
        flt.page = last
        total, items = services.list_deliveries(flt)
    return render_template(
        "integrations/delivery_list.html",
        items=items,
        total=total,
        page=flt.page,
        pages=page_count(total, flt.per_page),
        subscriptions=services.list_subscriptions(),
        subscription_id=subscription_id,
        status_labels=DELIVERY_STATUS_LABELS,
        event_labels=WEBHOOK_EVENT_LABELS,
        args=request.args,
        errors=errors,
    ), (422 if errors else 200)


def _back_to_log() -> Any:
    """Back to the log page the form was on (a path on this site only: no open redirect)."""
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("integrations.delivery_list")
    return redirect(target)


@bp.route("/deliveries/<int:delivery_id>/retry", methods=["POST"])
@roles_required(Role.ADMIN)
def delivery_retry(delivery_id: int) -> Any:
    services.retry_delivery(delivery_id, signed_in())
    flash(_("Đã đưa lần gửi vào hàng đợi để gửi lại."), "success")
    return _back_to_log()


@bp.route("/deliveries/<int:delivery_id>/give-up", methods=["POST"])
@roles_required(Role.ADMIN)
def delivery_give_up(delivery_id: int) -> Any:
    reason = load_form(GiveUpForm(), request.form)["reason"]
    services.give_up_delivery(delivery_id, signed_in(), reason)
    flash(_("Đã bỏ qua lần gửi; các sự kiện sau được gửi tiếp."), "success")
    return _back_to_log()


def init_integrations(app: Flask) -> None:
    """Hear document events (deliveries in the change's transaction), serve the admin pages,
    and kick the delivery task after requests that queued something."""
    events.connect(document_event)
    app.register_blueprint(bp)
    kick_after_request(app, events.take_flag, deliver_webhooks_task, "webhook delivery")
