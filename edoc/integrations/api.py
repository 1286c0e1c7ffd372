"""``/api/v1/webhooks`` (admin) and ``/api/v1/integrations/documents`` (other systems)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from edoc.api import Blueprint, refusals
from edoc.core.auth import api_roles, api_user
from edoc.core.errors import ValidationError
from edoc.integrations import inbound, services
from edoc.integrations.models import WebhookDelivery, WebhookSubscription
from edoc.integrations.schemas import (
    METADATA_FIELDS,
    DeliveryArgs,
    DeliveryPage,
    DeliverySchema,
    InboundAnswer,
    InboundUpload,
    WebhookCreate,
    WebhookCreated,
    WebhookSchema,
    WebhookUpdate,
)
from edoc.users.models import Role

blp = Blueprint(
    "integrations_api",
    __name__,
    url_prefix="/api/v1",
    description="Kết nối với hệ thống khác: webhook và nhận văn bản",
)

S = HTTPStatus


class _Created:
    """A new subscription as answered once: its fields and its secret."""

    def __init__(self, subscription: WebhookSubscription, secret: str) -> None:
        self._subscription = subscription
        self.secret = secret

    def __getattr__(self, name: str) -> Any:
        return getattr(self._subscription, name)


@blp.route("/webhooks")
class Webhooks(MethodView):
    @blp.response(200, WebhookSchema(many=True))
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN)
    @api_roles(Role.ADMIN)
    def get(self) -> list[WebhookSubscription]:
        """Every webhook subscription (admin)."""
        return services.list_subscriptions()

    @blp.arguments(WebhookCreate)
    @blp.response(201, WebhookCreated)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN)
    @api_roles(Role.ADMIN)
    def post(self, args: dict[str, Any]) -> _Created:
        """Subscribe a URL to document events; the answer carries the HMAC secret, once."""
        return _Created(*services.create_subscription(actor=api_user(), **args))


@blp.route("/webhooks/<int:subscription_id>")
class WebhookItem(MethodView):
    @blp.response(200, WebhookSchema)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.NOT_FOUND)
    @api_roles(Role.ADMIN)
    def get(self, subscription_id: int) -> WebhookSubscription:
        """One subscription (its secret is never shown again)."""
        return services.get_subscription(subscription_id)

    @blp.arguments(WebhookUpdate)
    @blp.response(200, WebhookSchema)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.NOT_FOUND)
    @api_roles(Role.ADMIN)
    def patch(self, args: dict[str, Any], subscription_id: int) -> WebhookSubscription:
        """Change the name, URL or events, or disable (``active: false``) / enable it."""
        return services.update_subscription(subscription_id, api_user(), **args)

    @blp.response(204)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.NOT_FOUND)
    @api_roles(Role.ADMIN)
    def delete(self, subscription_id: int) -> None:
        """Remove the subscription and its delivery log."""
        services.delete_subscription(subscription_id, api_user())


@blp.route("/webhooks/<int:subscription_id>/deliveries")
class WebhookDeliveries(MethodView):
    @blp.arguments(DeliveryArgs, location="query")
    @blp.response(200, DeliveryPage)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.NOT_FOUND)
    @api_roles(Role.ADMIN)
    def get(self, args: dict[str, Any], subscription_id: int) -> dict[str, Any]:
        """The subscription's delivery log, newest first."""
        services.get_subscription(subscription_id)
        flt = services.DeliveryFilter(subscription_id=subscription_id, **args)
        total, items = services.list_deliveries(flt)
        return {"total": total, "page": flt.page, "per_page": flt.per_page, "items": items}


@blp.route("/webhooks/<int:subscription_id>/ping")
class WebhookPing(MethodView):
    @blp.response(201, DeliverySchema)
    @refusals(blp, S.UNAUTHORIZED, S.FORBIDDEN, S.NOT_FOUND)
    @api_roles(Role.ADMIN)
    def post(self, subscription_id: int) -> WebhookDelivery:
        """Queue a test event (``ping``), sent at once by the worker."""
        return services.send_ping(subscription_id, api_user())


@blp.route("/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/retry")
class WebhookRetry(MethodView):
    @blp.response(200, DeliverySchema)
    @refusals(
        blp,
        S.UNAUTHORIZED,
        S.FORBIDDEN,
        S.NOT_FOUND,
        (S.CONFLICT, "The delivery has not failed."),
    )
    @api_roles(Role.ADMIN)
    def post(self, subscription_id: int, delivery_id: int) -> WebhookDelivery:
        """Send a failed (or given-up) delivery again, with the same event id."""
        return services.retry_delivery(delivery_id, api_user(), subscription_id)


class IdempotencyHeaders(Schema):
    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        load_default="",
        validate=validate.Length(max=255),
        metadata={
            "description": "the caller's id for this call: a repeat returns the same document"
        },
    )


@blp.route("/integrations/documents")
class InboundDocuments(MethodView):
    @blp.arguments(IdempotencyHeaders, location="headers")
    @blp.arguments(InboundUpload, location="multipart")
    @blp.response(201, InboundAnswer, description="The document was created.")
    @blp.alt_response(200, schema=InboundAnswer, description="A repeat: the earlier document.")
    @refusals(
        blp,
        S.UNAUTHORIZED,
        S.FORBIDDEN,
        S.CONFLICT,
        S.REQUEST_ENTITY_TOO_LARGE,
        S.SERVICE_UNAVAILABLE,
    )
    @api_roles(Role.CLERK)
    def post(self, headers: dict[str, Any], form: dict[str, Any]) -> Any:
        """Send a document into the clerk's queue (not registered): a PDF ``file`` and its
        metadata (``metadata`` as JSON, or form fields). Answers 201 with the new document,
        or 200 with the earlier one when ``Idempotency-Key`` or ``external_reference``
        repeats an earlier call."""
        uploads = form.pop("file")
        metadata = {key: form.get(key) for key in METADATA_FIELDS}
        if not uploads:
            raise ValidationError(
                "file_required",
                _("Cần đính kèm tệp văn bản."),
                details={"file": _("Cần đính kèm tệp văn bản.")},
            )
        result = inbound.receive(api_user(), metadata, uploads, headers["idempotency_key"])
        return result.answer(), 201 if result.created else 200
