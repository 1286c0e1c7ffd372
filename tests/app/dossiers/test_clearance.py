"""An archive package, its download and its transfer list never hold what the archivist may not
see: they are refused whole, naming how many documents are above the clearance; the dossier
pages count only what the user may see; the CLI exports for a named archivist."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.audit.models import AuditEvent
from edoc.audit.services import Operator
from edoc.cli import cli
from edoc.core.extensions import db
from edoc.dossiers import services
from edoc.dossiers.models import DossierStatus
from edoc.dossiers.tasks import export_dir, run_export
from edoc.jobs import services as jobs
from edoc.jobs.models import Job
from edoc.users.models import Clearance, Role, User
from edoc.users.services import create_user
from tests.fixtures.app import DEMO_PASSWORD, api_token, csrf_token_from, signed_in
from tests.fixtures.documents import post_incoming
from tests.fixtures.selfsigned import blank_pdf

REFUSAL = "Có 1 văn bản trong các hồ sơ đã chọn có độ mật cao hơn quyền tiếp cận của bạn"
SECRET_SUBJECT = "Báo cáo mật về quốc phòng"


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


@pytest.fixture
def mixed_dossier(app: Flask, client: FlaskClient, demo: None) -> int:
    """A closed dossier with one ordinary and one secret (Mật) document; ``luutru`` is cleared
    for Mật, ``luutru2`` (an archivist too) is not."""
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    ordinary = post_incoming(client, clerk, blank_pdf("Thuong"), subject="Kế hoạch công tác năm")
    secret = post_incoming(client, clerk, blank_pdf("Mat"), subject=SECRET_SUBJECT, secrecy="1")
    assert secret.status_code == 201, secret.get_json()
    with app.app_context():
        create_user(
            username="luutru2",
            full_name="Vũ Thị Lan",
            password=DEMO_PASSWORD,
            roles=[Role.ARCHIVIST],
            clearance=Clearance.NONE,
            actor=Operator.cli("test: mixed_dossier"),
        )
        archivist = _user("luutru")
        dossier = services.create(
            services.DossierFields(year=2026, code="05.MAT", title="Hồ sơ có tài liệu mật"),
            archivist,
        )
        ids = [ordinary.get_json()["id"], secret.get_json()["id"]]
        services.add_documents(dossier.id, ids, archivist)
        services.close(dossier.id, archivist)
        db.session.commit()
        return dossier.id


def _lower_clearance(app: Flask, username: str) -> None:
    with app.app_context():
        _user(username).clearance = Clearance.NONE
        db.session.commit()


def test_pages_export_and_transfer_above_clearance(app: Flask, mixed_dossier: int) -> None:
    client = signed_in(app, "luutru2")
    listing = client.get("/dossiers/?year=2026").get_data(as_text=True)
    row = re.search(r"<td>05\.MAT</td>.*?</tr>", listing, re.S)
    assert row and re.findall(r"<td>(\d+)</td>", row.group(0)) == ["1"]
    detail = client.get(f"/dossiers/{mixed_dossier}").get_data(as_text=True)
    assert "1 văn bản" in detail and SECRET_SUBJECT not in detail

    token = csrf_token_from(listing)
    form = {"dossier_ids": [mixed_dossier], "csrf_token": token}
    refused = client.post("/dossiers/export", data=form, follow_redirects=True)
    assert REFUSAL in refused.get_data(as_text=True)
    transfer = client.post("/dossiers/transfer", data=form, follow_redirects=True)
    assert transfer.mimetype == "text/html"
    assert REFUSAL in transfer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Job)).all() == []
        assert services.get(mixed_dossier).status == DossierStatus.CLOSED
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "archive.export_refused")
        )
        assert event is not None and event.actor_name == "luutru2"

    cleared = signed_in(app, "luutru")
    listing = cleared.get("/dossiers/?year=2026").get_data(as_text=True)
    row = re.search(r"<td>05\.MAT</td>.*?</tr>", listing, re.S)
    assert row and re.findall(r"<td>(\d+)</td>", row.group(0)) == ["2"]


def test_export_is_checked_again_when_it_runs_and_at_download(
    app: Flask, mixed_dossier: int, tmp_path: Path
) -> None:
    client = signed_in(app, "luutru")
    token = csrf_token_from(client.get("/dossiers/?year=2026").get_data(as_text=True))
    started = client.post(
        "/dossiers/export", data={"dossier_ids": [mixed_dossier], "csrf_token": token}
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    job_id = started.headers["Location"].rsplit("/", 1)[-1]
    job_page = client.get(f"/dossiers/jobs/{job_id}").get_data(as_text=True)
    assert f"/dossiers/jobs/{job_id}/download" in job_page
    download = client.get(f"/dossiers/jobs/{job_id}/download")
    assert download.status_code == 200
    (tmp_path / "goi.zip").write_bytes(download.data)
    assert "goi-luu-tru/manifest-sha256.txt" in zipfile.ZipFile(tmp_path / "goi.zip").namelist()

    api = app.test_client()
    bearer = {"Authorization": f"Bearer {api_token(api, 'luutru')}"}
    assert api.get(f"/api/v1/jobs/{job_id}/download", headers=bearer).status_code == 200
    someone_else = {"Authorization": f"Bearer {api_token(api, 'vanthu')}"}
    other = api.get(f"/api/v1/jobs/{job_id}/download", headers=someone_else)
    assert other.status_code == 404

    _lower_clearance(app, "luutru")
    again = client.get(f"/dossiers/jobs/{job_id}/download")
    assert again.status_code == 403
    assert REFUSAL in again.get_data(as_text=True)
    through_api = api.get(f"/api/v1/jobs/{job_id}/download", headers=bearer)
    assert through_api.status_code == 403
    assert through_api.get_json()["error"]["code"] == "above_clearance"

    with app.app_context():  # queued while cleared, run after the clearance was withdrawn
        user_id = _user("luutru").id
        queued = jobs.create_job("export", {"dossier_ids": [mixed_dossier]}, user_id)
        db.session.commit()  # as the page does before queueing the task
        run_export(queued.id, [mixed_dossier], user_id)
        failed = jobs.get_job(queued.id)
        assert failed.status == "failed"
        assert REFUSAL in failed.message
        leftovers = [p.name for p in export_dir().iterdir() if p.name.startswith(queued.id)]
        assert leftovers == []


def test_cli_export_is_made_for_a_named_cleared_archivist(
    app: Flask, mixed_dossier: int, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "goi"
    base = ["export", "--dossier", "05.MAT", "--out", str(out)]
    missing = runner.invoke(cli, base)
    assert missing.exit_code == 2 and "--as" in missing.output
    for username, expected in [
        ("luutru2", f"export refused: {REFUSAL}"),
        ("chuyenvien", "export refused: Chỉ cán bộ lưu trữ được xuất gói lưu trữ."),
        ("khongco", "no such user: khongco"),
    ]:
        refused = runner.invoke(cli, [*base, "--as", username])
        assert refused.exit_code == 1, refused.output
        assert expected in refused.output
        assert not out.exists()
    done = runner.invoke(cli, [*base, "--as", "luutru"])
    assert done.exit_code == 0, done.output
    assert "exported 1 dossiers" in done.output
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "archive.exported"))
        assert event.actor_name == "luutru"
