"""A peer that does not recognise our signed request (401/403: clocks apart, a certificate
renewed on one side only) has not judged the package: it is retried after back-off, never
shown as refused."""

from __future__ import annotations

from sqlalchemy import select

from edoc.core.extensions import db
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.operations import timeline
from edoc.outgoing.models import Dispatch
from signing.pki import DemoPKI
from tests.fixtures.documents import issued_document, send
from tests.fixtures.exchange import Installation, directory_entry
from tests.fixtures.pki import Tokens


def test_a_request_the_peer_does_not_recognise_is_retried_not_refused(
    pair: dict[str, Installation], softhsm_tokens: Tokens, demo_pki: DemoPKI
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    # the department still pins a certificate the province no longer signs with
    stale = stc.app.config["EDOC"].data_dir / "stale.pem"
    stale.write_text(stc.certificate_pem(demo_pki))
    result = stc.cli(
        "exchange", "peers", "add", tinh.organ_id, "--name", tinh.agency_name,
        "--endpoint", tinh.url, "--certificate", str(stale), "--kind", "peer",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    assert send(tinh.client, clerk, document_id, [directory_entry(tinh, stc)]).status_code == 200
    with tinh.app.app_context():
        message = db.session.scalar(
            select(ExchangeMessage).where(ExchangeMessage.direction == "out")
        )
        assert message.state == "pending" and message.attempts == 1, message.last_error
        assert "401" in message.last_error and message.next_attempt_at is not None
        assert timeline(message.dispatch_id) == []
        assert db.session.get(Dispatch, message.dispatch_id).status != "refused"
