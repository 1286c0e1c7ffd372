"""The discussion thread on a document: who may read and write it, @mentions that notify
(by e-mail too), polling with ?after=, the box on the document's page, the audit entry."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.core.auth import Role
from edoc.core.extensions import db
from edoc.discussion.services import mentioned_logins
from edoc.discussion.views import POLL_MS
from tests.fixtures.app import csrf_token_from, login
from tests.fixtures.documents import leader_id, receive_incoming, submitted_draft
from tests.fixtures.pdfs import text_pdf
from tests.fixtures.people import add_person
from tests.fixtures.smtp import Mailbox

Headers = dict[str, str]


def messages_url(document_id: int) -> str:
    return f"/api/v1/documents/{document_id}/messages"


def post(client: FlaskClient, headers: Headers, document_id: int, body: str):  # type: ignore[no-untyped-def]
    return client.post(messages_url(document_id), json={"body": body}, headers=headers)


def test_a_mention_notifies_in_the_app_and_by_email_and_polling_sees_new_messages(
    mailing: Flask, client: FlaskClient, clerk: Headers, leader: Headers, smtp: Mailbox
) -> None:
    document_id = receive_incoming(client, clerk, text_pdf("Công văn"), received_via="paper")
    first = post(client, clerk, document_id, "Văn bản này cần trình gấp.")
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["author_name"] == "Trần Thị Bích Ngọc"
    second = post(client, clerk, document_id, "@lanhdao xin anh cho ý kiến sớm ạ.")
    assert second.status_code == 201 and second.get_json()["mentioned"] == ["lanhdao"]

    everything = client.get(messages_url(document_id), headers=leader).get_json()
    assert [m["body"] for m in everything["items"]] == [
        "Văn bản này cần trình gấp.",
        "@lanhdao xin anh cho ý kiến sớm ạ.",
    ]
    newer = client.get(
        messages_url(document_id), query_string={"after": first.get_json()["id"]}, headers=leader
    ).get_json()
    assert [m["id"] for m in newer["items"]] == [second.get_json()["id"]]
    assert newer["last_id"] == second.get_json()["id"]
    nothing = client.get(
        messages_url(document_id), query_string={"after": newer["last_id"]}, headers=leader
    ).get_json()
    assert nothing == {"items": [], "last_id": newer["last_id"]}

    [told] = client.get("/api/v1/notifications", headers=leader).get_json()["items"]
    assert told["kind"] == "mention" and told["document_id"] == document_id
    assert told["text"] == "Trần Thị Bích Ngọc nhắc đến bạn trong trao đổi về văn bản."
    assert told["note"] == "@lanhdao xin anh cho ý kiến sớm ạ."
    [message] = smtp.wait_for(1)
    assert message["To"] == "lanhdao@ubnd.demo.gov.vn"
    assert "Được nhắc tên trong trao đổi" in message["Subject"]
    assert "xin anh cho ý kiến sớm" in message.get_content()

    with mailing.app_context():
        entries = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "document.message_posted")
        ).all()
        assert [e.details["mentioned"] for e in entries] == [[], ["lanhdao"]]
        assert all("body" not in e.details for e in entries)


def test_secret_threads_are_for_the_cleared_and_mentions_must_name_them(
    mailing: Flask,
    client: FlaskClient,
    clerk: Headers,
    leader: Headers,
    specialist: Headers,
    smtp: Mailbox,
) -> None:
    document_id = receive_incoming(
        client, clerk, text_pdf("Mật"), received_via="paper", subject="Kế hoạch mật", secrecy=1
    )
    assert post(client, specialist, document_id, "xin xem").status_code == 404
    assert client.get(messages_url(document_id), headers=specialist).status_code == 404
    refused = post(client, clerk, document_id, "@chuyenvien xem giúp")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == "@chuyenvien không được xem văn bản này."
    unknown = post(client, clerk, document_id, "@khongco xem giúp")
    assert unknown.status_code == 422
    assert client.get(messages_url(document_id), headers=leader).get_json()["items"] == []

    people = client.get(f"/api/v1/documents/{document_id}/mentionable", headers=clerk).get_json()
    assert {p["username"] for p in people} == {"vanthu", "lanhdao", "luutru"}
    found = client.get(
        f"/api/v1/documents/{document_id}/mentionable", query_string={"q": "van an"}, headers=clerk
    ).get_json()
    assert [p["username"] for p in found] == ["lanhdao"]  # Nguyễn Văn An, typed without accents

    assert post(client, clerk, document_id, "@lanhdao kế hoạch mật cần duyệt").status_code == 201
    [message] = smtp.wait_for(1)
    text = message["Subject"] + message.get_content()
    assert "Kế hoạch mật" not in text and "cần duyệt" not in text


def test_a_draft_thread_is_for_its_readers_and_the_page_shows_the_box(
    client: FlaskClient, specialist: Headers, leader: Headers, clerk: Headers
) -> None:
    document_id = submitted_draft(client, specialist, "Dự thảo trao đổi", leader_id(client))
    assert post(client, leader, document_id, "@chuyenvien sửa đoạn 2").status_code == 201
    visible_to_clerk = client.get(messages_url(document_id), headers=clerk).status_code
    draft = client.get(f"/api/v1/documents/{document_id}", headers=clerk).status_code
    assert visible_to_clerk == draft  # the thread follows the document's own readers

    login(client, "chuyenvien")
    page = client.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert 'data-testid="discussion"' in page and "@chuyenvien sửa đoạn 2" in page
    # the script polls every data-poll-ms while the tab is visible: under 2 s, so a message
    # shows on the other's open page within 2 s (the browser test waits generously)
    assert f'data-poll-ms="{POLL_MS}"' in page and POLL_MS < 2000
    assert 'value="lanhdao">Nguyễn Văn An (@lanhdao)' in page
    answer = client.post(
        f"/documents/{document_id}/discussion",
        data={"body": "Đã sửa, @lanhdao xem lại", "csrf_token": csrf_token_from(page)},
    )
    assert answer.status_code == 302 and answer.location.endswith(
        f"/outgoing/{document_id}#trao-doi"
    )
    assert "Đã sửa, @lanhdao xem lại" in client.get(f"/outgoing/{document_id}").get_data(
        as_text=True
    )
    empty = client.post(
        f"/documents/{document_id}/discussion",
        data={"body": " ", "csrf_token": csrf_token_from(page)},
    )
    assert empty.status_code == 302
    assert "Cần nhập nội dung trao đổi." in client.get(f"/outgoing/{document_id}").get_data(
        as_text=True
    )
    kinds = [
        n["kind"] for n in client.get("/api/v1/notifications", headers=leader).get_json()["items"]
    ]
    assert kinds == ["mention", "to_sign"]
    history = client.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert "Trao đổi về văn bản" in history


def test_mentions_match_logins_whatever_their_case_and_script(
    app: Flask, client: FlaskClient, clerk: Headers
) -> None:
    assert mentioned_logins("@Nguyễn.Văn. và @NguyenVanA, a@b.vn (@x_1)") == [
        "nguyễn.văn",
        "nguyenvana",
        "x_1",
    ]
    add_person(app, "NguyenVanA", "Nguyễn Văn A", Role.SPECIALIST)
    document_id = receive_incoming(client, clerk, text_pdf("Công văn"), received_via="paper")
    for written in ("@nguyenvana xem giúp", "@NguyenVanA xem giúp"):
        answer = post(client, clerk, document_id, written)
        assert answer.status_code == 201, answer.get_json()
        assert answer.get_json()["mentioned"] == ["NguyenVanA"]
