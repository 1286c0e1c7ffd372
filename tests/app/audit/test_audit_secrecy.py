"""Audit entries about a secret document are redacted for users who may not see it."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.services import record
from edoc.core.extensions import db
from edoc.documents.models import Document, DocumentType
from edoc.users.models import Clearance, User
from tests.fixtures.app import login

SECRET_DIRECTION = "Giao Phòng Kế hoạch rà soát phương án bố trí lực lượng"
PUBLIC_DIRECTION = "Giao Văn phòng tổng hợp ý kiến góp ý"


def _document_with_activity(secrecy: int, direction: str, sha256: str) -> int:
    leader = db.session.scalar(select(User).where(User.username == "lanhdao"))
    document = Document(
        direction="incoming",
        status="routed",
        doc_type_code=db.session.scalars(select(DocumentType.code)).first(),
        subject="Văn bản thử",
        secrecy=secrecy,
    )
    db.session.add(document)
    db.session.flush()
    activity = {
        "incoming.routed": {"direction": direction, "deadline": "2026-12-31"},
        "document.file_downloaded": {"sha256": sha256},
    }
    for action, details in activity.items():
        record(action, actor=leader, object_type="document", object_id=document.id, **details)
    db.session.commit()
    return document.id


def _seed(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            _document_with_activity(Clearance.TOI_MAT, SECRET_DIRECTION, "a1" * 32),
            _document_with_activity(Clearance.NONE, PUBLIC_DIRECTION, "b2" * 32),
        )


def test_an_admin_without_clearance_sees_secret_activity_redacted(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    secret_id, public_id = _seed(app)
    login(client, "quantri")  # admin, no clearance
    html = client.get("/admin/audit/?object_type=document").get_data(as_text=True)
    assert SECRET_DIRECTION not in html
    assert "a1" * 32 not in html and "b2" * 32 in html  # the secret download's file hash
    assert html.count("một văn bản mật") == 2
    assert f"#{secret_id}" not in html
    assert PUBLIC_DIRECTION in html and f"#{public_id}" in html
    assert "<p>4 sự kiện</p>" in html  # redacted, not dropped: the log shows no gap

    probe = client.get(f"/admin/audit/?object_type=document&object_id={secret_id}").get_data(
        as_text=True
    )
    assert "<p>0 sự kiện</p>" in probe and SECRET_DIRECTION not in probe
    listed = client.get(f"/admin/audit/?object_type=document&object_id={public_id}").get_data(
        as_text=True
    )
    assert "<p>2 sự kiện</p>" in listed


def test_a_cleared_admin_sees_the_whole_entry(app: Flask, client: FlaskClient, demo: None) -> None:
    secret_id, _ = _seed(app)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "quantri"))
        admin.clearance = Clearance.TOI_MAT
        db.session.commit()
    login(client, "quantri")
    html = client.get(f"/admin/audit/?object_type=document&object_id={secret_id}").get_data(
        as_text=True
    )
    assert SECRET_DIRECTION in html and "một văn bản mật" not in html
    assert "<p>2 sự kiện</p>" in html
