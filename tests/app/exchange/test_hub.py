"""A hub forwards between its members; a package its member will not take comes back to the
origin as 02 with the reason, never swallowed at the hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.services import timeline
from edoc.incoming.models import IncomingDocument
from edoc.outgoing.models import Dispatch
from signing.pki import DemoPKI
from tests.app.exchange.test_inbox import count
from tests.fixtures.documents import issued_document, send
from tests.fixtures.exchange import Installation, add_peer, directory_entry, installations_fixture
from tests.fixtures.pki import Tokens


@pytest.fixture
def hub_and_members(
    app: Flask,
    tmp_path: Path,
    softhsm_tokens: Tokens,
    exchange_tokens: dict[str, str],
    demo_pki: DemoPKI,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Installation]]:
    """The province (origin), the finance department as the hub, the district behind it."""
    monkeypatch.delenv("EDOC_AGENCY_TOKEN_MODULE", raising=False)
    found = installations_fixture(
        app, tmp_path, ("tinh", "stc", "huyen"), softhsm_tokens, exchange_tokens, demo_pki
    )
    made = next(found)
    yield made
    next(found, None)


def test_a_member_refusing_a_forwarded_package_sends_02_back_to_the_origin(
    hub_and_members: dict[str, Installation], softhsm_tokens: Tokens, demo_pki: DemoPKI
) -> None:
    tinh, hub, huyen = hub_and_members["tinh"], hub_and_members["stc"], hub_and_members["huyen"]
    add_peer(tinh, hub, demo_pki, kind="hub")
    add_peer(hub, tinh, demo_pki, kind="member")
    add_peer(hub, huyen, demo_pki, kind="member")
    # the district's operator declared the hub as an ordinary peer: it refuses (422) packages
    # the hub brings in the province's name
    add_peer(huyen, hub, demo_pki, kind="peer")
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    assert send(tinh.client, clerk, document_id, [directory_entry(tinh, huyen)]).status_code == 200
    for installation in (tinh, hub, tinh):
        assert installation.cli("exchange", "deliver").exit_code == 0
    assert count(huyen, IncomingDocument) == 0
    with hub.app.app_context():
        forwarded = db.session.scalar(
            select(ExchangeMessage).where(ExchangeMessage.direction == "forward")
        )
        assert forwarded.state == "failed" and "sender_mismatch" in forwarded.last_error
    with tinh.app.app_context():
        dispatch_id = db.session.scalar(
            select(Dispatch.id).where(Dispatch.document_id == document_id)
        )
        [refusal] = timeline(dispatch_id)
        assert refusal.status_code == "02" and "sender_mismatch" in refusal.description
        assert db.session.get(Dispatch, dispatch_id).status == "refused"
