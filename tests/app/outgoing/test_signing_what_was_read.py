"""What the leader signs is what they read: the signing page names the version each viewer
showed and a draft revised since is refused; the title under the signature is the current
signer's; a secret draft's pages are audited once per reader and version; the page cache is
purged by ``edoc gc`` and written through a unique temporary file."""

from __future__ import annotations

import io
import os
import re
import time
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from edoc.audit.models import AuditEvent
from edoc.cli import cli
from edoc.core.extensions import db
from edoc.documents import preview
from edoc.documents.models import Document
from edoc.outgoing.models import OutgoingDocument
from edoc.outgoing.services import add_version
from edoc.users.models import Clearance, Role, User
from tests.fixtures.app import bearer, csrf_token_from, signed_in
from tests.fixtures.documents import leader_id, post_draft, submitted_draft
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.people import add_person

PNG = b"\x89PNG\r\n\x1a\n"


def _shown_version(page: str, document_id: int) -> str:
    """The version the signing page's viewer of ``document_id`` shows (``data-version``)."""
    viewer = re.search(rf'id="viewer-{document_id}".*?data-version="([0-9a-f]*)"', page, re.S)
    assert viewer, "no viewer for the draft"
    return viewer.group(1)


def _revise_and_resubmit(app: Flask, client: FlaskClient, document_id: int) -> None:
    with app.app_context():
        drafter = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        upload = FileStorage(io.BytesIO(draft_pdf("QUYET DINH SUA")), "du-thao-2.pdf")
        add_version(document_id, upload, drafter, note="Sửa Điều 2")
        db.session.commit()
    again = client.post(
        f"/api/v1/outgoing/{document_id}/submit", json={}, headers=bearer(client, "chuyenvien")
    )
    assert again.status_code == 200, again.get_json()


def test_a_draft_revised_after_the_leader_read_it_is_refused(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    drafter = bearer(client, "chuyenvien")
    document_id = submitted_draft(client, drafter, "Quyết định đọc rồi ký", leader_id(client))
    leader = signed_in(app, "lanhdao")
    page = leader.get("/outgoing/sign").get_data(as_text=True)
    read = _shown_version(page, document_id)
    assert len(read) == 64
    assert leader.get(f"/outgoing/{document_id}/pages/1.png?v={read}").status_code == 200

    _revise_and_resubmit(app, client, document_id)  # the leader's page still shows the first

    stale = leader.get(f"/outgoing/{document_id}/pages/1.png?v={read}")
    assert stale.status_code == 409  # the viewer says so instead of showing the new text
    assert "phiên bản mới" in stale.get_json()["error"]["message"]
    body = {
        "document_ids": [document_id],
        "versions": {str(document_id): read},
        "certificate": "AA==",
    }
    refused = leader.post(
        "/api/v1/outgoing/sign/prepare", json=body, headers={"X-CSRFToken": csrf_token_from(page)}
    )
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "draft_version_changed"
    said = "Dự thảo “Quyết định đọc rồi ký” đã có phiên bản mới, hãy đọc lại trước khi ký."
    assert error["message"] == said
    with app.app_context():
        assert db.session.get(Document, document_id).status == "submitted"

    # read again: the page now names the new version, and its pages are served
    fresh = _shown_version(leader.get("/outgoing/sign").get_data(as_text=True), document_id)
    assert fresh != read
    assert leader.get(f"/outgoing/{document_id}/pages/1.png?v={fresh}").status_code == 200


def test_the_title_under_the_signature_is_the_current_signers(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    """Submitted to A, returned, submitted to B with no title typed: B's own title prints."""
    add_person(app, "phochutich", "Trần Văn Bình", Role.LEADER, unit="TH", title="Phó Chủ tịch")
    with app.app_context():
        first_title = db.session.scalar(select(User.title).where(User.username == "lanhdao"))
    drafter = bearer(client, "chuyenvien")
    created = post_draft(
        client, drafter, draft_pdf("QUYET DINH"), doc_type="QĐ", subject="Quyết định đổi người ký"
    )
    assert created.status_code == 201, created.get_json()
    document_id = created.get_json()["id"]
    url = f"/api/v1/outgoing/{document_id}"
    to_a = client.post(f"{url}/submit", json={"signer_id": leader_id(client)}, headers=drafter)
    assert to_a.get_json()["signer_title"] == first_title
    back = client.post(
        f"{url}/return",
        json={"comment": "Chuyển đồng chí Bình ký."},
        headers=bearer(client, "lanhdao"),
    )
    assert back.status_code == 200, back.get_json()
    second = client.get("/api/v1/me", headers=bearer(client, "phochutich")).get_json()["id"]
    to_b = client.post(f"{url}/submit", json={"signer_id": second}, headers=drafter)
    assert to_b.status_code == 200, to_b.get_json()
    assert to_b.get_json()["signer_title"] == "Phó Chủ tịch"
    assert to_b.get_json()["authority_lines"] == ["PHÓ CHỦ TỊCH"]
    page = signed_in(app, "phochutich").get("/outgoing/sign").get_data(as_text=True)
    assert 'data-title="PHÓ CHỦ TỊCH"' in page
    with app.app_context():  # only a title the drafter typed is stored
        assert db.session.get(Document, document_id).signer_title == ""


def test_a_secret_drafts_pages_are_audited_once_per_reader_and_version(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        user.clearance = Clearance.MAT
        db.session.commit()
    drafter = bearer(client, "chuyenvien")
    created = post_draft(
        client, drafter, draft_pdf("MAT"), doc_type="QĐ", subject="Quyết định mật", secrecy="1"
    )
    assert created.status_code == 201, created.get_json()
    secret = created.get_json()["id"]
    plain = post_draft(client, drafter, draft_pdf("THUONG"), doc_type="QĐ", subject="Thường")
    public = plain.get_json()["id"]
    reader = signed_in(app, "chuyenvien")
    for width in (400, 900, 400):
        assert reader.get(f"/outgoing/{secret}/pages/1.png?w={width}").status_code == 200
        assert reader.get(f"/outgoing/{public}/pages/1.png?w={width}").status_code == 200

    def viewed() -> list[AuditEvent]:
        with app.app_context():
            return list(
                db.session.scalars(
                    select(AuditEvent).where(AuditEvent.action == "document.page_viewed")
                )
            )

    [event] = viewed()  # three requests, two widths, one plain draft: one entry
    assert event.object_id == str(secret)
    assert event.actor_id == client.get("/api/v1/me", headers=drafter).get_json()["id"]
    history = reader.get(f"/outgoing/{secret}").get_data(as_text=True)
    assert "Xem trang văn bản mật" in history
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        upload = FileStorage(io.BytesIO(draft_pdf("MAT SUA")), "du-thao-2.pdf")
        add_version(secret, upload, user, note="Sửa")
        db.session.commit()
    assert reader.get(f"/outgoing/{secret}/pages/1.png").status_code == 200
    assert len(viewed()) == 2  # a new version is a new reading


def test_gc_drops_the_pages_of_collected_blobs_and_stale_pages(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = submitted_draft(
        client, bearer(client, "chuyenvien"), "Quyết định xem trang", leader_id(client)
    )
    leader = signed_in(app, "lanhdao")
    assert leader.get(f"/outgoing/{document_id}/pages/1.png?w=480").status_code == 200
    assert leader.get(f"/outgoing/{document_id}/pages/1.png?w=800").status_code == 200
    with app.app_context():
        cache = preview.cache_dir()
        gone = "ab" * 32  # a blob gc collects: its pages go with it
        orphan = cache / gone[:2] / f"{gone}-p1-w480.png"
        orphan.parent.mkdir(parents=True, exist_ok=True)
        orphan.write_bytes(PNG)
        assert preview.drop_pages([gone]) == 1 and not orphan.exists()
        read, unread = sorted((cache).rglob("*.png"))
        old = time.time() - timedelta(days=40).total_seconds()
        os.utime(unread, (old, old))
    result = app.test_cli_runner().invoke(cli, ["gc", "--page-days", "30"])
    assert result.exit_code == 0, result.output
    assert "removed 1 cached page images" in result.output
    assert read.exists() and not unread.exists()


def test_a_leftover_temporary_file_does_not_break_a_render(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    """The temporary file is unique (mkstemp), not named after the process alone."""
    document_id = submitted_draft(
        client, bearer(client, "chuyenvien"), "Quyết định tệp tạm", leader_id(client)
    )
    with app.app_context():
        sha256 = db.session.get(OutgoingDocument, document_id).current_version.sha256
        target = preview.cached_path(sha256, 1, 800)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.with_name(f".{target.name}.{os.getpid()}").mkdir()  # in the pid name's way
    answer = signed_in(app, "lanhdao").get(f"/outgoing/{document_id}/pages/1.png?w=800")
    assert answer.status_code == 200 and answer.data.startswith(PNG)
    assert target.is_file()
    assert [p.name for p in target.parent.iterdir() if p.is_file()] == [target.name]
