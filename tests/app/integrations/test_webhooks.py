"""Webhooks against a real HTTP receiver: every event of a real flow once, signed, in order,
also those sent while the receiver was down; nothing for a change that rolled back, for a
disabled subscription, or about a secret document's content."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import json
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from edoc.audit.models import AuditEvent
from edoc.cli import cli
from edoc.core.extensions import db
from edoc.incoming import services as incoming
from edoc.integrations import delivery
from edoc.integrations.models import WebhookDelivery, WebhookSubscription
from edoc.users.models import User
from tests.fixtures.app import bearer, csrf_token_from, signed_in
from tests.fixtures.documents import issued_document, post_incoming, route_and_finish
from tests.fixtures.pki import Tokens
from tests.fixtures.selfsigned import blank_pdf
from tests.fixtures.webhooks import Receiver, Request

ALL_EVENTS = [
    "document.received",
    "document.registered",
    "document.assigned",
    "document.done",
    "document.issued",
    "document.recalled",
]


def subscribe(
    client: FlaskClient, admin: dict[str, str], url: str, events: list[str] = ALL_EVENTS
) -> tuple[int, str]:
    response = client.post(
        "/api/v1/webhooks", json={"name": "Cổng DVC", "url": url, "events": events}, headers=admin
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return body["id"], body["secret"]


def deliver(app: Flask, *options: str) -> str:
    result = app.test_cli_runner().invoke(cli, ["webhooks", "deliver", *options])
    assert result.exit_code == 0, result.output
    return result.output


def payload(request: Request) -> dict[str, Any]:
    return json.loads(request.body)


def assert_signed(request: Request, secret: str) -> None:
    timestamp = request.headers["X-Edoc-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(request.headers["X-Edoc-Signature"], f"sha256={expected}")
    body = payload(request)
    assert request.headers["X-Edoc-Event"] == body["type"]
    assert request.headers["X-Edoc-Delivery"] == body["id"]
    assert datetime.fromisoformat(body["occurred_at"]).utcoffset() is not None


def test_every_event_once_signed_in_order_also_after_the_receivers_outage(
    trusted_app: Flask,
    loopback: Flask,
    client: FlaskClient,
    admin: dict[str, str],
    agency_token: Tokens,
    receiver: Receiver,
) -> None:
    _id, secret = subscribe(client, admin, receiver.url)
    clerk = bearer(client, "vanthu")
    created = post_incoming(client, clerk, blank_pdf("Cong van"))
    assert created.status_code == 201
    incoming_id = created.get_json()["id"]
    assert [payload(r)["type"] for r in receiver.accepted] == ALL_EVENTS[:2]

    receiver.down = True  # the receiver's outage: everything from here waits
    route_and_finish(client, incoming_id)
    outgoing_id, clerk = issued_document(client, agency_token)
    recalled = client.post(
        f"/api/v1/outgoing/{outgoing_id}/recall", json={"reason": "Sai thể thức"}, headers=clerk
    )
    assert recalled.status_code == 200, recalled.get_json()
    # Only the oldest waiting event was tried: the later ones queue behind it, in order.
    assert {payload(r)["type"] for r in receiver.refused} == {"document.assigned"}
    refused_ids = {payload(r)["id"] for r in receiver.refused}
    deliver(loopback)  # the drain respects the back-off: nothing is due yet
    assert len(receiver.accepted) == 2

    receiver.down = False
    assert "4 delivered" in deliver(loopback, "--now")
    deliver(loopback, "--now")  # nothing left: a second drain sends nothing again

    types = [payload(r)["type"] for r in receiver.accepted]
    assert types == ALL_EVENTS
    ids = [payload(r)["id"] for r in receiver.accepted]
    assert len(set(ids)) == len(ids)
    assert refused_ids <= set(ids)  # the retry carries the same event id
    for request in receiver.accepted:
        assert_signed(request, secret)
        assert request.path == "/hooks/edoc"
    documents = [payload(r)["document"] for r in receiver.accepted]
    assert [d["id"] for d in documents] == [incoming_id] * 4 + [outgoing_id] * 2
    assert documents[0]["subject"] == "Về việc báo cáo quyết toán ngân sách năm 2025"
    assert documents[0]["status"] == "received" and documents[1]["status"] == "registered"
    assert documents[3]["status"] == "done"
    assert documents[4]["number_notation"].startswith("01/")
    assert documents[5]["status"] == "recalled"
    with loopback.app_context():
        statuses = db.session.scalars(select(WebhookDelivery.status)).all()
        assert set(statuses) == {"delivered"}


def test_a_rolled_back_change_queues_nothing(
    loopback: Flask, client: FlaskClient, admin: dict[str, str], receiver: Receiver
) -> None:
    subscribe(client, admin, receiver.url, ["document.registered"])
    clerk = bearer(client, "vanthu")
    held = client.post(
        "/api/v1/integrations/documents",
        headers=clerk,
        content_type="multipart/form-data",
        data={
            "file": (_pdf(), "vb.pdf"),
            "metadata": json.dumps(
                {
                    "sender_name": "Sở Y tế",
                    "doc_type": "CV",
                    "subject": "Xin ý kiến",
                    "received_via": "paper",
                }
            ),
        },
    )
    assert held.status_code == 201, held.get_json()
    document_id = held.get_json()["id"]
    with loopback.app_context():
        clerk_user = db.session.scalar(select(User).where(User.username == "vanthu"))
        incoming.register(document_id, clerk_user)
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    deliver(loopback, "--now")
    assert receiver.accepted == []
    with loopback.app_context():  # the same change committed is announced
        clerk_user = db.session.scalar(select(User).where(User.username == "vanthu"))
        incoming.register(document_id, clerk_user)
        db.session.commit()
    deliver(loopback)
    assert [payload(r)["type"] for r in receiver.accepted] == ["document.registered"]


def _pdf() -> Any:
    return io.BytesIO(blank_pdf("Xin y kien"))


def test_a_secret_documents_content_never_leaves(
    loopback: Flask, client: FlaskClient, admin: dict[str, str], receiver: Receiver
) -> None:
    subscribe(client, admin, receiver.url, ["document.received"])
    clerk = bearer(client, "vanthu")
    subject = "Kế hoạch bảo vệ bí mật nhà nước"
    secret = post_incoming(client, clerk, blank_pdf(), secrecy="1", subject=subject)
    assert secret.status_code == 201
    plain = post_incoming(client, clerk, blank_pdf(), subject="Văn bản thường")
    assert plain.status_code == 201
    [first, second] = receiver.accepted
    assert payload(first)["document"] == {
        "id": secret.get_json()["id"],
        "direction": "incoming",
        "status": "received",
        "secrecy": 1,
        "secret": True,
    }
    assert subject.encode() not in first.body and b"15/STC-NS" not in first.body
    assert payload(second)["document"]["subject"] == "Văn bản thường"


def test_a_disabled_subscription_gets_nothing(
    loopback: Flask, client: FlaskClient, admin: dict[str, str], receiver: Receiver
) -> None:
    off_id, _secret = subscribe(client, admin, receiver.url + "/off")
    subscribe(client, admin, receiver.url + "/on")
    patched = client.patch(f"/api/v1/webhooks/{off_id}", json={"active": False}, headers=admin)
    assert patched.status_code == 200 and patched.get_json()["active"] is False
    assert post_incoming(client, bearer(client, "vanthu"), blank_pdf()).status_code == 201
    deliver(loopback, "--now")
    assert {r.path for r in receiver.accepted} == {"/hooks/edoc/on"}
    assert len(receiver.accepted) == 2  # received, registered
    log = client.get(f"/api/v1/webhooks/{off_id}/deliveries", headers=admin).get_json()
    assert log["total"] == 0


def test_a_failed_delivery_stops_its_queue_until_retried(
    loopback: Flask, client: FlaskClient, admin: dict[str, str], receiver: Receiver
) -> None:
    loopback.config["EDOC"] = dataclasses.replace(loopback.config["EDOC"], webhook_max_attempts=2)
    subscription_id, _secret = subscribe(client, admin, receiver.url)
    receiver.down = True
    assert post_incoming(client, bearer(client, "vanthu"), blank_pdf()).status_code == 201
    deliver(loopback, "--now")  # the second attempt: the head has used them all
    log = client.get(f"/api/v1/webhooks/{subscription_id}/deliveries", headers=admin).get_json()[
        "items"
    ]
    by_type = {d["event_type"]: d for d in log}
    assert by_type["document.received"]["status"] == "failed"
    assert by_type["document.received"]["attempts"] == 2
    assert by_type["document.received"]["last_status_code"] == 503
    assert by_type["document.registered"]["attempts"] == 0  # held behind the failed head
    receiver.down = False
    deliver(loopback, "--now")
    assert receiver.accepted == []  # stopped: no event overtakes the failed one
    pending = by_type["document.registered"]["id"]
    refused = client.post(
        f"/api/v1/webhooks/{subscription_id}/deliveries/{pending}/retry", headers=admin
    )
    assert refused.status_code == 409
    retried = client.post(
        f"/api/v1/webhooks/{subscription_id}/deliveries/{by_type['document.received']['id']}/retry",
        headers=admin,
    )
    assert retried.status_code == 200, retried.get_json()
    assert [payload(r)["type"] for r in receiver.accepted] == ALL_EVENTS[:2]


def test_urls_and_who_may_manage_webhooks(
    app: Flask, client: FlaskClient, admin: dict[str, str]
) -> None:
    """Loopback is refused by default (EDOC_WEBHOOK_ALLOW_PRIVATE off); other schemes and
    credentials always; only the admin manages webhooks, and never sees a secret again."""
    for url, code in (
        ("ftp://example.org/hook", "webhook_url_invalid"),
        ("file:///etc/passwd", "webhook_url_invalid"),
        ("https://user:pw@example.org/hook", "webhook_url_credentials"),
        ("http://127.0.0.1:9/hook", "webhook_url_private"),
        ("http://[::1]/hook", "webhook_url_private"),
        ("http://169.254.169.254/latest", "webhook_url_private"),
        ("http://10.0.0.8/hook", "webhook_url_private"),
        ("http://localhost/hook", "webhook_url_private"),
    ):
        response = client.post(
            "/api/v1/webhooks",
            json={"name": "x", "url": url, "events": ["document.issued"]},
            headers=admin,
        )
        assert response.status_code == 422, url
        assert response.get_json()["error"]["code"] == code
        assert "url" in response.get_json()["error"]["details"]
    subscription_id, secret = subscribe(
        client, admin, "https://dichvucong.example.vn/hook?token=abc"
    )
    assert secret.startswith("whsec_")
    shown = client.get(f"/api/v1/webhooks/{subscription_id}", headers=admin).get_json()
    assert "secret" not in shown and secret not in json.dumps(shown)
    with app.app_context():
        details = json.dumps([e.details for e in db.session.scalars(select(AuditEvent))])
        assert secret not in details and "token=abc" not in details
    for username in ("vanthu", "chuyenvien", "lanhdao"):
        other = bearer(client, username)
        assert client.get("/api/v1/webhooks", headers=other).status_code == 403
        assert (
            client.post(
                "/api/v1/webhooks",
                json={"name": "x", "url": "https://a.example/", "events": ["document.issued"]},
                headers=other,
            ).status_code
            == 403
        )
        page = signed_in(app, username)
        assert page.get("/admin/webhooks/").status_code == 403
        assert page.get("/admin/webhooks/deliveries").status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 401


def test_the_admin_pages(
    loopback: Flask, client: FlaskClient, demo: None, receiver: Receiver
) -> None:
    page = signed_in(loopback, "quantri")
    listing = page.get("/admin/webhooks/")
    assert listing.status_code == 200
    token = csrf_token_from(listing.get_data(as_text=True))
    without_csrf = page.post(
        "/admin/webhooks/", data={"name": "Cổng", "url": receiver.url, "events": "document.done"}
    )
    assert without_csrf.status_code == 400
    bad = page.post(
        "/admin/webhooks/",
        data={"csrf_token": token, "name": "Cổng", "url": "gopher://x", "events": "document.done"},
    )
    assert bad.status_code == 422
    assert "http:// hoặc https://" in bad.get_data(as_text=True)
    created = page.post(
        "/admin/webhooks/",
        data={
            "csrf_token": token,
            "name": "Cổng dịch vụ công",
            "url": receiver.url,
            "events": ["document.received", "document.done"],
        },
    )
    assert created.status_code == 201
    html = created.get_data(as_text=True)
    secret = html.split('data-testid="webhook-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_")
    listing = page.get("/admin/webhooks/").get_data(as_text=True)
    assert "Cổng dịch vụ công" in listing and secret not in listing
    with loopback.app_context():
        subscription_id = db.session.scalar(select(WebhookSubscription.id))
    pinged = page.post(f"/admin/webhooks/{subscription_id}/ping", data={"csrf_token": token})
    assert pinged.status_code == 302
    [ping] = receiver.accepted
    assert payload(ping)["type"] == "ping"
    assert_signed(ping, secret)
    log = page.get("/admin/webhooks/deliveries?event=ping&status=delivered")
    assert log.status_code == 200
    assert "Đã gửi" in log.get_data(as_text=True)
    assert page.get("/admin/webhooks/deliveries?status=nonsense").status_code == 422
    disabled = page.post(
        f"/admin/webhooks/{subscription_id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert disabled.status_code == 302
    assert "Đã tắt" in page.get("/admin/webhooks/").get_data(as_text=True)


def test_the_address_is_checked_again_at_each_delivery(
    loopback: Flask, client: FlaskClient, admin: dict[str, str], receiver: Receiver
) -> None:
    """A target that became private (the operator turned loopback off, or a name now resolves
    to an internal address) is not contacted; the subscription can be removed."""
    subscription_id, _secret = subscribe(client, admin, receiver.url, ["document.received"])
    loopback.config["EDOC"] = dataclasses.replace(
        loopback.config["EDOC"], webhook_allow_private=False
    )
    assert post_incoming(client, bearer(client, "vanthu"), blank_pdf()).status_code == 201
    assert receiver.accepted == [] and receiver.refused == []
    [attempt] = client.get(
        f"/api/v1/webhooks/{subscription_id}/deliveries", headers=admin
    ).get_json()["items"]
    assert attempt["status"] == "pending" and attempt["attempts"] == 1
    assert attempt["last_error"].startswith("address_refused")
    assert client.delete(f"/api/v1/webhooks/{subscription_id}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/webhooks/{subscription_id}", headers=admin).status_code == 404


def test_a_drain_that_lost_its_lease_sends_nothing(
    loopback: Flask, client: FlaskClient, admin: dict[str, str], receiver: Receiver
) -> None:
    """A drain slowed past its lease (a slow receiver, a paused worker) finds its run taken by
    another drain: it sends nothing more, so no event goes twice or out of order."""
    subscribe(client, admin, receiver.url)
    receiver.down = True  # the drain after the request fails: both events wait, as if new
    assert post_incoming(client, bearer(client, "vanthu"), blank_pdf()).status_code == 201
    receiver.down = False
    with loopback.app_context():
        db.session.execute(update(WebhookDelivery).values(attempts=0, next_attempt_at=None))
        db.session.commit()
        slow = delivery.claim()
        assert slow is not None and [len(run) for run in slow.runs] == [2]
        db.session.execute(
            update(WebhookDelivery).values(
                claimed_until=delivery.wall_clock() - timedelta(seconds=1)
            )
        )
        db.session.commit()
        other = delivery.claim()  # the lease ran out: another drain takes the run
        assert other is not None and other.runs == slow.runs
        assert delivery.deliver_one(slow.runs[0][0], slow.holder) is None
        assert receiver.accepted == []
        first = delivery.deliver_one(other.runs[0][0], other.holder)
        assert first is not None and first.delivered
    assert [payload(r)["type"] for r in receiver.accepted] == ["document.received"]
