"""Between two directly connected installations: a package the peer's inbox will not take is
the dispatch's 02 with the reason at the sender; appendices travel as attachments and arrive
as files of the incoming document."""

from __future__ import annotations

import dataclasses
import io

import pytest
from sqlalchemy import func, select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.exchange.operations import timeline
from edoc.incoming.models import IncomingDocument
from edoc.outgoing.models import Dispatch
from tests.fixtures.app import bearer, csrf_token_from, login
from tests.fixtures.documents import (
    issue,
    leader_id,
    post_draft,
    send,
    sign_drafts,
    submitted_draft,
)
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.exchange import Installation, directory_entry
from tests.fixtures.pki import Tokens


def dispatch_to(installation: Installation, document_id: int) -> Dispatch:
    return db.session.scalar(select(Dispatch).where(Dispatch.document_id == document_id))


def test_a_package_the_peers_inbox_refuses_is_a_02_with_the_reason_at_the_sender(
    pair: dict[str, Installation], softhsm_tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    # the finance department takes no package at all (its size limit below any package)
    limited = dataclasses.replace(stc.app.config["EDOC"], max_upload_mb=0)
    monkeypatch.setitem(stc.app.config, "EDOC", limited)
    signed_ids = _signed(tinh, softhsm_tokens)
    [document_id] = signed_ids
    clerk = bearer(tinh.client, "vanthu")
    assert issue(tinh.client, clerk, signed_ids)["failed"] == {}
    sent = send(tinh.client, clerk, document_id, [directory_entry(tinh, stc)])
    assert sent.status_code == 200, sent.get_json()
    with stc.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 0
    with tinh.app.app_context():
        dispatch = dispatch_to(tinh, document_id)
        [refusal] = timeline(dispatch.id)
        assert refusal.status_code == "02"
        assert "package_too_large" in refusal.description
        assert dispatch.status == "refused"


def test_appendices_travel_as_attachments_and_arrive_as_files(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    [document_id] = _signed(tinh, softhsm_tokens, appendix=draft_pdf("PHU LUC"))
    clerk = bearer(tinh.client, "vanthu")
    assert issue(tinh.client, clerk, [document_id])["failed"] == {}
    with tinh.app.app_context():
        files = db.session.get(Document, document_id).files
        sent = {f.role: blob_store().open(f.sha256).read() for f in files}
        assert set(sent) == {"main", "appendix"}
    response = send(tinh.client, clerk, document_id, [directory_entry(tinh, stc)])
    assert response.status_code == 200, response.get_json()
    with stc.app.app_context():
        incoming = db.session.scalar(select(IncomingDocument))
        assert incoming is not None
        arrived = {f.filename: blob_store().open(f.sha256).read() for f in incoming.document.files}
        main = incoming.document.main_file
    assert len(arrived) == 2
    assert arrived.pop(main.filename) == sent["main"]
    [(name, appendix)] = arrived.items()
    assert name.startswith("Phụ lục") and appendix == sent["appendix"]


def _signed(installation: Installation, tokens: Tokens, appendix: bytes | None = None) -> list[int]:
    """A decision drafted (with ``appendix`` added through the draft's page), submitted to the
    leader and signed."""
    client = installation.client
    drafter = bearer(client, "chuyenvien")
    signer = leader_id(client)
    if appendix is None:
        document_id = submitted_draft(client, drafter, "Quyết định gửi liên thông", signer)
    else:
        created = post_draft(
            client,
            drafter,
            draft_pdf("QUYET DINH"),
            doc_type="QĐ",
            subject="Quyết định có phụ lục",
            recipients="Các sở, ban, ngành\nLưu: VT",
            authority_prefix="KT.",
            signer_title="Phó Chủ tịch",
        )
        assert created.status_code == 201, created.get_json()
        document_id = created.get_json()["id"]
        page = installation.app.test_client()
        assert login(page, "chuyenvien").status_code == 302
        token = csrf_token_from(page.get("/outgoing/").get_data(as_text=True))
        added = page.post(
            f"/outgoing/{document_id}/appendices",
            data={"file": (io.BytesIO(appendix), "Phụ lục.pdf"), "csrf_token": token},
            content_type="multipart/form-data",
        )
        assert added.status_code == 302, added.get_data(as_text=True)
        submitted = client.post(
            f"/api/v1/outgoing/{document_id}/submit", json={"signer_id": signer}, headers=drafter
        )
        assert submitted.status_code == 200, submitted.get_json()
    sign_drafts(client, tokens, [document_id])
    return [document_id]
