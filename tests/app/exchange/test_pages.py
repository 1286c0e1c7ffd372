"""The exchange pages: what each role sees and may do on the sender's and the recipient's side,
the operator's page (peers, queues, retry, give up), files by hand, and secrecy."""

from __future__ import annotations

import io
import re
from pathlib import Path

from asn1crypto import pem
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edoc.audit.models import AuditEvent
from edoc.cli import cli
from edoc.core.extensions import db
from edoc.exchange.models import ExchangeMessage, ExchangePeer
from edoc.incoming.models import IncomingDocument
from edoc.outgoing.models import Dispatch
from signing import pki as labels
from signing.pki import DemoPKI
from tests.fixtures.app import bearer, csrf_token_from, form_post, signed_in
from tests.fixtures.documents import (
    issue,
    issued_document,
    leader_id,
    post_draft,
    send,
    sign_drafts,
)
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.exchange import Installation, directory_entry, upload
from tests.fixtures.pki import Tokens

DATETIME_VN = re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")


def sent_to_stc(pair: dict[str, Installation], tokens: Tokens) -> tuple[int, int]:
    tinh = pair["tinh"]
    document_id, clerk = issued_document(tinh.client, tokens)
    response = send(tinh.client, clerk, document_id, [directory_entry(tinh, pair["stc"])])
    assert response.status_code == 200, response.get_json()
    with tinh.app.app_context():
        dispatch = db.session.scalar(select(Dispatch.id).where(Dispatch.document_id == document_id))
    return document_id, dispatch


def incoming_id(installation: Installation) -> int:
    with installation.app.app_context():
        return db.session.scalar(select(IncomingDocument.document_id))


def message_pk(installation: Installation, **where: str) -> int:
    with installation.app.app_context():
        query = select(ExchangeMessage.id).filter_by(**where).order_by(ExchangeMessage.id)
        return db.session.scalars(query).first()


def timeline_steps(html: str) -> list[tuple[str, str]]:
    """(status code, the text of its step) of each step of the page's timelines."""
    return [
        (code, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip())
        for code, text in re.findall(
            r'<li data-code="(\d\d)" data-testid="timeline-step">(.*?)</li>', html, re.S
        )
    ]


# ---- the sender's timeline and the recipient's origin box -------------------------------------


def test_sender_reads_each_status_with_its_time_and_the_clerk_where_it_came_from(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, _dispatch = sent_to_stc(pair, softhsm_tokens)
    arrived = incoming_id(stc)

    stc_clerk = signed_in(stc.app, "vanthu")
    listing = stc_clerk.get("/incoming/").get_data(as_text=True)
    assert 'data-testid="exchange-badge"' in listing and "Liên thông" in listing
    page = stc_clerk.get(f"/incoming/{arrived}").get_data(as_text=True)
    assert 'data-testid="exchange-origin"' in page
    assert f"UBND tỉnh Demo ({tinh.organ_id})" in page
    assert "Trực tiếp từ hệ thống nơi gửi" in page
    assert 'data-testid="envelope-ok"' in page
    with stc.app.app_context():
        message_id = db.session.scalar(
            select(ExchangeMessage.message_id).where(ExchangeMessage.direction == "in")
        )
    assert message_id in page
    # The fields came from the package's header: the clerk registers without typing them.
    assert "01/QĐ-UBND" in page and "Quyết định ban hành số 0" in page
    register_form = re.search(r'<form[^>]*incoming/\d+/register".*?</form>', page, re.S)
    assert register_form is not None
    assert " required" not in register_form.group(0)
    registered = form_post(stc_clerk, f"/incoming/{arrived}/register", f"/incoming/{arrived}", {})
    assert registered.status_code == 302
    after = stc_clerk.get(f"/incoming/{arrived}").get_data(as_text=True)
    assert [code for code, _text in timeline_steps(after)] == ["01", "03"]

    # Every reader of the outgoing document sees the timeline; times are dd/mm/yyyy HH:mm.
    for username in ("vanthu", "lanhdao"):
        outgoing = signed_in(tinh.app, username).get(f"/outgoing/{document_id}")
        html = outgoing.get_data(as_text=True)
        assert 'data-testid="exchange-timelines"' in html
        assert 'data-recipient="Sở Tài chính tỉnh Demo"' in html
        steps = timeline_steps(html)
        assert [code for code, _text in steps] == ["01", "03"]
        assert all(DATETIME_VN.match(text) for _code, text in steps)
        assert "Đã đến" in steps[0][1]
        assert "Đã tiếp nhận" in steps[1][1] and "số đến 1" in steps[1][1]
        assert 'data-state="sent"' in html
    # Only clerks and admins are sent on to the message's page.
    assert "/exchange/messages/" in signed_in(tinh.app, "vanthu").get(
        f"/outgoing/{document_id}"
    ).get_data(as_text=True)
    assert "/exchange/messages/" not in signed_in(tinh.app, "lanhdao").get(
        f"/outgoing/{document_id}"
    ).get_data(as_text=True)


def test_a_returned_document_shows_02_with_its_reason_to_the_sender(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, _dispatch = sent_to_stc(pair, softhsm_tokens)
    arrived = incoming_id(stc)
    clerk = signed_in(stc.app, "vanthu")
    returned = form_post(
        clerk, f"/incoming/{arrived}/return", f"/incoming/{arrived}", {"reason": "Gửi nhầm cơ quan"}
    )
    assert returned.status_code == 302
    steps = timeline_steps(
        signed_in(tinh.app, "vanthu").get(f"/outgoing/{document_id}").get_data(as_text=True)
    )
    assert [code for code, _text in steps] == ["01", "02"]
    assert "Từ chối" in steps[1][1] and "lý do: Gửi nhầm cơ quan" in steps[1][1]


# ---- who may open the operator's pages --------------------------------------------------------


def peer_pem(pki: DemoPKI) -> str:
    return pem.armor("CERTIFICATE", pki.cert_der(labels.SO_TAI_CHINH)).decode()


def test_roles_csrf_and_the_peer_form(app: Flask, demo: None, demo_pki: DemoPKI) -> None:
    for username in ("chuyenvien", "lanhdao", "luutru"):
        client = signed_in(app, username)
        assert client.get("/exchange/").status_code == 403
        assert client.get("/exchange/messages").status_code == 403
        assert 'href="/exchange/"' not in client.get("/").get_data(as_text=True)
    clerk, admin = signed_in(app, "vanthu"), signed_in(app, "quantri")
    for client in (clerk, admin):
        page = client.get("/exchange/")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Liên thông văn bản" in html and 'data-testid="own-organ"' in html
        assert 'href="/exchange/"' in client.get("/dashboard").get_data(as_text=True)
    assert clerk.get("/exchange/peers/new").status_code == 403
    assert admin.get("/exchange/import").status_code == 403  # files by hand are the clerk's
    assert signed_in(app, "chuyenvien").get("/exchange/import").status_code == 403

    fields = {"organ_code": "000.00.12.H30", "name": "Sở Tài chính tỉnh Demo", "kind": "peer"}
    fields |= {"endpoint": "https://stc.example.vn", "active": "y"}
    assert admin.post("/exchange/peers/new", data=fields).status_code == 400  # no CSRF token
    refused = form_post(
        admin, "/exchange/peers/new", "/exchange/peers/new", {**fields, "certificate_text": "x"}
    )
    assert refused.status_code == 422
    assert "Chứng thư số của cơ quan không đọc được" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExchangePeer)) == 0

    token = csrf_token_from(admin.get("/exchange/peers/new").get_data(as_text=True))
    upload = (io.BytesIO(peer_pem(demo_pki).encode()), "stc.pem")
    saved = admin.post(
        "/exchange/peers/new",
        data={"csrf_token": token, **fields, "certificate_file": upload},
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    overview = admin.get("/exchange/").get_data(as_text=True)
    assert 'data-organ="000.00.12.H30"' in overview and "https://stc.example.vn" in overview
    with app.app_context():
        peer_id = db.session.scalar(select(ExchangePeer.id))
    # The page says how packages go; a transport nobody registered is refused by name.
    form = admin.get(f"/exchange/peers/{peer_id}").get_data(as_text=True)
    assert '<option value="http" selected>Trực tiếp qua mạng (HTTPS, edXML)</option>' in form
    unknown = form_post(
        admin, f"/exchange/peers/{peer_id}", f"/exchange/peers/{peer_id}",
        {**fields, "transport": "bo-cau"},
    )  # fmt: skip
    assert unknown.status_code == 422
    assert "Cách truyền gói tin bo-cau chưa được hỗ trợ (có: http)" in unknown.get_data(
        as_text=True
    )
    # Editing keeps the pinned certificate when none is given; the clerk may not edit.
    edited = form_post(
        admin,
        f"/exchange/peers/{peer_id}",
        f"/exchange/peers/{peer_id}",
        {**fields, "name": "Sở Tài chính", "active": ""},
    )
    assert edited.status_code == 302
    with app.app_context():
        peer = db.session.get(ExchangePeer, peer_id)
        assert (peer.name, peer.active) == ("Sở Tài chính", False)
        assert "BEGIN CERTIFICATE" in peer.certificate
    assert form_post(clerk, f"/exchange/peers/{peer_id}", "/exchange/", fields).status_code == 403


def test_a_peer_whose_organ_code_is_malformed_is_refused_by_the_page_and_the_command(
    app: Flask, demo: None, demo_pki: DemoPKI, tmp_path: Path
) -> None:
    """The organ code follows the rule of the settings and the directory (lower-case letter
    here), wherever the peer is typed."""
    admin = signed_in(app, "quantri")
    fields = {"organ_code": "000.00.12.h30", "name": "Sở Tài chính tỉnh Demo", "kind": "peer"}
    fields |= {"certificate_text": peer_pem(demo_pki)}
    page = form_post(admin, "/exchange/peers/new", "/exchange/peers/new", fields)
    assert page.status_code == 422
    assert "Mã định danh phải có dạng 000.00.00.H30" in page.get_data(as_text=True)

    certificate = tmp_path / "stc.pem"
    certificate.write_text(peer_pem(demo_pki))
    command = app.test_cli_runner().invoke(
        cli,
        ["exchange", "peers", "add", "000.00.12.h30", "--name", "Sở Tài chính",
         "--certificate", str(certificate)],
    )  # fmt: skip
    assert command.exit_code != 0
    assert "invalid_peer" in command.output
    assert "(organ_code: Mã định danh 000.00.12.h30 không đúng dạng 000.00.00.H30.)" in (
        command.output
    )
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExchangePeer)) == 0


# ---- failed and held packages: retry, give up ------------------------------------------------


def test_a_failed_delivery_is_retried_and_a_held_one_given_up_with_a_reason(
    pair: dict[str, Installation], softhsm_tokens: Tokens, demo_pki: DemoPKI
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    stc.stop()
    document_id, _dispatch = sent_to_stc(pair, softhsm_tokens)
    clerk = signed_in(tinh.app, "vanthu")
    outgoing = clerk.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert 'data-state="failed"' in outgoing and "lần thử 1" in outgoing
    assert "Lỗi cuối" in outgoing
    overview = clerk.get("/exchange/").get_data(as_text=True)
    line = re.search(rf'<tr data-hop="{stc.organ_id}">.*?</tr>', overview, re.S).group(0)
    assert re.search(r'data-testid="queue-pending"[^>]*>1<', line)
    pk = message_pk(tinh, direction="out", kind="document")

    # A held package: an agency with no route at all.
    third = tinh.client.post(
        "/api/v1/directory",
        json={"code": "000.00.99.H30", "name": "Ban Quản lý dự án", "internal": False},
        headers=bearer(tinh.client, "quantri"),
    ).get_json()["id"]
    assert send(tinh.client, bearer(tinh.client, "vanthu"), document_id, [third]).status_code == 200
    held = message_pk(tinh, direction="out", kind="document", to_organ="000.00.99.H30")
    outgoing = clerk.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert 'data-state="held"' in outgoing and "Chưa có đường liên thông" in outgoing
    overview = clerk.get("/exchange/").get_data(as_text=True)
    assert 'data-testid="problem"' in overview

    page = f"/exchange/messages/{held}"
    refused = form_post(clerk, f"{page}/give-up", page, {"reason": "  "})
    assert refused.status_code == 422
    assert "Cần nêu lý do ngừng gửi." in refused.get_data(as_text=True)
    assert clerk.post(f"{page}/give-up", data={"reason": "Gửi bản giấy"}).status_code == 400
    with tinh.app.app_context():
        assert db.session.get(ExchangeMessage, held).state == "held"
    given_up = form_post(clerk, f"{page}/give-up", page, {"reason": "Gửi bản giấy"})
    assert given_up.status_code == 302
    with tinh.app.app_context():
        message = db.session.get(ExchangeMessage, held)
        assert (message.state, message.last_error) == ("given_up", "Gửi bản giấy")
        audit = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "exchange.given_up")
        )
        assert audit.actor_name and audit.object_id == str(held)
    again = form_post(clerk, f"{page}/give-up", page, {"reason": "Lần nữa"})
    assert again.status_code == 409

    # The recipient's system is back: the operator retries now rather than wait for back-off.
    stc.serve()
    page = f"/exchange/messages/{pk}"
    retried = form_post(clerk, f"{page}/retry", "/exchange/", {"back": "overview"})
    assert retried.status_code == 302 and retried.headers["Location"].endswith("/exchange/")
    with tinh.app.app_context():
        assert db.session.get(ExchangeMessage, pk).state == "delivered"
    outgoing = clerk.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert [code for code, _text in timeline_steps(outgoing)] == ["01"]
    assert form_post(clerk, f"{page}/retry", page, {}).status_code == 409  # delivered already
    specialist = signed_in(tinh.app, "chuyenvien")
    assert form_post(specialist, f"{page}/retry", "/dashboard", {}).status_code == 403


# ---- secrecy ----------------------------------------------------------------------------------


def secret_issued_document(client: FlaskClient, tokens: Tokens) -> int:
    """A decision marked Mật (drafted by the clerk, who is cleared for it), signed and issued."""
    clerk = bearer(client, "vanthu")
    created = post_draft(
        client,
        clerk,
        draft_pdf("QUYET DINH MAT"),
        doc_type="QĐ",
        subject="Phương án bảo vệ mục tiêu trọng yếu",
        recipients="Sở Tài chính\nLưu: VT",
        secrecy="1",
    )
    assert created.status_code == 201, created.get_json()
    document_id = created.get_json()["id"]
    submitted = client.post(
        f"/api/v1/outgoing/{document_id}/submit",
        json={"signer_id": leader_id(client)},
        headers=clerk,
    )
    assert submitted.status_code == 200, submitted.get_json()
    sign_drafts(client, tokens, [document_id])
    assert issue(client, clerk, [document_id])["failed"] == {}
    return document_id


def test_a_secret_document_never_leaves_by_exchange(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    """State secrets do not travel over the network: a Mật document is neither sent nor exported
    as a package (the clerk is told to send paper), and nothing is queued or recorded."""
    tinh, stc = pair["tinh"], pair["stc"]
    document_id = secret_issued_document(tinh.client, softhsm_tokens)
    organization = directory_entry(tinh, stc)
    refused = send(tinh.client, bearer(tinh.client, "vanthu"), document_id, [organization])
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "secret_not_exchangeable"
    assert "bản giấy" in refused.get_json()["error"]["message"]
    out = tmp_path / "mat.edxml"
    exported = tinh.cli(
        "exchange", "export", str(document_id), "--to", stc.organ_id, "-o", str(out)
    )
    assert exported.exit_code != 0 and "mật" in exported.output
    assert not out.exists()
    with tinh.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ExchangeMessage)) == 0
        assert db.session.scalar(select(func.count()).select_from(Dispatch)) == 0


# ---- files by hand ----------------------------------------------------------------------------

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<edXMLEnvelope xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol2;</edXMLEnvelope>"""


def count_messages(installation: Installation) -> int:
    with installation.app.app_context():
        return db.session.scalar(select(func.count()).select_from(ExchangeMessage)) or 0


def test_export_a_package_for_a_recipient_and_import_it_by_hand(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    stc.stop()  # not connected: the package goes by file
    document_id, _clerk = issued_document(tinh.client, softhsm_tokens)
    directory_entry(tinh, stc)
    clerk = signed_in(tinh.app, "vanthu")
    outgoing = clerk.get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert f'href="/exchange/export/{document_id}"' in outgoing
    assert f"/exchange/export/{document_id}" not in signed_in(tinh.app, "lanhdao").get(
        f"/outgoing/{document_id}"
    ).get_data(as_text=True)
    assert signed_in(tinh.app, "quantri").get(f"/exchange/export/{document_id}").status_code == 403
    form = clerk.get(f"/exchange/export/{document_id}").get_data(as_text=True)
    assert f'value="{stc.organ_id}"' in form
    export_url = f"/exchange/export/{document_id}"
    assert clerk.post(export_url, data={"organ_code": stc.organ_id}).status_code == 400
    unknown = form_post(clerk, export_url, export_url, {"organ_code": "000.00.77.H30"})
    assert unknown.status_code == 422
    exported = form_post(clerk, export_url, export_url, {"organ_code": stc.organ_id})
    assert exported.status_code == 200, exported.get_data(as_text=True)
    assert "attachment" in exported.headers["Content-Disposition"]
    package = exported.data
    assert package.startswith(b"<?xml")

    stc_clerk = signed_in(stc.app, "vanthu")
    refused = upload(stc_clerk, BOMB)
    assert refused.status_code == 422
    assert "DOCTYPE" in refused.get_data(as_text=True)  # the Vietnamese reason, not a trace
    assert upload(stc_clerk, b"not xml at all").status_code == 422
    assert count_messages(stc) == 0
    wrong = upload(signed_in(tinh.app, "vanthu"), package)  # addressed to stc, not to tinh
    assert wrong.status_code == 422
    assert "không gửi đến cơ quan này" in wrong.get_data(as_text=True)

    imported = upload(stc_clerk, package)
    assert imported.status_code == 302, imported.get_data(as_text=True)
    message_page = stc_clerk.get(imported.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="message-state">Đã xử lý<' in message_page
    arrived = incoming_id(stc)
    page = stc_clerk.get(f"/incoming/{arrived}").get_data(as_text=True)
    assert "Nhập từ tệp .edxml" in page and 'data-testid="envelope-ok"' in page
    again = upload(stc_clerk, package)
    assert again.status_code == 302
    assert "đã được nhận trước đó" in stc_clerk.get(again.headers["Location"]).get_data(
        as_text=True
    )
    with stc.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 1


def test_a_recalled_document_says_so_on_both_sides(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    document_id, _dispatch = sent_to_stc(pair, softhsm_tokens)
    recalled = tinh.client.post(
        f"/api/v1/outgoing/{document_id}/recall",
        json={"reason": "Sai thể thức"},
        headers=bearer(tinh.client, "vanthu"),
    )
    assert recalled.status_code == 200, recalled.get_json()
    page = signed_in(stc.app, "vanthu").get(f"/incoming/{incoming_id(stc)}").get_data(as_text=True)
    assert 'data-testid="origin-replaced-by"' in page and "Nơi gửi thu hồi văn bản này" in page
    steps = timeline_steps(page)
    assert [code for code, _text in steps] == ["01", "13"]
    assert "lý do: Sai thể thức" in steps[1][1]
    outgoing = signed_in(tinh.app, "vanthu").get(f"/outgoing/{document_id}").get_data(as_text=True)
    assert [code for code, _text in timeline_steps(outgoing)] == ["01", "13"]
    assert "Thu hồi:" in outgoing  # the recall's own package, under the recipient
    assert f'href="/exchange/export/{document_id}"' not in outgoing  # no longer issued


def test_the_overview_lists_the_first_problems_and_links_to_all(
    pair: dict[str, Installation], softhsm_tokens: Tokens
) -> None:
    """Forty packages held for agencies with no route must not make the overview a scroll of
    forty forms: it shows ten and links to the full, filtered message list."""
    tinh = pair["tinh"]
    document_id, _clerk = issued_document(tinh.client, softhsm_tokens)
    admin = bearer(tinh.client, "quantri")
    recipients = [
        tinh.client.post(
            "/api/v1/directory",
            json={"code": f"000.00.{n:02d}.K30", "name": f"Cơ quan {n}", "internal": False},
            headers=admin,
        ).get_json()["id"]
        for n in range(12)
    ]
    clerk_token = bearer(tinh.client, "vanthu")
    assert send(tinh.client, clerk_token, document_id, recipients).status_code == 200
    clerk = signed_in(tinh.app, "vanthu")
    overview = clerk.get("/exchange/").get_data(as_text=True)
    assert overview.count('data-testid="problem"') == 10
    assert 'data-testid="more-problems"' in overview
    held = clerk.get("/exchange/messages?state=held").get_data(as_text=True)
    assert all(f"000.00.{n:02d}.K30" in held for n in range(12))
