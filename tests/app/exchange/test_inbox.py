"""The inbox as another system (or an attacker) sees it: signed requests only, hostile
packages refused with nothing stored, a package delivered twice creates one document, a
tampered one is refused with 02, an outage delays delivery without losing or doubling."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.exchange import edxml, keys
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.operations import timeline
from edoc.exchange.packages import this_organ
from edoc.incoming.models import IncomingDocument
from edoc.outgoing.models import Dispatch
from edoc.outgoing.sending import dispatch_status_label
from tests.fixtures.exchange import (
    Installation,
    count,
    held_package,
    post,
    post_signed,
    signed_by,
)
from tests.fixtures.pki import Tokens


def test_outage_then_retry_delivers_once(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    package, dispatch_id = held_package(pair, softhsm_tokens)
    assert count(stc, IncomingDocument) == 0
    assert tinh.cli("exchange", "status").exit_code == 0
    assert tinh.cli("exchange", "retry", "--all-failed").exit_code == 0
    result = tinh.cli("exchange", "deliver")
    assert result.exit_code == 0, result.output
    assert count(stc, IncomingDocument) == 1
    with tinh.app.app_context():
        assert [e.status_code for e in timeline(dispatch_id)] == ["01"]
    # the same package again (an answer lost, a retry): one document still
    again = post_signed(tinh, stc, package)
    assert again.status_code == 200 and again.json()["result"] == "already_received"
    assert count(stc, IncomingDocument) == 1


def test_tampered_header_is_refused_with_02_and_does_not_block_the_genuine_package(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    package, dispatch_id = held_package(pair, softhsm_tokens)
    subject = "Quyết định ban hành số 0".encode()
    assert subject in package
    tampered = package.replace(subject, "Quyết định ban hành số 9".encode())
    answer = post_signed(tinh, stc, tampered)
    assert answer.status_code == 202, answer.text  # well-formed: the seal check refuses it
    assert count(stc, IncomingDocument) == 0
    with tinh.app.app_context():
        events = timeline(dispatch_id)
        assert [e.status_code for e in events] == ["02"]
        assert events[0].description
    with stc.app.app_context():
        refused = db.session.scalar(
            select(ExchangeMessage).where(ExchangeMessage.direction == "in")
        )
        assert refused.state == "refused" and refused.last_error

    genuine = post_signed(tinh, stc, package)  # same message id, the real bytes
    assert genuine.status_code == 202 and genuine.json()["result"] == "accepted", genuine.text
    assert count(stc, IncomingDocument) == 1
    with tinh.app.app_context():
        assert [e.status_code for e in timeline(dispatch_id)] == ["02", "01"]
    repeat = post_signed(tinh, stc, package)
    assert repeat.json()["result"] == "already_received"
    assert count(stc, IncomingDocument) == 1


def test_hostile_requests_are_refused_and_nothing_is_stored(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    package, _dispatch = held_package(pair, softhsm_tokens)
    before = count(stc, ExchangeMessage)
    assert post(stc, package, {}).status_code == 401  # unsigned
    headers = signed_by(tinh, package)
    assert post(stc, package, {**headers, keys.ORGAN_HEADER: "000.00.99.H30"}).status_code == 403
    stale = (datetime.now(UTC) - timedelta(minutes=11)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert post(stc, package, {**headers, keys.TIMESTAMP_HEADER: stale}).status_code == 401
    assert post(stc, package + b" ", headers).status_code == 401  # body changed after signing
    # signed by another agency's key than the one pinned for the province
    with stc.app.app_context():
        own = keys.sign_request(package, stc.organ_id)
    forged = {**own, keys.ORGAN_HEADER: tinh.organ_id}
    assert post(stc, package, forged).status_code == 401
    assert (
        post(
            stc, package, {**headers, keys.SIGNATURE_HEADER: base64.b64encode(b"x").decode()}
        ).status_code
        == 401
    )
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<edXMLEnvelope>&lol2;</edXMLEnvelope>"
    )
    answer = post_signed(tinh, stc, bomb)
    assert answer.status_code == 422 and answer.json()["error"]["code"], answer.text
    huge = b"<" + b"x" * (stc.app.config["EDOC"].max_upload_mb * 1024 * 1024 + 1)
    assert post(stc, huge, {}).status_code == 401  # who calls is asked before the size
    oversize = post_signed(tinh, stc, huge)  # a known peer: now the size
    assert oversize.status_code == 413, oversize.text
    wrong_to = package.replace(stc.organ_id.encode(), b"000.00.77.H30")
    answer = post_signed(tinh, stc, wrong_to)
    assert answer.status_code == 422, answer.text
    assert count(stc, ExchangeMessage) == before
    assert count(stc, IncomingDocument) == 0


class UnreadBody(io.RawIOBase):
    """A request body that records whether the server read any of it."""

    def __init__(self) -> None:
        self.touched = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def readinto(self, buffer: Any) -> int:
        self.touched = True
        return 0


def test_callers_are_identified_before_the_body_is_read(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """An unsigned or unknown caller is refused from the headers alone, however large the
    body it announces (not 413, which would mean its size was weighed), and nothing stored."""
    tinh, stc = pair["tinh"], pair["stc"]
    oversize = str(stc.app.config["EDOC"].max_upload_mb * 1024 * 1024 * 4)
    headers = signed_by(tinh, b"<edXMLEnvelope/>")
    callers = {
        "unsigned": ({}, 401, "request_unsigned"),
        "unknown organ": ({**headers, keys.ORGAN_HEADER: "000.00.99.H30"}, 403, "unknown_organ"),
        "stale": (
            {**headers, keys.TIMESTAMP_HEADER: "2020-01-01T00:00:00Z"},
            401,
            "stale_request",
        ),
        "garbled signature": ({**headers, keys.SIGNATURE_HEADER: "%%%"}, 401, "bad_signature"),
    }
    before = count(stc, ExchangeMessage), stored_blob_count(stc)
    for what, (caller_headers, status, code) in callers.items():
        body = UnreadBody()
        answer = stc.client.post(
            "/api/v1/exchange/inbox",
            input_stream=body,
            headers={
                "Content-Type": "application/xml",
                "Content-Length": oversize,
                **caller_headers,
            },
        )
        assert answer.status_code == status, (what, answer.get_data(as_text=True))
        assert answer.json["error"]["code"] == code, what
        assert not body.touched, what
    assert (count(stc, ExchangeMessage), stored_blob_count(stc)) == before


def stored_blob_count(installation: Installation) -> int:
    with installation.app.app_context():
        return sum(1 for _blob in blob_store().iter_blobs())


def test_status_about_an_unknown_message_is_kept(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]

    with stc.app.app_context():
        status = edxml.StatusMessage(
            message_id="5b0f6f0e-0000-4000-8000-000000000001",
            about_message_id="5b0f6f0e-0000-4000-8000-00000000dead",
            response_for=edxml.ResponseFor(
                tinh.organ_id, "99/QĐ-UBND", datetime.now(UTC).date(), ""
            ),
            from_organ=this_organ(),
            to_organ=edxml.Organ(tinh.organ_id, tinh.agency_name),
            status_code="03",
            description="",
            timestamp=datetime.now(UTC).replace(microsecond=0),
        )
        body = edxml.build(keys.seal(status))
    answer = post_signed(stc, tinh, body)
    assert answer.status_code == 202, answer.text
    with tinh.app.app_context():
        kept = db.session.scalar(select(ExchangeMessage).where(ExchangeMessage.direction == "in"))
        assert kept.state == "held" and kept.last_error
    assert "held=1" in tinh.cli("exchange", "status").output


def test_dispatch_status_label(pair: dict[str, Installation]) -> None:

    with pair["tinh"].app.app_context():
        assert dispatch_status_label("arrived") == "Đã đến"
    assert Dispatch is not None
