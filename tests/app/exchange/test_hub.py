"""A hub forwards between its members; a package its member will not take comes back to the
origin as 02 with the reason, never swallowed at the hub."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.exchange import edxml, inbox, keys
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.operations import timeline
from edoc.incoming.models import IncomingDocument
from edoc.outgoing.models import Dispatch
from signing.pki import DemoPKI
from tests.fixtures.app import signed_in
from tests.fixtures.documents import issued_document, send
from tests.fixtures.exchange import (
    Installation,
    add_peer,
    count,
    directory_entry,
    installations_fixture,
    post_signed,
)
from tests.fixtures.pki import Tokens

#: The province (origin), the finance department as the hub, the district behind it; FOUR adds
#: the home affairs department as a second member.
THREE = ("tinh", "stc", "huyen")
FOUR = (*THREE, "snv")


@pytest.fixture
def hub_and_members(
    request: pytest.FixtureRequest,
    app: Flask,
    tmp_path: Path,
    softhsm_tokens: Tokens,
    exchange_tokens: dict[str, str],
    demo_pki: DemoPKI,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Installation]]:
    """``THREE`` installations in process, or those of the test's indirect parameter."""
    monkeypatch.delenv("EDOC_AGENCY_TOKEN_MODULE", raising=False)
    names = getattr(request, "param", THREE)
    found = installations_fixture(app, tmp_path, names, softhsm_tokens, exchange_tokens, demo_pki)
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


@pytest.mark.parametrize("hub_and_members", [FOUR], indirect=True)
def test_a_package_naming_two_members_reaches_each_of_them_once(
    hub_and_members: dict[str, Installation], softhsm_tokens: Tokens, demo_pki: DemoPKI
) -> None:
    """Other systems address one package to several agencies; the hub forwards it to every
    member it names, not only the first, and a repeat creates nothing."""
    made = hub_and_members
    tinh, hub, huyen, snv = made["tinh"], made["stc"], made["huyen"], made["snv"]
    add_peer(tinh, hub, demo_pki, kind="hub")
    for member in (tinh, huyen, snv):
        add_peer(hub, member, demo_pki, kind="member")
    for member in (huyen, snv):
        add_peer(member, hub, demo_pki, kind="hub")
    hub.stop()  # the province's own package waits: only its bytes are wanted here
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    assert send(tinh.client, clerk, document_id, [directory_entry(tinh, huyen)]).status_code == 200
    hub.serve()
    with tinh.app.app_context():
        sealed = db.session.scalar(
            select(ExchangeMessage).where(ExchangeMessage.direction == "out")
        )
        envelope = edxml.parse(blob_store().open(sealed.package_sha256).read())
        assert isinstance(envelope, edxml.Envelope)
        to_both = tuple(edxml.Organ(m.organ_id, m.agency_name) for m in (huyen, snv))
        package = edxml.build(
            keys.seal(
                dataclasses.replace(
                    envelope,
                    message_id="5b0f6f0e-0000-4000-8000-0000000000d1",
                    header=dataclasses.replace(envelope.header, to_organs=to_both),
                )
            )
        )

    snv.stop()  # the home affairs department is down: its forward waits
    assert post_signed(tinh, hub, package).status_code == 202
    again = post_signed(tinh, hub, package)
    assert again.status_code == 200 and again.json()["result"] == "already_received", again.text
    assert hub.cli("exchange", "deliver").exit_code == 0
    assert count(huyen, IncomingDocument) == 1
    assert count(snv, IncomingDocument) == 0
    with hub.app.app_context():
        forwarded = dict(
            db.session.execute(
                select(ExchangeMessage.to_organ, ExchangeMessage.state).where(
                    ExchangeMessage.direction == "forward", ExchangeMessage.kind == "document"
                )
            ).all()
        )
        assert sorted(forwarded) == sorted([huyen.organ_id, snv.organ_id])
        assert forwarded[huyen.organ_id] == "delivered" and forwarded[snv.organ_id] != "delivered"

    # the operator's commands name the addressee: one id is two forwards here
    message_id = "5b0f6f0e-0000-4000-8000-0000000000d1"
    for command in (("retry", message_id), ("give-up", message_id, "--reason", "thử")):
        ambiguous = hub.cli("exchange", *command)
        assert ambiguous.exit_code != 0 and "message_ambiguous" in ambiguous.output
        assert huyen.organ_id in ambiguous.output and snv.organ_id in ambiguous.output
    delivered = hub.cli("exchange", "retry", message_id, "--to", huyen.organ_id)
    assert delivered.exit_code != 0 and "not_retryable" in delivered.output
    unknown = hub.cli("exchange", "retry", message_id, "--to", "000.00.00.H99")
    assert unknown.exit_code != 0 and "message_not_found" in unknown.output
    snv.serve()
    retried = hub.cli("exchange", "retry", message_id, "--to", snv.organ_id)
    assert retried.exit_code == 0, retried.output
    assert hub.cli("exchange", "deliver").exit_code == 0
    assert count(snv, IncomingDocument) == 1 and count(huyen, IncomingDocument) == 1
    done = hub.cli("exchange", "give-up", message_id, "--to", snv.organ_id, "--reason", "thử")
    assert done.exit_code != 0 and "not_pending" in done.output


def test_the_hub_keeps_a_forwarded_package_for_the_retention_period_then_gc_takes_it(
    hub_and_members: dict[str, Installation],
    softhsm_tokens: Tokens,
    demo_pki: DemoPKI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tinh, hub, huyen = hub_and_members["tinh"], hub_and_members["stc"], hub_and_members["huyen"]
    add_peer(tinh, hub, demo_pki, kind="hub")
    add_peer(hub, tinh, demo_pki, kind="member")
    add_peer(hub, huyen, demo_pki, kind="member")
    add_peer(huyen, hub, demo_pki, kind="hub")
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    assert send(tinh.client, clerk, document_id, [directory_entry(tinh, huyen)]).status_code == 200
    assert count(huyen, IncomingDocument) == 1
    with hub.app.app_context():
        forwarded = db.session.scalar(
            select(ExchangeMessage).where(
                ExchangeMessage.direction == "forward", ExchangeMessage.kind == "document"
            )
        )
        assert forwarded.state == "delivered"
        traced = forwarded.package_sha256
    with tinh.app.app_context():
        sent = db.session.scalar(
            select(ExchangeMessage.package_sha256).where(ExchangeMessage.direction == "out")
        )

    def collect(installation: Installation) -> None:
        done = installation.cli("gc", "--grace-hours", "0")
        assert done.exit_code == 0, done.output

    def stored(installation: Installation, sha256: str) -> bool:
        with installation.app.app_context():
            return blob_store().exists(sha256)

    collect(hub)  # delivered, but within the retention period (30 days by default)
    assert stored(hub, traced)
    admin = signed_in(hub.app, "quantri")
    page = admin.get(f"/exchange/messages/{forwarded.id}").get_data(as_text=True)
    assert 'data-testid="package-download"' in page
    assert admin.get(f"/exchange/messages/{forwarded.id}/package").status_code == 200
    collect(tinh)  # the sender's own package stays, whatever its age
    assert stored(tinh, sent)

    settings = hub.app.config["EDOC"]
    expired = dataclasses.replace(settings, exchange_forward_retention_days=0)
    monkeypatch.setitem(hub.app.config, "EDOC", expired)
    collect(hub)
    assert not stored(hub, traced)
    with hub.app.app_context():  # the record of the forward stays, only its bytes went
        assert db.session.get(ExchangeMessage, forwarded.id).state == "delivered"
    # the operator still reads where it went, and is not offered the bytes that went
    detail = admin.get(f"/exchange/messages/{forwarded.id}")
    assert detail.status_code == 200
    page = detail.get_data(as_text=True)
    assert f"<dd>{tinh.organ_id}</dd>" in page  # from
    assert page.count(f"<dd>{huyen.organ_id}</dd>") == 2  # to, and the hop it was handed to
    assert 'data-testid="package-not-kept"' in page
    assert 'data-testid="package-download"' not in page
    assert admin.get(f"/exchange/messages/{forwarded.id}/package").status_code == 404
    listing = admin.get("/exchange/messages?direction=forward").get_data(as_text=True)
    assert f"{tinh.organ_id} → {huyen.organ_id}" in listing


def test_a_forward_that_failed_while_being_checked_is_not_sent_on(
    hub_and_members: dict[str, Installation], softhsm_tokens: Tokens, demo_pki: DemoPKI
) -> None:
    """A forwarded package whose check failed until its attempts ran out was never checked
    against the origin's certificate nor traced: the operator cannot send it on to the member
    as if received (one by one or all failed at once); it stays failed, and its origin hears
    02."""
    tinh, hub, huyen = hub_and_members["tinh"], hub_and_members["stc"], hub_and_members["huyen"]
    add_peer(tinh, hub, demo_pki, kind="hub")
    add_peer(hub, tinh, demo_pki, kind="member")
    add_peer(hub, huyen, demo_pki, kind="member")
    hub.stop()  # the province's package is built and waits: its bytes, as the hub would get them
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    assert send(tinh.client, clerk, document_id, [directory_entry(tinh, huyen)]).status_code == 200
    with tinh.app.app_context():
        sent = db.session.scalar(select(ExchangeMessage).where(ExchangeMessage.direction == "out"))
        package = blob_store().open(sent.package_sha256).read()
    object.__setattr__(hub.app.config["EDOC"], "exchange_max_attempts", 1)
    with hub.app.app_context():
        inbox.accept_package(package, via=tinh.organ_id)
        db.session.commit()
        forward = db.session.scalar(
            select(ExchangeMessage).where(ExchangeMessage.direction == "forward")
        )
        message_id, sha256 = forward.message_id, forward.package_sha256
        db.session.commit()
        blob_store().delete(sha256, unreferenced=True)  # its bytes lost before its check
    assert hub.cli("exchange", "deliver").exit_code == 0

    def forward_row() -> ExchangeMessage:
        with hub.app.app_context():
            row = db.session.scalar(
                select(ExchangeMessage).where(ExchangeMessage.direction == "forward")
            )
            db.session.expunge(row)
            return row

    assert forward_row().state == "failed"
    with hub.app.app_context():  # its origin is told it will not arrive
        [refusal] = db.session.scalars(
            select(ExchangeMessage).where(ExchangeMessage.about_message_id == message_id)
        ).all()
        assert (refusal.status_code, refusal.to_organ) == ("02", tinh.organ_id)
    one = hub.cli("exchange", "retry", message_id, "--to", huyen.organ_id)
    assert one.exit_code != 0 and "not_checked" in one.output
    every = hub.cli("exchange", "retry", "--all-failed")
    assert every.exit_code == 0 and "0 package(s)" in every.output
    assert forward_row().state == "failed"
    assert count(huyen, IncomingDocument) == 0
