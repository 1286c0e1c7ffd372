"""The leader's signing page and what it reads: nothing ticked, each draft's pages as images
for its readers only (secret drafts for the cleared), rendered in a bounded child and cached;
the title check's folding; the leader giving a draft back to its drafter with a comment."""

from __future__ import annotations

import dataclasses

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.extensions import db
from edoc.documents import preview
from edoc.documents.models import Document
from edoc.outgoing.signing import fold_title
from edoc.users.models import Clearance, Role, User
from tests.fixtures.app import bearer, csrf_token_from, login, signed_in
from tests.fixtures.documents import leader_id, post_draft, submitted_draft
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.hostile_pdfs import text_bomb_pdf
from tests.fixtures.people import add_person

PNG = b"\x89PNG\r\n\x1a\n"


def _submitted(client: FlaskClient, subject: str = "Quyết định thử nghiệm") -> int:
    return submitted_draft(client, bearer(client, "chuyenvien"), subject, leader_id(client))


def test_nothing_is_ticked_and_each_draft_has_its_viewer(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    first, second = _submitted(client, "Quyết định một"), _submitted(client, "Quyết định hai")
    page = signed_in(app, "lanhdao").get("/outgoing/sign").get_data(as_text=True)
    assert page.count('name="document_ids"') == 2
    assert " checked" not in page  # nothing ticked by default
    for document_id in (first, second):
        assert f'data-page-url="/outgoing/{document_id}/pages/0.png"' in page
    assert 'data-title-key="pho chu tich"' in page  # the drafts are signed KT. / Phó Chủ tịch


def test_pages_render_for_readers_and_come_from_the_cache_the_second_time(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = _submitted(client)
    leader = signed_in(app, "lanhdao")
    first = leader.get(f"/outgoing/{document_id}/pages/1.png?w=390")
    assert first.status_code == 200, first.get_data(as_text=True)[:300]
    assert first.mimetype == "image/png" and first.data.startswith(PNG)
    assert "private" in first.headers["Cache-Control"]
    [cached] = list((app.config["EDOC"].data_dir / "cache" / "pages").rglob("*.png"))
    assert cached.name.split("-", 1)[1] == "p1-w480.png"  # 390 → the 480 step
    cached.write_bytes(PNG + b"from the cache")  # what a second view serves, not a new render
    again = leader.get(f"/outgoing/{document_id}/pages/1.png?w=400")
    assert again.data == PNG + b"from the cache"
    # the drafter reads it too; a page the file does not have is a 404
    drafter = signed_in(app, "chuyenvien")
    assert drafter.get(f"/outgoing/{document_id}/pages/1.png").status_code == 200
    assert drafter.get(f"/outgoing/{document_id}/pages/9.png").status_code == 404


def test_pages_are_refused_to_those_who_may_not_read_the_draft(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = _submitted(client)
    for username in ("vanthu", "luutru"):  # not among the draft's readers: as if it did not exist
        other = signed_in(app, username)
        assert other.get(f"/outgoing/{document_id}/pages/1.png").status_code == 404
    anonymous = app.test_client().get(f"/outgoing/{document_id}/pages/1.png")
    assert anonymous.status_code in (302, 401)
    assert not list((app.config["EDOC"].data_dir / "cache").rglob("*.png"))


def test_a_secret_draft_is_shown_only_to_the_cleared(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    add_person(app, "truongphong", "Trưởng phòng chưa được cấp độ mật", Role.LEADER, unit="TH")
    with app.app_context():
        # the drafter must be cleared to draft a secret document
        user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        user.clearance = Clearance.MAT
        db.session.commit()
    created = post_draft(
        client,
        bearer(client, "chuyenvien"),
        draft_pdf("MAT"),
        doc_type="QĐ",
        subject="Quyết định mật",
        secrecy="1",
        signer_id=str(leader_id(client)),
    )
    assert created.status_code == 201, created.get_json()
    document_id = created.get_json()["id"]
    uncleared = app.test_client()
    assert login(uncleared, "truongphong", "edoc-demo-test").status_code == 302
    assert uncleared.get(f"/outgoing/{document_id}/pages/1.png").status_code == 404
    cleared = signed_in(app, "lanhdao")
    assert cleared.get(f"/outgoing/{document_id}/pages/1.png").status_code == 200


def test_a_hostile_draft_is_refused_with_a_clear_message(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    """poppler would take gigabytes on this page; held to 256 MB it stops, and the viewer is
    told why in Vietnamese instead of the server falling over."""
    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], file_tool_memory_mb=256)
    drafter = bearer(client, "chuyenvien")
    created = post_draft(client, drafter, text_bomb_pdf(), doc_type="QĐ", subject="Tệp độc hại")
    assert created.status_code == 201, created.get_json()
    document_id = created.get_json()["id"]
    answer = signed_in(app, "chuyenvien").get(f"/outgoing/{document_id}/pages/1.png")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "preview_too_large"
    assert "vượt giới hạn bộ nhớ" in error["message"]
    assert not list((app.config["EDOC"].data_dir / "cache").rglob("*.png"))


def test_widths_are_a_few_steps() -> None:
    assert [preview.width_step(w) for w in (None, 0, 1, 480, 481, 1300, 99999)] == [
        800,
        800,
        480,
        480,
        800,
        1600,
        1600,
    ]


def test_titles_compare_without_case_or_accents() -> None:
    assert fold_title("Phó  Chủ tịch") == "pho chu tich"
    assert fold_title("PHÓ CHỦ TỊCH") == fold_title("phó chủ tịch")
    assert fold_title("Đại diện") == "dai dien"
    assert fold_title("CHỦ TỊCH") != fold_title("Phó Chủ tịch")


def test_the_leader_returns_a_draft_with_a_comment_on_the_page(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    document_id = _submitted(client)
    leader = signed_in(app, "lanhdao")
    detail = leader.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert f'href="/outgoing/sign?open={document_id}"' in detail  # Ký số
    assert f'action="/outgoing/{document_id}/return"' in detail  # Trả lại
    token = csrf_token_from(detail)

    blank = {"csrf_token": token, "comment": " "}
    empty = leader.post(f"/outgoing/{document_id}/return", data=blank)
    assert empty.status_code == 422
    assert "Cần nêu nội dung cần sửa" in empty.get_data(as_text=True)

    back = leader.post(
        f"/outgoing/{document_id}/return",
        data={"csrf_token": token, "comment": "Sửa lại căn cứ pháp lý ở đoạn 2."},
        follow_redirects=True,
    )
    assert back.status_code == 200
    page = back.get_data(as_text=True)
    assert "Đã trả lại dự thảo cho người soạn thảo." in page
    assert "Sửa lại căn cứ pháp lý ở đoạn 2." in page
    assert "Trả lại dự thảo cho người soạn thảo" in page  # the history's label
    assert "Không có dự thảo nào chờ bạn ký." in leader.get("/outgoing/sign").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "outgoing.returned")
        ).one()
        assert event.object_id == str(document_id)
        assert db.session.get(Document, document_id).status == "draft"


def test_return_through_the_api(app: Flask, client: FlaskClient, demo: None) -> None:
    document_id = _submitted(client)
    url = f"/api/v1/outgoing/{document_id}/return"
    comment = {"comment": "Bổ sung nơi nhận."}
    drafter = bearer(client, "chuyenvien")
    assert client.post(url, json=comment, headers=drafter).status_code == 403  # not a leader
    assert client.post(url, json={}, headers=bearer(client, "lanhdao")).status_code == 422
    answer = client.post(url, json=comment, headers=bearer(client, "lanhdao"))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "draft"
    again = client.post(url, json=comment, headers=bearer(client, "lanhdao"))
    assert again.status_code == 409  # no longer waiting for a signature
    assert again.get_json()["error"]["code"] == "invalid_state"
    # the drafter submits it again, and it waits for the leader once more
    resubmit = client.post(
        f"/api/v1/outgoing/{document_id}/submit", json={"signer_id": None}, headers=drafter
    )
    assert resubmit.status_code == 200, resubmit.get_json()
    assert resubmit.get_json()["status"] == "submitted"
