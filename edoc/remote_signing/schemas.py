"""What the leader's page sends to sign remotely, and what comes back."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from edoc.core.params import id_field
from edoc.outgoing.schemas import FinishResponse, PrepareArgs


class RemoteSignArgs(PrepareArgs):
    """The drafts (and the versions read, as for the agent) plus the remote key and the code."""

    class Meta:
        exclude = ("certificate",)

    credential = id_field(required=True)
    otp = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^\d{6,8}$", error="Mã OTP gồm 6 đến 8 chữ số."),
        metadata={"description": "the current code of the leader's authenticator app; never kept"},
    )


class RemoteSignResponse(FinishResponse):
    pass


class CredentialSchema(Schema):
    id = fields.Integer(required=True)
    credential_id = fields.String(required=True)
    provider = fields.String(required=True)
    description = fields.String(required=True)
    enrolled = fields.Boolean(required=True)
    locked = fields.Boolean(required=True)
