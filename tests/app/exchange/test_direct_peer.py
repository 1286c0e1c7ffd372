"""Between two directly connected installations: a package the peer's inbox will not take is
the dispatch's 02 with the reason at the sender; appendices travel as attachments and arrive
as files of the incoming document."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.exchange.operations import timeline
from edoc.incoming.models import IncomingDocument
from edoc.outgoing.models import Dispatch
from tests.fixtures.documents import issued_document, post_form, send
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.exchange import Installation, directory_entry
from tests.fixtures.pki import Tokens


def test_a_package_the_peers_inbox_refuses_is_a_02_with_the_reason_at_the_sender(
    pair: dict[str, Installation], softhsm_tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    # the finance department takes no package at all (its size limit below any package)
    limited = dataclasses.replace(stc.app.config["EDOC"], max_upload_mb=0)
    monkeypatch.setitem(stc.app.config, "EDOC", limited)
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    sent = send(tinh.client, clerk, document_id, [directory_entry(tinh, stc)])
    assert sent.status_code == 200, sent.get_json()
    with stc.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 0
    with tinh.app.app_context():
        dispatch = db.session.scalar(select(Dispatch).where(Dispatch.document_id == document_id))
        [refusal] = timeline(dispatch.id)
        assert refusal.status_code == "02"
        assert "package_too_large" in refusal.description
        assert dispatch.status == "refused"


def test_appendices_travel_as_attachments_and_arrive_as_files(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, clerk = issued_document(tinh.client, softhsm_tokens)
    sealed = post_form(
        tinh.client,
        f"/api/v1/outgoing/{document_id}/copies",
        clerk,
        draft_pdf("PHU LUC"),
        "Phụ lục.pdf",
        {"kind": "PL"},
    )
    assert sealed.status_code == 200, sealed.get_json()
    with tinh.app.app_context():
        files = db.session.get(Document, document_id).files
        sent = {f.role: blob_store().open(f.sha256).read() for f in files}
        assert set(sent) == {"main", "appendix"}
    response = send(tinh.client, clerk, document_id, [directory_entry(tinh, stc)])
    assert response.status_code == 200, response.get_json()
    with stc.app.app_context():
        incoming = db.session.scalar(select(IncomingDocument))
        assert incoming is not None
        arrived = [
            (f.filename, blob_store().open(f.sha256).read()) for f in incoming.document.files
        ]
        main_name = incoming.document.main_file.filename
    assert len(arrived) == 2
    [(_main, main_bytes)] = [row for row in arrived if row[0] == main_name]
    [(name, appendix)] = [row for row in arrived if row[0] != main_name]
    assert main_bytes == sent["main"] and appendix == sent["appendix"]
    assert name.endswith(".pdf") and name == sealed.get_json()["filename"]
