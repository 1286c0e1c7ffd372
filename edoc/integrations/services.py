"""Webhook subscriptions and their delivery log: the one way each is changed, audited.

Services flush; the request or command commits. The secret of a subscription is returned once,
by :func:`create_subscription`, and is in no audit entry and no later answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select

from edoc.audit.services import record
from edoc.core.clock import local_day_end_utc, local_day_start_utc
from edoc.core.errors import Conflict, NotFound, ValidationError
from edoc.core.extensions import db
from edoc.core.paging import one_page
from edoc.integrations import events, secret_box, targets
from edoc.integrations.models import (
    PING,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from edoc.users.models import User

EVENT_NAMES = [event.value for event in WebhookEvent]


def _check_fields(name: str, url: str, events_: list[str]) -> tuple[str, str, list[str]]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Cần nhập tên.")
    unknown = [e for e in events_ if e not in EVENT_NAMES]
    if unknown:
        errors["events"] = _("Sự kiện không hợp lệ: %(e)s.", e=", ".join(unknown))
    elif not events_:
        errors["events"] = _("Cần chọn ít nhất một sự kiện.")
    try:
        url = targets.check_url(url, allow_private=current_app.config["EDOC"].webhook_allow_private)
    except ValidationError as refused:
        if not errors:
            raise
        errors.update(refused.details or {})
    if errors:
        raise ValidationError(
            "invalid_webhook", _("Thông tin webhook chưa hợp lệ."), details=errors
        )
    return name.strip(), url, [e for e in EVENT_NAMES if e in events_]


def create_subscription(
    name: str, url: str, events: list[str], actor: User
) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its secret (shown to the admin this once)."""
    name, url, events = _check_fields(name, url, events)
    secret = secret_box.new_secret()
    subscription = WebhookSubscription(
        name=name,
        url=url,
        secret_sealed=secret_box.seal(secret),
        events=events,
        active=True,
        created_by_id=actor.id,
    )
    db.session.add(subscription)
    db.session.flush()
    record(
        "webhook.created",
        actor=actor,
        object_type="webhook",
        object_id=subscription.id,
        name=name,
        url=targets.shown(url),
        events=events,
    )
    return subscription, secret


def get_subscription(subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound("webhook_not_found", _("Không tìm thấy webhook."))
    return subscription


def list_subscriptions() -> list[WebhookSubscription]:
    return list(db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def update_subscription(
    subscription_id: int,
    actor: User,
    *,
    name: str | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given; disabling stops deliveries (those waiting resume when enabled)."""
    subscription = get_subscription(subscription_id)
    name_, url_, events_ = _check_fields(
        subscription.name if name is None else name,
        subscription.url if url is None else url,
        subscription.events if events is None else events,
    )
    changes: dict[str, Any] = {}
    for key, value in (("name", name_), ("url", url_), ("events", events_)):
        if getattr(subscription, key) != value:
            setattr(subscription, key, value)
            changes[key] = targets.shown(value) if key == "url" else value
    if active is not None and active != subscription.active:
        subscription.active = active
        changes["active"] = active
    if changes:
        db.session.flush()
        record(
            "webhook.updated",
            actor=actor,
            object_type="webhook",
            object_id=subscription.id,
            **changes,
        )
    return subscription


def delete_subscription(subscription_id: int, actor: User) -> None:
    """Remove a subscription and its delivery log."""
    subscription = get_subscription(subscription_id)
    db.session.execute(
        WebhookDelivery.__table__.delete().where(WebhookDelivery.subscription_id == subscription.id)
    )
    db.session.delete(subscription)
    db.session.flush()
    record(
        "webhook.deleted",
        actor=actor,
        object_type="webhook",
        object_id=subscription_id,
        name=subscription.name,
    )


def send_ping(subscription_id: int, actor: User) -> WebhookDelivery:
    """Queue a test event (type ``ping``) for the subscription, ahead of nothing and behind
    nothing: pings skip the queue of document events."""
    subscription = get_subscription(subscription_id)
    event = events.new_event(PING, {"subscription": {"id": subscription.id}})
    events.queue(subscription, event, None)
    db.session.flush()
    record("webhook.pinged", actor=actor, object_type="webhook", object_id=subscription.id)
    return db.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.event_id == event["id"],
        )
    )


def get_delivery(delivery_id: int, subscription_id: int | None = None) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or (
        subscription_id is not None and delivery.subscription_id != subscription_id
    ):
        raise NotFound("delivery_not_found", _("Không tìm thấy lần gửi webhook."))
    return delivery


def retry_delivery(
    delivery_id: int, actor: User, subscription_id: int | None = None
) -> WebhookDelivery:
    """A failed (or given-up) delivery is sent again from its first attempt, with the same
    event id; a failed head of its queue lets the queue move again once it is delivered."""
    delivery = get_delivery(delivery_id, subscription_id)
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.GIVEN_UP):
        raise Conflict(
            "delivery_not_failed", _("Chỉ gửi lại được lần gửi đã thất bại hoặc đã bỏ qua.")
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = None
    _changed_by_admin(delivery, actor, "webhook.delivery_retried")
    return delivery


def give_up_delivery(delivery_id: int, actor: User, reason: str) -> WebhookDelivery:
    """The admin stops trying one delivery (with a reason): the queue behind it moves on."""
    delivery = get_delivery(delivery_id)
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.PENDING):
        raise Conflict("delivery_closed", _("Lần gửi này đã kết thúc."))
    if not reason.strip():
        raise ValidationError("reason_required", _("Cần nêu lý do bỏ qua."))
    delivery.status = DeliveryStatus.GIVEN_UP
    delivery.next_attempt_at = None
    delivery.last_error = (_("Bỏ qua: %(r)s", r=reason.strip()))[:1000]
    _changed_by_admin(delivery, actor, "webhook.delivery_given_up", reason=reason.strip())
    return delivery


def _changed_by_admin(delivery: WebhookDelivery, actor: User, action: str, **details: Any) -> None:
    """A delivery the admin sent again or gave up: the request drains the queues at its end
    (its subscription's queue may move now), and the change is audited."""
    db.session.info[events.FLAG] = True
    db.session.flush()
    record(
        action,
        actor=actor,
        object_type="webhook",
        object_id=delivery.subscription_id,
        delivery=delivery.id,
        event=delivery.event_id,
        **details,
    )


@dataclass
class DeliveryFilter:
    subscription_id: int | None = None
    status: str | None = None
    event_type: str | None = None
    document_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 50


def _delivery_query(flt: DeliveryFilter) -> Select:
    query = select(WebhookDelivery)
    if flt.subscription_id:
        query = query.where(WebhookDelivery.subscription_id == flt.subscription_id)
    if flt.status:
        query = query.where(WebhookDelivery.status == flt.status)
    if flt.event_type:
        query = query.where(WebhookDelivery.event_type == flt.event_type)
    if flt.document_id:
        query = query.where(WebhookDelivery.document_id == flt.document_id)
    if flt.date_from:
        query = query.where(WebhookDelivery.created_at >= local_day_start_utc(flt.date_from))
    if flt.date_to:
        query = query.where(WebhookDelivery.created_at < local_day_end_utc(flt.date_to))
    return query


def list_deliveries(flt: DeliveryFilter) -> tuple[int, list[WebhookDelivery]]:
    """One page of the delivery log, newest first."""
    return one_page(_delivery_query(flt), flt.page, flt.per_page, WebhookDelivery.id.desc())


def blocked_by(subscription: WebhookSubscription) -> WebhookDelivery | None:
    """The failed delivery that holds the subscription's queue, if one does."""
    head = db.session.scalar(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.FAILED)),
            WebhookDelivery.event_type != PING,
        )
        .order_by(WebhookDelivery.id)
        .limit(1)
    )
    return head if head is not None and head.status == DeliveryStatus.FAILED else None
