"""Reading and keeping the directory: every signed-in user reads it, clerks and admins change it;
the pages as the browser posts them (session, CSRF), the API with a bearer token."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.audit.services import Operator
from edoc.core.extensions import db
from edoc.directory import services
from edoc.directory.models import Level, Organization
from tests.fixtures.app import bearer, csrf_token_from, signed_in
from tests.fixtures.directory_files import csv_bytes


def _three_hundred_agencies(app: Flask) -> None:
    """A province-sized directory: 300 agencies, one of them with a name full of diacritics."""
    operator = Operator.cli("test")
    with app.app_context():
        services.create_organization("000.00.00.H30", "UBND tỉnh Demo", False, operator)
        for n in range(1, 300):
            services.create_organization(
                f"{n:03d}.00.01.H30",
                "Sở Nông nghiệp và Môi trường tỉnh Demo" if n == 150 else f"Đơn vị số {n}",
                False,
                operator,
                parent_code="000.00.00.H30",
                level=Level.UNIT,
            )
        db.session.commit()


def test_the_list_page_pages_300_agencies_and_finds_one_typed_without_accents(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    _three_hundred_agencies(app)
    reader = signed_in(app, "chuyenvien")  # every signed-in user may read the directory
    page = reader.get("/directory/").get_data(as_text=True)
    assert ">300 cơ quan, tổ chức<" in page
    assert page.count('data-testid="directory-row"') == 50
    assert "Trang 1/6" in page
    assert 'href="/directory/import"' not in page  # nor offers to change it to a specialist

    found = reader.get("/directory/?q=so+nong+nghiep+moi+truong").get_data(as_text=True)
    assert found.count('data-testid="directory-row"') == 1
    assert "Sở Nông nghiệp và Môi trường tỉnh Demo" in found and "150.00.01.H30" in found
    by_code = reader.get("/directory/?q=150.00").get_data(as_text=True)
    assert by_code.count('data-testid="directory-row"') == 1
    for out_of_range, shown in (("0", "Trang 1/6"), ("999", "Trang 6/6"), ("abc", "Trang 1/6")):
        clamped = reader.get(f"/directory/?page={out_of_range}")  # clamped, not refused
        assert clamped.status_code == 200 and shown in clamped.get_data(as_text=True)

    assert reader.get("/directory/import").status_code == 403
    assert reader.get("/directory/150.00.01.H30/edit").status_code == 403
    clerk = signed_in(app, "vanthu")
    nav = clerk.get("/dashboard").get_data(as_text=True)
    assert 'href="/directory/"' in nav
    assert 'href="/directory/"' not in reader.get("/dashboard").get_data(as_text=True)


def test_the_import_page_checks_first_then_imports_on_confirmation(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    clerk = signed_in(app, "vanthu")
    token = csrf_token_from(clerk.get("/directory/import").get_data(as_text=True))
    preview = clerk.post(
        "/directory/import",
        data={"file": (io.BytesIO(csv_bytes()), "danh-ba.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert html.count('data-testid="preview-created"') == 6
    with app.app_context():
        assert db.session.scalars(select(Organization)).all() == []  # checked, not written
    stash = re.search(r'name="token" value="([^"]+)"', html)
    assert stash

    other = signed_in(app, "quantri")  # only the uploader can confirm their file
    refused = other.post(
        "/directory/import",
        data={
            "token": stash.group(1),
            "csrf_token": csrf_token_from(other.get("/directory/import").get_data(as_text=True)),
        },
    )
    assert refused.status_code == 422
    assert clerk.post("/directory/import", data={"token": stash.group(1)}).status_code == 400

    done = clerk.post(
        "/directory/import",
        data={"token": stash.group(1), "csrf_token": token},
        follow_redirects=True,
    )
    assert "thêm 6, cập nhật 0, giữ nguyên 0" in done.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Organization)).all()) == 6

    bad = clerk.post(
        "/directory/import",
        data={
            "file": (io.BytesIO(csv_bytes([("000.00.77.H30", "Sở", "000.00.88.H30")])), "x.csv"),
            "csrf_token": token,
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'data-testid="import-error"><td>2</td><td>Mã cấp trên</td>' in html
    assert "Mã cấp trên 000.00.88.H30 không có trong danh bạ." in html


def test_the_edit_page_changes_and_deactivates_an_agency(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    clerk = signed_in(app, "vanthu")
    token = csrf_token_from(clerk.get("/directory/new").get_data(as_text=True))
    wrong = clerk.post(
        "/directory/new", data={"code": "H30", "name": "Sở Y tế", "csrf_token": token}
    )
    assert wrong.status_code == 422
    assert "Mã định danh phải có dạng 000.00.00.H30" in wrong.get_data(as_text=True)
    created = clerk.post(
        "/directory/new",
        data={"code": "000.00.07.H30", "name": "Sở Y tế", "level": "province", "csrf_token": token},
    )
    assert created.status_code == 302
    edited = clerk.post(
        "/directory/000.00.07.H30/edit",
        data={
            "name": "Sở Y tế tỉnh Demo",
            "level": "province",
            "email": "syt@demo.gov.vn",
            "active": "y",
            "csrf_token": token,
        },
    )
    assert edited.status_code == 302
    clerk.post("/directory/000.00.07.H30/deactivate", data={"csrf_token": token})
    with app.app_context():
        agency = services.get_by_code("000.00.07.H30")
        assert (agency.name, agency.email, agency.active) == (
            "Sở Y tế tỉnh Demo",
            "syt@demo.gov.vn",
            False,
        )
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_type == "organization")
        ).all()
        assert actions == [
            "organization.created",
            "organization.updated",
            "organization.deactivated",
        ]
        assert services.organizations() == []  # off the recipient lists


def test_the_api_searches_reads_adds_and_changes(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    clerk, reader = bearer(client, "vanthu"), bearer(client, "chuyenvien")
    client.post(
        "/api/v1/directory/import",
        data={"file": (io.BytesIO(csv_bytes()), "danh-ba.csv")},
        headers=clerk,
        content_type="multipart/form-data",
    )
    page = client.get("/api/v1/directory?q=BINH AN&per_page=5", headers=reader).get_json()
    assert page["total"] == 1 and page["items"][0]["code"] == "000.00.31.H30"
    assert page["items"][0]["level"] == "district"
    one = client.get("/api/v1/directory/000.01.31.H30", headers=reader)
    assert one.status_code == 200 and one.get_json()["parent_code"] == "000.00.31.H30"
    assert one.get_json()["level_label"] == "Cấp xã"
    assert client.get("/api/v1/directory/000.09.31.H30", headers=reader).status_code == 404

    body = {"code": "000.02.31.H30", "name": "UBND xã An Phú", "parent_code": "000.00.31.H30"}
    assert client.post("/api/v1/directory", json=body, headers=reader).status_code == 403
    added = client.post("/api/v1/directory", json={**body, "level": "commune"}, headers=clerk)
    assert added.status_code == 201, added.get_json()
    assert client.post("/api/v1/directory", json=body, headers=clerk).status_code == 409
    orphan = {**body, "code": "000.03.31.H30", "parent_code": "000.00.99.H30"}
    refused = client.post("/api/v1/directory", json=orphan, headers=clerk)
    assert refused.status_code == 422
    assert "000.00.99.H30 không có trong danh bạ" in refused.get_json()["error"]["message"]
    malformed = client.post("/api/v1/directory", json={**body, "code": "1.2.3"}, headers=clerk)
    assert malformed.status_code == 422

    loop = client.patch(
        "/api/v1/directory/000.00.31.H30", json={"parent_code": "000.02.31.H30"}, headers=clerk
    )
    assert loop.status_code == 422  # a district under its own commune
    changed = client.patch(
        "/api/v1/directory/000.02.31.H30",
        json={"phone": "0290 3831 002", "active": False},
        headers=clerk,
    )
    assert changed.status_code == 200
    assert (changed.get_json()["phone"], changed.get_json()["active"]) == ("0290 3831 002", False)
    assert (
        client.patch(
            "/api/v1/directory/000.02.31.H30", json={"name": "x"}, headers=reader
        ).status_code
        == 403
    )
    # one API for the directory: the outgoing area's older copy of it is gone
    assert client.get("/api/v1/organizations", headers=reader).status_code == 404
    assert "/api/v1/organizations" not in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_the_send_form_groups_recipients_by_level_and_parent(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    clerk = bearer(client, "vanthu")
    client.post(
        "/api/v1/directory/import",
        data={"file": (io.BytesIO(csv_bytes()), "danh-ba.csv")},
        headers=clerk,
        content_type="multipart/form-data",
    )
    with app.app_context():
        groups = services.recipient_groups(services.organizations())
        assert [(g.label, [o.code for o in g.organizations]) for g in groups] == [
            ("Trung ương", ["000.00.00.G22"]),
            ("Cấp tỉnh", ["000.00.13.H30", "000.00.12.H30", "000.00.00.H30"]),
            ("Cấp huyện", ["000.00.31.H30"]),
            ("Cấp xã — UBND huyện Bình An", ["000.01.31.H30"]),
        ]
