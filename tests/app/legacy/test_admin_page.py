"""The admin page: upload the registers and a ZIP of files, confirm the guessed columns, dry
run, import — each run a background job (run inline by the tests' Huey); admins only, CSRF
checked, a hostile ZIP refused with nothing left behind."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.legacy.uploads import uploads_root
from tests.fixtures.app import csrf_token_from, signed_in
from tests.fixtures.legacy_exports import LegacyExport


def _zip_of(folder: Path, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            bundle.writestr(name, data)
    return buffer.getvalue()


def _upload(admin: FlaskClient, export: LegacyExport, archive: bytes) -> object:
    token = csrf_token_from(admin.get("/admin/legacy/").get_data(as_text=True))
    return admin.post(
        "/admin/legacy/",
        data={
            "csrf_token": token,
            "registers": [(io.BytesIO(p.read_bytes()), p.name) for p in export.registers],
            "archive": (io.BytesIO(archive), "tep.zip"),
        },
        content_type="multipart/form-data",
    )


def _run(admin: FlaskClient, confirm_url: str, **form: str) -> str:
    token = csrf_token_from(admin.get(confirm_url).get_data(as_text=True))
    started = admin.post(f"{confirm_url}/run", data={"csrf_token": token, **form})
    assert started.status_code == 302, started.get_data(as_text=True)
    return admin.get(started.headers["Location"]).get_data(as_text=True)


def test_upload_confirm_dry_run_then_import(app: Flask, demo: None, export: LegacyExport) -> None:
    admin = signed_in(app, "quantri")
    page = admin.get("/admin/legacy/").get_data(as_text=True)
    assert "Chuyển dữ liệu từ hệ thống cũ" in page
    uploaded = _upload(admin, export, _zip_of(export.files_dir))
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    confirm_url = uploaded.headers["Location"]
    confirm = admin.get(confirm_url).get_data(as_text=True)
    for header in ("Văn bản đến Số đến", "Số, ký hiệu", "Trích yếu", "Nơi gửi"):
        assert header in confirm
    assert "tcvn3" in confirm and "cp1258" in confirm

    report = _run(admin, confirm_url, mode="dry")
    assert "Hoàn thành" in report and "KIỂM TRA TRƯỚC" in report
    for source, row in export.problems:
        assert f"{source}, dòng {row}:" in report
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0

    refused = admin.post(
        f"{confirm_url}/run",
        data={"csrf_token": csrf_token_from(confirm), "mode": "import"},
    )
    assert refused.status_code == 302 and refused.headers["Location"].endswith(confirm_url)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0

    done = _run(admin, confirm_url, mode="import", mapping_confirmed="yes")
    imported = int(re.search(r"Đã nhập lần này: (\d+)", done).group(1))
    secret = [e for e in export.good if e.secrecy]  # the admin is not cleared for them
    assert imported == len(export.good) - len(secret)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == imported


def test_only_admins_and_only_with_csrf(app: Flask, demo: None, export: LegacyExport) -> None:
    clerk = signed_in(app, "vanthu")
    assert clerk.get("/admin/legacy/").status_code == 403
    admin = signed_in(app, "quantri")
    forged = admin.post(
        "/admin/legacy/",
        data={"registers": [(io.BytesIO(export.registers[1].read_bytes()), "so.csv")]},
        content_type="multipart/form-data",
    )
    assert forged.status_code == 400
    assert not uploads_root(app.config["EDOC"].data_dir).exists() or not any(
        uploads_root(app.config["EDOC"].data_dir).iterdir()
    )


def test_a_zip_that_climbs_out_is_refused_and_leaves_nothing(
    app: Flask, demo: None, export: LegacyExport
) -> None:
    admin = signed_in(app, "quantri")
    hostile = _zip_of(export.files_dir, {"../../thoat-ra.pdf": b"%PDF-1.4"})
    refused = _upload(admin, export, hostile)
    assert refused.status_code == 422
    assert "ra ngoài thư mục" in refused.get_data(as_text=True)
    root = uploads_root(app.config["EDOC"].data_dir)
    assert not any(root.iterdir())
    assert not (app.config["EDOC"].data_dir.parent / "thoat-ra.pdf").exists()
