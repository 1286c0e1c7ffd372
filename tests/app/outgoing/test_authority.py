"""The signing authority block in full (ND30 Appendix I): worked out from the draft's kind and
title and the agency's titles, refused when it cannot be printed, and read back with pdftotext
from the PDFs the leader signed."""

from __future__ import annotations

import subprocess

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.errors import ValidationError
from edoc.core.extensions import db
from edoc.documents.agency import SigningTitles
from edoc.outgoing.authority import title_lines
from tests.fixtures.app import bearer, login
from tests.fixtures.documents import leader_id, post_draft, sign_drafts
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.pki import Tokens

UBND = SigningTitles("Ủy ban nhân dân", "Chủ tịch")

#: kind, the title the draft is signed under (empty: the leader's own, "Chủ tịch"), the block
BLOCKS = [
    ("", "", ["CHỦ TỊCH"]),
    ("TM.", "", ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]),
    ("TM.", "Phó Chủ tịch", ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
    ("KT.", "Phó Chủ tịch", ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]),
    ("Q.", "Phó Chủ tịch", ["Q. CHỦ TỊCH"]),
    ("TL.", "Chánh Văn phòng", ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]),
    ("TUQ.", "Trưởng phòng Tổng hợp", ["TUQ. CHỦ TỊCH", "TRƯỞNG PHÒNG TỔNG HỢP"]),
]


@pytest.mark.parametrize(("kind", "title", "block"), BLOCKS)
def test_each_kind_prints_its_lines(kind: str, title: str, block: list[str]) -> None:
    assert title_lines(kind, title or "Chủ tịch", UBND) == block


@pytest.mark.parametrize(
    ("kind", "title", "titles", "field"),
    [
        ("TM.", "Chủ tịch", SigningTitles("", "Chủ tịch"), "authority_prefix"),
        ("KT.", "Phó Chủ tịch", SigningTitles("Ủy ban nhân dân", ""), "authority_prefix"),
        ("TL.", "Chánh Văn phòng", SigningTitles("", " "), "authority_prefix"),
        ("KT.", "chủ  TỊCH", UBND, "signer_title"),  # the head does not sign "for" themselves
        ("", "", UBND, "signer_title"),
    ],
)
def test_a_block_that_cannot_be_printed_is_refused(
    app: Flask, kind: str, title: str, titles: SigningTitles, field: str
) -> None:
    with app.test_request_context(), pytest.raises(ValidationError) as refused:
        title_lines(kind, title, titles)
    assert list(refused.value.details) == [field]
    assert refused.value.code == "authority_incomplete"


def _pdftotext(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def test_the_signed_pdfs_print_the_block_in_full(
    trusted_app: Flask, client: FlaskClient, demo: None, softhsm_tokens: Tokens
) -> None:
    drafter = bearer(client, "chuyenvien")
    signer = leader_id(client)
    ids = []
    for n, (kind, title, block) in enumerate(BLOCKS, start=1):
        created = post_draft(
            client,
            drafter,
            draft_pdf(f"QUYET DINH {n}"),
            doc_type="QĐ",
            subject=f"Quyết định số {n}",
            authority_prefix=kind,
            signer_title=title,
            signer_id=str(signer),
        )
        assert created.status_code == 201, created.get_json()
        document_id = created.get_json()["id"]
        submitted = client.post(f"/api/v1/outgoing/{document_id}/submit", json={}, headers=drafter)
        assert submitted.status_code == 200, submitted.get_json()
        assert submitted.get_json()["signer_title"] == (title or "Chủ tịch")
        assert submitted.get_json()["authority_lines"] == block
        ids.append(document_id)
    sign_drafts(client, softhsm_tokens, ids)
    leader = bearer(client, "lanhdao")
    for document_id, (kind, _title, block) in zip(ids, BLOCKS, strict=True):
        signed = client.get(f"/api/v1/documents/{document_id}/file", headers=leader)
        text = _pdftotext(signed.data)
        assert "\n".join([*block, "", "Nguyễn Văn An"]) in text, (kind, text)


def test_the_draft_form_refuses_a_block_it_cannot_print(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    admin = bearer(client, "quantri")
    drafter = bearer(client, "chuyenvien")
    agency = client.get("/api/v1/agency", headers=drafter).get_json()
    assert (agency["collective_name"], agency["head_title"]) == ("Ủy ban nhân dân", "Chủ tịch")
    assert client.put("/api/v1/agency", json={}, headers=drafter).status_code == 403
    cleared = client.put(
        "/api/v1/agency", json={"collective_name": "", "head_title": "Chủ tịch"}, headers=admin
    )
    assert cleared.status_code == 200 and cleared.get_json()["collective_name"] == ""

    refused = post_draft(
        client, drafter, draft_pdf(), doc_type="QĐ", subject="Quyết định", authority_prefix="TM."
    )
    assert refused.status_code == 422
    assert "TM." in refused.get_json()["error"]["details"]["authority_prefix"]

    # the head's title was set: a deputy's draft goes through, the head's own KT. does not
    kt = post_draft(
        client, drafter, draft_pdf(), doc_type="QĐ", subject="Quyết định", authority_prefix="KT."
    )
    assert kt.status_code == 201
    submitted = client.post(
        f"/api/v1/outgoing/{kt.get_json()['id']}/submit",
        json={"signer_id": leader_id(client)},
        headers=drafter,
    )
    assert submitted.status_code == 422
    assert "signer_title" in submitted.get_json()["error"]["details"]
    document = client.get(f"/api/v1/documents/{kt.get_json()['id']}", headers=drafter)
    assert document.get_json()["status"] == "draft"  # nothing half-done


def test_the_admin_sets_the_agency_titles_on_the_units_page(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    login(client, "quantri")
    page = client.get("/admin/units").get_data(as_text=True)
    assert 'value="Ủy ban nhân dân"' in page and 'value="Chủ tịch"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    saved = client.post(
        "/admin/agency",
        data={
            "csrf_token": token,
            "collective_name": "Hội đồng nhân dân",
            "head_title": "Chủ tịch",
        },
        follow_redirects=True,
    )
    assert saved.status_code == 200
    assert "Đã lưu thẩm quyền ký của cơ quan." in saved.get_data(as_text=True)
    assert 'value="Hội đồng nhân dân"' in saved.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "agency.updated"))
        assert event is not None and event.actor_name == "quantri"
        assert event.details["changes"] == {
            "collective_name": ["Ủy ban nhân dân", "Hội đồng nhân dân"]
        }
