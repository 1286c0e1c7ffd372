"""What the discussion API accepts and answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from edoc.api import UtcDateTime
from edoc.discussion.services import MAX_LENGTH


class MessageArgs(Schema):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=2**53),
        metadata={"description": "only messages with a larger id (the last one already seen)"},
    )


class MessageCreate(Schema):
    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_LENGTH),
        metadata={"description": "the text; @login names a person who may see the document"},
    )


class MessageSchema(Schema):
    id = fields.Integer()
    document_id = fields.Integer()
    author = fields.String(attribute="author.username")
    author_name = fields.String(attribute="author.full_name")
    body = fields.String()
    mentioned = fields.List(fields.String(), metadata={"description": "logins named"})
    created_at = UtcDateTime()
    created_at_local = fields.String(metadata={"description": "dd/mm/yyyy HH:MM, local time"})


class MessageList(Schema):
    items = fields.List(fields.Nested(MessageSchema))
    last_id = fields.Integer(metadata={"description": "pass it as ?after= to poll for new ones"})


class PersonArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=100))


class PersonSchema(Schema):
    username = fields.String()
    full_name = fields.String()
