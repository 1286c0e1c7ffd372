"""Filing a document from its own page ("Lưu vào hồ sơ"), incoming and outgoing.

Every form is posted as the browser posts it (session login, CSRF token from the page): success
comes back to the document page with a flash, a role that may not file gets 403, a closed
dossier is refused with a Vietnamese message, a missing CSRF token is refused, and an outside
``next`` is never followed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edoc.audit.models import AuditEvent
from edoc.core.clock import to_local, utcnow
from edoc.core.extensions import db
from edoc.dossiers import services
from edoc.dossiers.models import DossierDocument
from edoc.users.models import User
from tests.fixtures.app import bearer, csrf_token_from, signed_in
from tests.fixtures.documents import post_draft, post_incoming
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.selfsigned import blank_pdf


@dataclass
class Setup:
    year: int
    incoming_id: int  # issued last December
    secret_id: int  # Mật
    outgoing_id: int  # a draft
    open_id: int  # this year, open
    last_year_id: int  # the document's year, open
    old_id: int  # two years ago, open: not offered
    closed_id: int  # this year, closed


def _archivist() -> User:
    return db.session.scalar(select(User).where(User.username == "luutru"))


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _dossier(year: int, code: str, title: str) -> int:
    fields = services.DossierFields(year=year, code=code, title=title, retention_years=10)
    return services.create(fields, _archivist()).id


@pytest.fixture
def setup(app: Flask, client: FlaskClient, clerk: dict[str, str]) -> Setup:
    with app.app_context():
        year = to_local(utcnow()).year
    incoming = post_incoming(
        client,
        clerk,
        blank_pdf("Cong van"),
        subject="Về việc kiểm tra công tác phòng cháy",
        issued_date=f"{year - 1}-12-20",
    )
    assert incoming.status_code == 201, incoming.get_json()
    secret = post_incoming(client, clerk, blank_pdf("Mat"), subject="Văn bản mật", secrecy="1")
    assert secret.status_code == 201, secret.get_json()
    drafter = bearer(client, "chuyenvien")
    with app.app_context():
        signer_id = db.session.scalar(select(User.id).where(User.username == "lanhdao"))
    draft = post_draft(
        client,
        drafter,
        draft_pdf("QUYET DINH"),
        doc_type="QĐ",
        subject="Quyết định thành lập tổ công tác",
        recipients="Các sở, ban, ngành\nLưu: VT",
        signer_id=str(signer_id),  # a reader of the draft besides its drafter
    )
    assert draft.status_code == 201, draft.get_json()
    with app.app_context():
        open_id = _dossier(year, "01.VP", "Hồ sơ công tác văn phòng")
        last_year_id = _dossier(year - 1, "07.PC", "Hồ sơ phòng cháy năm trước")
        old_id = _dossier(year - 2, "09.CU", "Hồ sơ cũ")
        closed_id = _dossier(year, "02.TH", "Hồ sơ tổng hợp đã đóng")
        services.add_documents(closed_id, [secret.get_json()["id"]], _archivist())
        services.close(closed_id, _archivist())
        db.session.commit()
    return Setup(
        year=year,
        incoming_id=incoming.get_json()["id"],
        secret_id=secret.get_json()["id"],
        outgoing_id=draft.get_json()["id"],
        open_id=open_id,
        last_year_id=last_year_id,
        old_id=old_id,
        closed_id=closed_id,
    )


def _options(page: str) -> list[str]:
    form = re.search(r'<form[^>]*data-testid="filing-form".*?</form>', page, re.S)
    return re.findall(r'<option value="(\d+)"', form.group(0)) if form else []


def _file(client: FlaskClient, page_path: str, dossier_id: int, document_id: int, **extra: str):
    page = client.get(page_path)
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "dossier_id": str(dossier_id),
        "document_ids": str(document_id),
        "next": page_path,
        **extra,
    }
    return client.post("/dossiers/documents", data=data)


def _filed(app: Flask, dossier_id: int, document_id: int) -> bool:
    with app.app_context():
        return bool(
            db.session.scalar(
                select(func.count()).where(
                    DossierDocument.dossier_id == dossier_id,
                    DossierDocument.document_id == document_id,
                )
            )
        )


@pytest.mark.parametrize("direction", ["incoming", "outgoing"])
def test_file_from_the_document_page(app: Flask, setup: Setup, direction: str) -> None:
    document_id = setup.incoming_id if direction == "incoming" else setup.outgoing_id
    path = f"/{direction}/{document_id}"
    client = signed_in(app, "vanthu" if direction == "incoming" else "chuyenvien")
    page = client.get(path).get_data(as_text=True)
    assert "Văn bản chưa được lưu vào hồ sơ nào." in page
    offered = _options(page)
    assert str(setup.open_id) in offered
    assert str(setup.closed_id) not in offered and str(setup.old_id) not in offered
    # the incoming one is dated last December: last year's open dossiers are offered too
    assert (str(setup.last_year_id) in offered) == (direction == "incoming")

    response = _file(client, path, setup.open_id, document_id)
    assert response.status_code == 302
    assert response.headers["Location"] == path
    page = client.get(path).get_data(as_text=True)
    assert "Đã thêm văn bản vào hồ sơ." in page
    holding = re.search(r'data-testid="holding-dossiers">(.*?)</ul>', page, re.S)
    assert holding and "01.VP – Hồ sơ công tác văn phòng" in holding.group(1)
    assert f'href="/dossiers/{setup.open_id}"' in holding.group(1)
    assert str(setup.open_id) not in _options(page)  # already holds it: not offered again
    assert _filed(app, setup.open_id, document_id)
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "dossier.documents_added")
            .order_by(AuditEvent.seq.desc())
        ).first()
        assert event is not None and event.object_id == str(setup.open_id)
        assert event.details == {"document_ids": [document_id], "added": 1}


@pytest.mark.parametrize("direction", ["incoming", "outgoing"])
def test_a_role_that_may_not_file_sees_the_dossiers_but_gets_403(
    app: Flask, setup: Setup, direction: str
) -> None:
    document_id = setup.incoming_id if direction == "incoming" else setup.outgoing_id
    path = f"/{direction}/{document_id}"
    with app.app_context():
        # a draft is filed by one of its readers (its drafter), not by the archivist
        filer = _archivist() if direction == "incoming" else _user("chuyenvien")
        services.add_documents(setup.open_id, [document_id], filer)
        db.session.commit()
    leader = signed_in(app, "lanhdao")
    page = leader.get(path).get_data(as_text=True)
    assert "01.VP – Hồ sơ công tác văn phòng" in page  # which dossiers hold it: shown to all
    assert 'data-testid="filing-form"' not in page
    assert _file(leader, path, setup.last_year_id, document_id).status_code == 403
    assert not _filed(app, setup.last_year_id, document_id)


def test_a_closed_dossier_is_refused_with_a_message(app: Flask, setup: Setup) -> None:
    path = f"/incoming/{setup.incoming_id}"
    clerk = signed_in(app, "vanthu")
    response = _file(clerk, path, setup.closed_id, setup.incoming_id)
    assert response.status_code == 302 and response.headers["Location"] == path
    assert "Hồ sơ đã đóng, không thể thêm văn bản." in clerk.get(path).get_data(as_text=True)
    assert not _filed(app, setup.closed_id, setup.incoming_id)


def test_no_dossier_chosen_or_unknown_dossier(app: Flask, setup: Setup) -> None:
    path = f"/outgoing/{setup.outgoing_id}"
    specialist = signed_in(app, "chuyenvien")
    token = csrf_token_from(specialist.get(path).get_data(as_text=True))
    response = specialist.post(
        "/dossiers/documents",
        data={"csrf_token": token, "document_ids": str(setup.outgoing_id), "next": path},
    )
    assert response.headers["Location"] == path
    assert "Chưa chọn hồ sơ để lưu văn bản." in specialist.get(path).get_data(as_text=True)
    assert _file(specialist, path, 999999, setup.outgoing_id).headers["Location"] == path
    assert "Không tìm thấy hồ sơ." in specialist.get(path).get_data(as_text=True)


def test_missing_csrf_is_refused(app: Flask, setup: Setup) -> None:
    path = f"/incoming/{setup.incoming_id}"
    clerk = signed_in(app, "vanthu")
    response = clerk.post(
        "/dossiers/documents",
        data={"dossier_id": str(setup.open_id), "document_ids": str(setup.incoming_id)},
    )
    assert response.status_code == 400
    assert "biểu mẫu không hợp lệ" in response.get_data(as_text=True)
    assert not _filed(app, setup.open_id, setup.incoming_id)
    forged = _file(clerk, path, setup.open_id, setup.incoming_id, csrf_token="gia-mao")
    assert forged.status_code == 400
    assert not _filed(app, setup.open_id, setup.incoming_id)


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "incoming/1", ""]
)
def test_next_must_be_a_local_path(app: Flask, setup: Setup, target: str) -> None:
    clerk = signed_in(app, "vanthu")
    response = _file(
        clerk, f"/incoming/{setup.incoming_id}", setup.open_id, setup.incoming_id, next=target
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dossiers/{setup.open_id}"
    assert _filed(app, setup.open_id, setup.incoming_id)


def test_secret_documents_stay_hidden(app: Flask, setup: Setup) -> None:
    """Above the user's clearance: no page, and filing it answers as for a missing document."""
    specialist = signed_in(app, "chuyenvien")  # no clearance
    assert specialist.get(f"/incoming/{setup.secret_id}").status_code == 404
    path = f"/outgoing/{setup.outgoing_id}"
    response = _file(specialist, path, setup.open_id, setup.secret_id)
    assert response.headers["Location"] == path
    assert "Không tìm thấy văn bản." in specialist.get(path).get_data(as_text=True)
    assert not _filed(app, setup.open_id, setup.secret_id)
    with app.app_context():
        from edoc.documents.models import Document

        secret = db.session.get(Document, setup.secret_id)
        specialist_user = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        filing = services.filing_for(secret, specialist_user)
        assert (filing.holding, filing.open_dossiers, filing.can_file) == ([], [], False)
        clerk_user = db.session.scalar(select(User).where(User.username == "vanthu"))
        filing = services.filing_for(secret, clerk_user)  # Mật clearance: sees where it is
        assert [d.code for d in filing.holding] == ["02.TH"]
