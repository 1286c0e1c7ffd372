"""An outbound package that cannot be built (a legacy recipient code, a number without its
notation) fails with the reason for the clerk, and the packages after it on the same route
still leave."""

from __future__ import annotations

from sqlalchemy import select, update

from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.exchange import queueing
from edoc.exchange.models import ExchangeMessage
from edoc.incoming.models import IncomingDocument
from tests.fixtures.app import bearer
from tests.fixtures.documents import issue, signed_drafts
from tests.fixtures.exchange import Installation, count
from tests.fixtures.pki import Tokens


def two_issued(installation: Installation, tokens: Tokens) -> list[int]:
    ids = signed_drafts(installation.client, tokens, 2)
    answer = issue(installation.client, bearer(installation.client, "vanthu"), ids)
    assert answer["failed"] == {}, answer
    return ids


def test_a_package_that_cannot_be_built_fails_and_the_route_goes_on(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    first, second = two_issued(tinh, softhsm_tokens)
    with tinh.app.app_context():
        broken = queueing.queue_document(first, stc.organ_id).message_id
        queueing.queue_document(second, stc.organ_id)
        db.session.commit()
        # a number kept from a legacy system, without its notation: no edXML package names it
        db.session.execute(
            update(Document).where(Document.id == first).values(number_notation="01")
        )
        db.session.commit()
    result = tinh.cli("exchange", "deliver")
    assert result.exit_code == 0, result.output
    with tinh.app.app_context():
        rows = {
            m.message_id: m
            for m in db.session.scalars(
                select(ExchangeMessage).where(
                    ExchangeMessage.direction == "out", ExchangeMessage.kind == "document"
                )
            )
        }
        assert rows[broken].state == "failed"
        assert "edXML" in rows[broken].last_error
        [other] = [m for m in rows.values() if m.message_id != broken]
        assert other.state == "delivered", other.last_error
    assert count(stc, IncomingDocument) == 1


def test_a_recipient_code_that_is_no_organ_code_fails_when_queued(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh = pair["tinh"]
    first, _second = two_issued(tinh, softhsm_tokens)
    with tinh.app.app_context():
        message = queueing.queue_document(first, "UBND-HBA")
        assert message.state == "failed"
        assert "UBND-HBA" in message.last_error and "000.00.00.H30" in message.last_error
