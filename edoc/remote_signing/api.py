"""``/api/v1/remote-signing``: the leader's remote keys and a batch signed with one of them."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from edoc.api import Blueprint, refusals
from edoc.core.auth import Role, api_roles, api_user
from edoc.core.extensions import limiter
from edoc.remote_signing import leader, services
from edoc.remote_signing.csc_api import csc_limit
from edoc.remote_signing.models import RemoteCredential
from edoc.remote_signing.schemas import CredentialSchema, RemoteSignArgs, RemoteSignResponse

blp = Blueprint(
    "remote_signing_api", __name__, url_prefix="/api/v1", description="Ký số từ xa (CSC)"
)


@blp.route("/remote-signing/credentials")
class Credentials(MethodView):
    @blp.response(200, CredentialSchema(many=True))
    @refusals(blp, 401, 403)
    @api_roles(Role.LEADER)
    def get(self) -> list[RemoteCredential]:
        """The caller's remote signing keys (agency HSM or a provider)."""
        return services.credentials_of(api_user())  # type: ignore[arg-type]


@blp.route("/outgoing/sign/remote")
class RemoteSign(MethodView):
    @limiter.limit(csc_limit)
    @blp.arguments(RemoteSignArgs)
    @blp.response(200, RemoteSignResponse)
    @refusals(
        blp,
        (401, "Wrong one-time code (counted)."),
        (403, "Credential locked, or its certificate expired or revoked."),
        (404, "No such remote key, or a draft not visible."),
        (409, "A draft has a newer version than the one the leader read."),
        (503, "The HSM, the provider or the file store cannot be reached."),
    )
    @api_roles(Role.LEADER)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Prepare the drafts, have the remote key sign them after one authorisation (one OTP
        for the whole batch), then embed and validate each signature before it counts."""
        read = {int(k): v for k, v in args["versions"].items()}
        return leader.sign_batch(
            args["document_ids"],
            read,
            args["credential"],
            args.get("otp"),
            api_user(),  # type: ignore[arg-type]
        )
