"""Notifications from business events: in the app (bell, page, API), by e-mail to a real SMTP
server, the deadline reminders and the daily digest, secret documents, preferences."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from edoc.cli import cli
from edoc.core.clock import local_today, set_clock, to_local, utcnow
from edoc.core.extensions import db
from edoc.notifications import mail
from edoc.notifications.models import EmailStatus, Notification, OutgoingEmail
from edoc.notifications.reminders import notify_deadlines
from edoc.notifications.services import mark_all_read
from edoc.users.models import User
from tests.fixtures.app import login
from tests.fixtures.documents import leader_id, receive_incoming, submitted_draft
from tests.fixtures.pdfs import text_pdf
from tests.fixtures.smtp import Mailbox

Headers = dict[str, str]


def me(client: FlaskClient, headers: Headers) -> dict:
    return client.get("/api/v1/me", headers=headers).get_json()


def unit_id(client: FlaskClient, headers: Headers, code: str) -> int:
    units = client.get("/api/v1/units", headers=headers).get_json()
    return next(u["id"] for u in units if u["code"] == code)


def letter(client: FlaskClient, clerk: Headers, text: str, **fields: object) -> int:
    """A paper letter the clerk scanned and registered (the storm decision's fields)."""
    return receive_incoming(client, clerk, text_pdf(text), received_via="paper", **fields)


def present(client: FlaskClient, clerk: Headers, document_id: int) -> None:
    answer = client.post(
        f"/api/v1/incoming/{document_id}/present",
        json={"leader_id": leader_id(client)},
        headers=clerk,
    )
    assert answer.status_code == 200, answer.get_json()


def route(client: FlaskClient, leader: Headers, document_id: int, **lead: object) -> None:
    answer = client.post(
        f"/api/v1/incoming/{document_id}/route",
        json={"direction": "Giao tham mưu trả lời", **lead},
        headers=leader,
    )
    assert answer.status_code == 200, answer.get_json()


def routed_due_tomorrow(
    app: Flask, client: FlaskClient, clerk: Headers, leader: Headers, specialist: Headers, text: str
) -> date:
    """A letter presented to the leader, then routed to the specialist; its deadline
    (tomorrow)."""
    document_id = letter(client, clerk, text)
    present(client, clerk, document_id)
    with app.app_context():
        tomorrow = local_today() + timedelta(days=1)
    route(
        client,
        leader,
        document_id,
        lead_user_id=me(client, specialist)["id"],
        deadline=tomorrow.isoformat(),
    )
    return tomorrow


def notifications(client: FlaskClient, headers: Headers, **args: str) -> dict:
    answer = client.get("/api/v1/notifications", query_string=args, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_presenting_and_routing_tell_the_leader_then_the_lead_in_the_bell_and_the_page(
    client: FlaskClient, clerk: Headers, leader: Headers, specialist: Headers
) -> None:
    document_id = letter(client, clerk, "Công văn")
    present(client, clerk, document_id)
    told = notifications(client, leader)
    assert told["unread"] == 1
    [item] = told["items"]
    assert item["kind"] == "assigned" and item["document_id"] == document_id
    assert item["text"] == "Trần Thị Bích Ngọc trình văn bản xin ý kiến chỉ đạo."
    assert item["url"] == f"/incoming/{document_id}"
    assert notifications(client, clerk)["total"] == 0  # the actor is not told of their own act

    route(client, leader, document_id, lead_user_id=me(client, specialist)["id"])
    [assigned] = notifications(client, specialist)["items"]
    assert assigned["text"] == "Nguyễn Văn An giao xử lý văn bản."
    assert assigned["note"] == "Giao tham mưu trả lời"

    login(client, "chuyenvien")
    page = client.get("/incoming/").get_data(as_text=True)
    assert 'data-testid="bell-count">1<' in page
    listing = client.get("/notifications/").get_data(as_text=True)
    assert "Về việc phòng chống bão số 3" in listing and "Văn bản được giao" in listing
    opened = client.get(f"/notifications/{assigned['id']}/open")
    assert opened.status_code == 302 and opened.location.endswith(f"/incoming/{document_id}")
    assert 'data-testid="bell-count"' not in client.get("/incoming/").get_data(as_text=True)
    # someone else's notification is not found, not merely refused
    other = notifications(client, leader)["items"][0]["id"]
    assert client.get(f"/notifications/{other}/open").status_code == 404


def test_mark_read_and_all_read_through_the_page_and_the_api(
    client: FlaskClient, clerk: Headers, leader: Headers
) -> None:
    ids = [letter(client, clerk, f"Công văn {n}") for n in range(2)]
    for document_id in ids:
        present(client, clerk, document_id)
    assert client.get("/api/v1/notifications/unread-count", headers=leader).get_json() == {
        "unread": 2
    }
    first = notifications(client, leader)["items"][-1]
    read = client.post(f"/api/v1/notifications/{first['id']}/read", headers=leader)
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert notifications(client, leader, unread="true")["total"] == 1
    login(client, "lanhdao")
    page = client.get("/notifications/").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    done = client.post("/notifications/read-all", data={"csrf_token": token})
    assert done.status_code == 302
    assert "Đã đánh dấu 1 thông báo là đã đọc." in client.get("/notifications/").get_data(
        as_text=True
    )
    assert client.get("/api/v1/notifications/unread-count", headers=leader).get_json() == {
        "unread": 0
    }
    assert client.post("/notifications/read-all").status_code == 400  # CSRF


def test_a_draft_submitted_reaches_the_signer_by_email(
    mailing: Flask, client: FlaskClient, specialist: Headers, leader: Headers, smtp: Mailbox
) -> None:
    document_id = submitted_draft(  # a subject on two lines makes a one-line e-mail subject
        client, specialist, "Quyết định về công tác\nphòng chống lụt bão", leader_id(client)
    )
    [item] = notifications(client, leader)["items"]
    assert item["kind"] == "to_sign" and item["document_id"] == document_id
    [message] = smtp.wait_for(1)
    assert message["To"] == "lanhdao@ubnd.demo.gov.vn"
    assert message["From"] == "edoc@ubnd.demo.gov.vn"
    assert message["Subject"] == (
        "[edoc] Văn bản chờ ký: Quyết định về công tác phòng chống lụt bão"
    )
    body = message.get_content()
    assert "Lê Hoàng Dũng trình ký dự thảo." in body
    assert f"https://edoc.demo.gov.vn/notifications/{item['id']}/open" in body
    with mailing.app_context():
        [row] = db.session.scalars(select(OutgoingEmail)).all()
        assert row.status == EmailStatus.SENT and row.attempts == 1


def test_secret_documents_tell_only_the_cleared_and_never_put_the_subject_in_an_email(
    mailing: Flask,
    client: FlaskClient,
    clerk: Headers,
    leader: Headers,
    specialist: Headers,
    smtp: Mailbox,
) -> None:
    secret = "Phương án bảo vệ mục tiêu trọng yếu"
    document_id = letter(client, clerk, "Mật", subject=secret, secrecy=1)
    present(client, clerk, document_id)
    # the lead unit holds chuyenvien (no clearance) only: nobody there may be told
    route(client, leader, document_id, lead_unit_id=unit_id(client, leader, "TH"))
    assert notifications(client, specialist)["total"] == 0
    assert client.get("/api/v1/notifications/unread-count", headers=specialist).get_json() == {
        "unread": 0
    }
    [item] = notifications(client, leader)["items"]  # lanhdao is cleared: told in the app
    assert item["document_title"].endswith(secret)
    [message] = smtp.wait_for(1)
    assert message["To"] == "lanhdao@ubnd.demo.gov.vn"
    text = message["Subject"] + message.get_content()
    assert secret not in text and "bảo vệ" not in text and "Giao tham mưu" not in text
    assert "một văn bản mật" in message["Subject"]


def test_preferences_choose_in_app_email_and_digest(
    mailing: Flask, client: FlaskClient, specialist: Headers, leader: Headers, smtp: Mailbox
) -> None:
    defaults = {
        p["kind"]: p
        for p in client.get("/api/v1/notifications/preferences", headers=leader).get_json()
    }
    assert defaults["to_sign"] == {  # to act on now: e-mailed at once, not again in the digest
        "kind": "to_sign",
        "label": "Văn bản chờ ký",
        "in_app": True,
        "email": True,
        "digest": False,
    }
    assert not defaults["overdue"]["email"] and defaults["overdue"]["digest"]  # routine
    saved = client.put(
        "/api/v1/notifications/preferences",
        json={"preferences": [{"kind": "to_sign", "in_app": False, "email": False}]},
        headers=leader,
    )
    assert saved.status_code == 200, saved.get_json()
    partial = client.put(  # a field left out keeps its value, it is not reset to on
        "/api/v1/notifications/preferences",
        json={"preferences": [{"kind": "to_sign", "digest": True}]},
        headers=leader,
    )
    assert partial.status_code == 200, partial.get_json()
    to_sign = next(p for p in partial.get_json() if p["kind"] == "to_sign")
    assert (to_sign["in_app"], to_sign["email"], to_sign["digest"]) == (False, False, True)
    submitted_draft(client, specialist, "Dự thảo không báo", leader_id(client))
    assert notifications(client, leader)["total"] == 0  # not in the app
    assert smtp.wait_for(1, timeout=0.5) == []  # nor by e-mail
    with mailing.app_context():  # but kept for the digest
        assert db.session.scalar(select(Notification.kind)) == "to_sign"

    login(client, "lanhdao")
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="to_sign.in_app"' in page and "lanhdao@ubnd.demo.gov.vn" in page
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    form = {"csrf_token": token, "to_sign.in_app": "1", "mention.digest": "1"}
    assert client.post("/notifications/preferences", data=form).status_code == 302
    after = {
        p["kind"]: p
        for p in client.get("/api/v1/notifications/preferences", headers=leader).get_json()
    }
    assert after["to_sign"]["in_app"] and not after["to_sign"]["email"]
    assert not after["mention"]["email"] and after["mention"]["digest"]
    refused = client.put(
        "/api/v1/notifications/preferences",
        json={"preferences": [{"kind": "nonsense"}]},
        headers=leader,
    )
    assert refused.status_code == 422


def test_deadline_reminders_once_then_overdue_once_a_week(
    app: Flask, client: FlaskClient, clerk: Headers, leader: Headers, specialist: Headers
) -> None:
    tomorrow = routed_due_tomorrow(app, client, clerk, leader, specialist, "Công văn")
    with app.app_context():
        assert notify_deadlines() == 1
        assert notify_deadlines() == 0  # the same day again: nothing new
        db.session.commit()
    due = notifications(client, specialist)["items"][0]
    assert due["kind"] == "due_tomorrow"
    assert due["text"] == f"Văn bản đến hạn giải quyết vào ngày mai ({tomorrow:%d/%m/%Y})."

    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3)
    with app.app_context(), set_clock(later):
        result = app.test_cli_runner().invoke(cli, ["notifications", "reminders"])
        assert result.exit_code == 0, result.output
        assert "reminders made: 1" in result.output
    overdue = notifications(client, specialist)["items"][0]
    assert overdue["kind"] == "overdue"
    assert overdue["text"] == f"Văn bản đã quá hạn giải quyết (hạn {tomorrow:%d/%m/%Y})."
    with app.app_context():  # overdue is told once, then once a week, not every day
        for days, made in ((4, 0), (7, 0), (8, 1), (9, 0)):  # days after today
            with set_clock(later + timedelta(days=days - 3)):
                assert notify_deadlines() == made, days
        db.session.commit()


def test_email_waits_while_the_smtp_server_is_down_and_goes_when_it_is_back(
    mailing: Flask, client: FlaskClient, specialist: Headers, smtp: Mailbox
) -> None:
    smtp.stop()
    submitted_draft(client, specialist, "Dự thảo khi máy chủ thư ngừng", leader_id(client))
    with mailing.app_context():
        [row] = db.session.scalars(select(OutgoingEmail)).all()
        assert row.status == EmailStatus.PENDING and row.attempts == 1
        assert row.next_attempt_at is not None and "SMTP" in row.last_error
        assert mail.drain() == 0  # waiting out its back-off
        smtp.start()
        db.session.execute(update(OutgoingEmail).values(next_attempt_at=None))  # time passes
        db.session.commit()
        assert mail.drain() == 1
    [message] = smtp.wait_for(1)
    assert "Dự thảo khi máy chủ thư ngừng" in message["Subject"]


def digest_day(app: Flask) -> date:
    """The day whose digest covers now (the next one at 07:00 local)."""
    with app.app_context():
        now = to_local(utcnow())
        return now.date() + timedelta(days=1 if now.hour >= 7 else 0)


def test_daily_digest_once_per_person_and_day(
    mailing: Flask, client: FlaskClient, clerk: Headers, leader: Headers, smtp: Mailbox
) -> None:
    choice = {"kind": "assigned", "email": False, "digest": True}
    put = client.put(
        "/api/v1/notifications/preferences", json={"preferences": [choice]}, headers=leader
    )
    assert put.status_code == 200, put.get_json()
    for n in range(2):
        present(client, clerk, letter(client, clerk, f"Công văn {n}"))
    assert smtp.wait_for(1, timeout=0.5) == []  # the digest only
    tomorrow = digest_day(mailing)
    runner = mailing.test_cli_runner()
    first = runner.invoke(cli, ["notifications", "digest", "--day", f"{tomorrow:%d/%m/%Y}"])
    assert first.exit_code == 0, first.output
    assert "digests queued: 1, e-mails sent: 1" in first.output
    again = runner.invoke(cli, ["notifications", "digest", "--day", f"{tomorrow:%d/%m/%Y}"])
    assert "digests queued: 0" in again.output
    digests = [m for m in smtp.wait_for(1) if "Tổng hợp" in m["Subject"]]
    [digest] = digests
    assert digest["To"] == "lanhdao@ubnd.demo.gov.vn"
    body = digest.get_content()
    assert body.count("Văn bản được giao, được trình: ") == 2
    assert "Tổng số thông báo chưa đọc: 2" in body
    bad = runner.invoke(cli, ["notifications", "digest", "--day", "31/02/2026"])
    assert bad.exit_code != 0


def test_the_api_is_declared_and_needs_a_user(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/notifications",
        "/api/v1/notifications/unread-count",
        "/api/v1/notifications/{notification_id}/read",
        "/api/v1/notifications/read-all",
        "/api/v1/notifications/preferences",
        "/api/v1/documents/{document_id}/messages",
        "/api/v1/documents/{document_id}/mentionable",
    ):
        assert path in spec["paths"], path
    answer = client.get("/api/v1/notifications")
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/notifications/").status_code == 302


def test_a_draft_returned_tells_its_drafter_with_the_comment(
    app: Flask, client: FlaskClient, specialist: Headers, leader: Headers
) -> None:
    """The leader's "Trả lại" tells the drafter, with the comment."""
    document_id = submitted_draft(client, specialist, "Dự thảo cần sửa", leader_id(client))
    returned = client.post(
        f"/api/v1/outgoing/{document_id}/return",
        json={"comment": "Sửa lại điều 2."},
        headers=leader,
    )
    assert returned.status_code == 200, returned.get_json()
    [item] = notifications(client, specialist)["items"]
    assert item["kind"] == "returned" and item["document_id"] == document_id
    assert item["text"] == "Nguyễn Văn An trả lại dự thảo."
    assert item["note"] == "Sửa lại điều 2."
    assert item["url"] == f"/outgoing/{document_id}"


def test_by_default_each_event_is_mailed_once(
    mailing: Flask,
    client: FlaskClient,
    clerk: Headers,
    leader: Headers,
    specialist: Headers,
    smtp: Mailbox,
) -> None:
    # the leader (presented) and the specialist (routed): each at once, by e-mail
    routed_due_tomorrow(mailing, client, clerk, leader, specialist, "Công văn hạn gấp")
    assert sorted(m["To"] for m in smtp.wait_for(2)) == [
        "chuyenvien@ubnd.demo.gov.vn",
        "lanhdao@ubnd.demo.gov.vn",
    ]
    with mailing.app_context():
        assert notify_deadlines() == 1  # due tomorrow: in the app and the digest, not at once
        db.session.commit()
        assert mail.drain() == 0
    result = mailing.test_cli_runner().invoke(
        cli, ["notifications", "digest", "--day", f"{digest_day(mailing):%d/%m/%Y}"]
    )
    assert "digests queued: 1" in result.output, result.output  # not the leader's again
    [digest] = [m for m in smtp.wait_for(3) if "Tổng hợp" in m["Subject"]]
    assert digest["To"] == "chuyenvien@ubnd.demo.gov.vn"
    body = digest.get_content()
    assert "Văn bản đến hạn ngày mai: " in body and "được giao, được trình: " not in body


def test_an_email_link_opens_for_someone_who_turned_the_app_off(
    mailing: Flask, client: FlaskClient, specialist: Headers, leader: Headers, smtp: Mailbox
) -> None:
    choice = {"kind": "to_sign", "in_app": False, "email": True, "digest": True}
    put = client.put(
        "/api/v1/notifications/preferences", json={"preferences": [choice]}, headers=leader
    )
    assert put.status_code == 200, put.get_json()
    document_id = submitted_draft(client, specialist, "Dự thảo qua thư", leader_id(client))
    assert notifications(client, leader)["total"] == 0  # not in the bell
    [message] = smtp.wait_for(1)
    path = "/notifications/" + message.get_content().split("/notifications/")[1].split()[0]
    assert path.endswith("/open")
    result = mailing.test_cli_runner().invoke(
        cli, ["notifications", "digest", "--day", f"{digest_day(mailing):%d/%m/%Y}"]
    )
    assert "digests queued: 1" in result.output, result.output
    [digest] = [m for m in smtp.wait_for(2) if "Tổng hợp" in m["Subject"]]
    assert "Dự thảo qua thư" in digest.get_content()
    assert "Tổng số thông báo chưa đọc: 0" in digest.get_content()  # as the bell counts
    login(client, "lanhdao")
    opened = client.get(path)
    assert opened.status_code == 302 and opened.location.endswith(f"/outgoing/{document_id}")
    with mailing.app_context():
        assert db.session.scalar(select(Notification.read_at)) is not None
        assert mark_all_read(db.session.get(User, me(client, leader)["id"])) == 0


def test_a_drain_that_lost_its_lease_does_not_send(mailing: Flask, smtp: Mailbox) -> None:
    """A drain renews its lease before each message: one whose lease ran out and was taken
    by another drain (a slow server, a long timeout) leaves the message to that drain."""
    with mailing.app_context():
        config = dataclasses.replace(mailing.config["EDOC"], smtp_timeout=600)
        for n in range(2):
            mail.queue(f"a{n}@ubnd.demo.gov.vn", "Thư", "Nội dung", user_id=None, dedup_key=f"t{n}")
        db.session.commit()
        now = mail.wall_clock()
        holder, letters = mail.claim(now, mail.lease(config))
        assert len(letters) == 2
        row = db.session.get(OutgoingEmail, letters[0].id)
        assert row is not None and row.claimed_until >= now + timedelta(seconds=6 * 600)
        db.session.execute(  # the lease ran out, another drain took the first message
            update(OutgoingEmail)
            .where(OutgoingEmail.id == letters[0].id)
            .values(claimed_by="another")
        )
        db.session.commit()
        assert mail.deliver(config, holder, letters) == (0, False)
        rows = db.session.scalars(select(OutgoingEmail).order_by(OutgoingEmail.id)).all()
        assert [(r.status, r.attempts, r.claimed_by) for r in rows] == [
            (EmailStatus.PENDING, 0, "another"),
            (EmailStatus.PENDING, 0, None),  # given back for the next drain
        ]
        assert smtp.wait_for(1, timeout=0.5) == []
        db.session.execute(update(OutgoingEmail).values(claimed_by=None, claimed_until=None))
        db.session.commit()
        assert mail.drain() == 2
    assert len(smtp.wait_for(2)) == 2
