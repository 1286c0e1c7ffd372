"""What the notification pages and API accept and answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from edoc.api import UtcDateTime
from edoc.core.params import PageOf, page_field, per_page_field
from edoc.notifications.models import NotificationKind

KINDS = [kind.value for kind in NotificationKind]


class NotificationArgs(Schema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread ones"})
    page = page_field()
    per_page = per_page_field(default=30)


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "one of: " + ", ".join(KINDS)})
    kind_label = fields.String(metadata={"description": "the kind, in Vietnamese"})
    text = fields.String(metadata={"description": "what happened, in Vietnamese"})
    note = fields.String(metadata={"description": "a mention's words, a return's reason"})
    document_id = fields.Integer()
    document_title = fields.String()
    url = fields.String(metadata={"description": "the document's page"})
    actor = fields.String(allow_none=True, metadata={"description": "who acted, by name"})
    created_at = UtcDateTime()
    read_at = UtcDateTime(allow_none=True)


class NotificationPage(PageOf):
    unread = fields.Integer()
    items = fields.List(fields.Nested(NotificationSchema))


class UnreadCount(Schema):
    unread = fields.Integer()


class ReadAll(Schema):
    updated = fields.Integer(metadata={"description": "how many were unread"})


class PreferenceSchema(Schema):
    """One kind's choice. An update is partial: a field left out keeps the saved (or default)
    value, so no load default here (one would reset an omitted choice to on)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    label = fields.String(dump_only=True)
    in_app = fields.Boolean(metadata={"description": "left out: unchanged"})
    email = fields.Boolean(metadata={"description": "left out: unchanged"})
    digest = fields.Boolean(metadata={"description": "left out: unchanged"})


class PreferencesUpdate(Schema):
    preferences = fields.List(
        fields.Nested(PreferenceSchema), required=True, validate=validate.Length(max=len(KINDS))
    )
