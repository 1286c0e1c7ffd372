"""Replacing a document already sent (edXML business type 3): the clerk picks the issued
document that replaces it, from its page or through the API; the recipient's system receives the
new one as a replacement, marks its copy of the old one replaced and answers 13; both sides link
the new document and the old one."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.operations import timeline
from edoc.incoming.models import IncomingDocument
from edoc.outgoing import services as outgoing_services
from edoc.outgoing.models import Dispatch, OutgoingDocument
from edoc.users.models import User
from tests.fixtures.app import form_post, signed_in
from tests.fixtures.documents import issued_document, send
from tests.fixtures.exchange import Installation, directory_entry
from tests.fixtures.pki import Tokens


def sent_and_replacement(pair: dict[str, Installation], tokens: Tokens) -> tuple[int, int, dict]:
    """A document issued and sent to the department, and a second issued one (not sent)."""
    tinh, stc = pair["tinh"], pair["stc"]
    old_id, clerk = issued_document(tinh.client, tokens)
    assert send(tinh.client, clerk, old_id, [directory_entry(tinh, stc)]).status_code == 200
    new_id, _clerk = issued_document(tinh.client, tokens)
    return old_id, new_id, clerk


def incoming_by_number(stc: Installation) -> dict[str, tuple[int, str]]:
    with stc.app.app_context():
        rows = db.session.scalars(select(IncomingDocument)).all()
        return {
            row.document.number_notation: (row.document_id, row.document.status) for row in rows
        }


def assert_replaced_on_both_sides(
    pair: dict[str, Installation], old_id: int, new_id: int
) -> tuple[int, int]:
    """The sender's old document replaced by the new one; the recipient's copy of the old one
    recalled and linked to its copy of the new one by the package that replaced it."""
    tinh, stc = pair["tinh"], pair["stc"]
    with tinh.app.app_context():
        old = db.session.get(OutgoingDocument, old_id)
        assert old.document.status == "replaced" and old.replaced_by_id == new_id
        old_number = old.document.number_notation
        new_number = db.session.get(OutgoingDocument, new_id).document.number_notation
        dispatch_id = db.session.scalar(select(Dispatch.id).where(Dispatch.document_id == old_id))
        replacing = db.session.scalar(
            select(ExchangeMessage).where(
                ExchangeMessage.direction == "out", ExchangeMessage.business_type == 3
            )
        )
        assert replacing.document_id == new_id and replacing.state == "delivered"
        # 01 for the old one, 13 for its recall, 01 for the replacement's arrival
        assert sorted(e.status_code for e in timeline(dispatch_id)) == ["01", "01", "13"]
    copies = incoming_by_number(stc)
    assert set(copies) == {old_number, new_number}
    assert copies[old_number][1] == "recalled"
    assert copies[new_number][1] != "recalled"
    with stc.app.app_context():
        old_message, new_message = (
            db.session.scalar(
                select(ExchangeMessage).where(
                    ExchangeMessage.direction == "in", ExchangeMessage.document_id == copies[n][0]
                )
            )
            for n in (old_number, new_number)
        )
        assert new_message.business_type == 3
        assert new_message.replaces_message_id == old_message.message_id
    return copies[old_number][0], copies[new_number][0]


def test_the_api_replaces_a_sent_document_and_both_sides_link_them(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    old_id, new_id, clerk = sent_and_replacement(pair, softhsm_tokens)
    answer = tinh.client.post(
        f"/api/v1/outgoing/{old_id}/replace",
        json={"replacement_id": new_id, "reason": "Sai số liệu ở Điều 2"},
        headers=clerk,
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "replaced"
    assert answer.get_json()["replaced_by_id"] == new_id
    old_copy, new_copy = assert_replaced_on_both_sides(pair, old_id, new_id)

    # the recipient's page of the old copy says it was replaced and leads to the new one
    stc_clerk = signed_in(stc.app, "vanthu")
    page = stc_clerk.get(f"/incoming/{old_copy}").get_data(as_text=True)
    assert 'data-testid="origin-replaced-by"' in page
    assert f"/incoming/{new_copy}" in page
    new_page = stc_clerk.get(f"/incoming/{new_copy}").get_data(as_text=True)
    assert 'data-testid="origin-replaces"' in new_page and f"/incoming/{old_copy}" in new_page

    # the same replacement cannot replace a second document
    again = tinh.client.post(
        f"/api/v1/outgoing/{new_id}/replace",
        json={"replacement_id": new_id, "reason": "x"},
        headers=clerk,
    )
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "replacement_invalid"


def test_the_clerk_replaces_from_the_document_page(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh = pair["tinh"]
    old_id, new_id, _clerk = sent_and_replacement(pair, softhsm_tokens)
    browser = signed_in(tinh.app, "vanthu")
    page = browser.get(f"/outgoing/{old_id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*data-testid="replace-form".*?</form>', page, re.S)
    assert form is not None and f'value="{new_id}"' in form.group(0)
    assert f'value="{old_id}"' not in form.group(0)  # not itself

    refused = form_post(
        browser, f"/outgoing/{old_id}/replace", f"/outgoing/{old_id}", {"reason": "Sai số liệu"}
    )
    assert refused.status_code == 422
    assert "Cần chọn văn bản thay thế." in refused.get_data(as_text=True)
    with tinh.app.app_context():
        assert db.session.get(OutgoingDocument, old_id).document.status == "issued"

    done = form_post(
        browser,
        f"/outgoing/{old_id}/replace",
        f"/outgoing/{old_id}",
        {"replacement_id": str(new_id), "reason": "Sai số liệu ở Điều 2"},
    )
    assert done.status_code == 302
    assert_replaced_on_both_sides(pair, old_id, new_id)
    old_page = browser.get(f"/outgoing/{old_id}").get_data(as_text=True)
    assert 'data-testid="replaced-by"' in old_page and f"/outgoing/{new_id}" in old_page
    assert 'data-testid="replace-form"' not in old_page  # replaced: nothing more to replace
    new_page = browser.get(f"/outgoing/{new_id}").get_data(as_text=True)
    assert 'data-testid="replaces"' in new_page and f"/outgoing/{old_id}" in new_page


def test_the_service_refuses_what_cannot_replace_and_changes_nothing(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh = pair["tinh"]
    old_id, new_id, _clerk = sent_and_replacement(pair, softhsm_tokens)
    with tinh.app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "vanthu"))
        refusals = {
            "itself": (old_id, "replacement_invalid"),
            "no such document": (987654, "replacement_invalid"),
        }
        for what, (replacement_id, code) in refusals.items():
            with pytest.raises(AppError) as refused:
                outgoing_services.replace(old_id, replacement_id, clerk, "Sai")
            assert refused.value.code == code, what
            assert refused.value.message, what
            db.session.rollback()
        # a secret replacement would have to travel as a package: refused
        db.session.get(OutgoingDocument, new_id).document.secrecy = 1
        with pytest.raises(AppError) as secret:
            outgoing_services.replace(old_id, new_id, clerk, "Sai")
        assert secret.value.code == "secret_not_exchangeable", secret.value.message
        db.session.rollback()
        outgoing_services.replace(old_id, new_id, clerk, "Sai số liệu")
        db.session.commit()
        third_id = db.session.scalar(
            select(OutgoingDocument.document_id).where(
                OutgoingDocument.document_id.not_in((old_id, new_id))
            )
        )
    if third_id is None:
        third_id, _clerk = issued_document(tinh.client, softhsm_tokens)
    with tinh.app.app_context():
        clerk = db.session.scalar(select(User).where(User.username == "vanthu"))
        with pytest.raises(AppError) as used:
            outgoing_services.replace(third_id, new_id, clerk, "Sai")
        assert used.value.code == "replacement_in_use" and used.value.status == 409
        db.session.rollback()
        assert db.session.get(OutgoingDocument, third_id).document.status == "issued"
        # a document no longer issued (replaced) cannot be replaced again
        with pytest.raises(AppError) as twice:
            outgoing_services.replace(old_id, third_id, clerk, "Sai")
        assert twice.value.status == 409
