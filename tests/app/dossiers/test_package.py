"""Dossiers and archive packages: export, verify, tamper, and the bagit library's own check."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import bagit
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.cli import cli
from edoc.core.clock import local_day_start_utc, set_clock
from edoc.core.extensions import db
from edoc.dossiers import services
from edoc.dossiers.models import DossierStatus
from edoc.users.models import User
from tests.fixtures.app import other_installation
from tests.fixtures.documents import export_dossier, import_package
from tests.fixtures.pdfs import pdf_text
from tests.fixtures.signatures import good_report


def _verify(app: Flask, path: Path) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(cli, ["verify-package", str(path)])
    return result.exit_code, result.output


def test_close_records_dates_and_pages(app: Flask, closed_dossier: int) -> None:
    with app.app_context():
        dossier = services.get(closed_dossier)
        assert dossier.status == DossierStatus.CLOSED
        assert dossier.page_count == 2
        assert [e.ordinal for e in dossier.entries] == [1, 2]
        assert dossier.start_date is not None and dossier.start_date <= dossier.end_date


def test_export_verifies_and_is_a_valid_bag(
    app: Flask, closed_dossier: int, tmp_path: Path
) -> None:
    out = tmp_path / "goi"
    export_dossier(app, "05.TH", out)
    assert _verify(app, out) == (0, "package intact\n")
    bag = bagit.Bag(str(out))
    bag.validate()  # the reference implementation agrees
    assert set(bag.algorithms) >= {"sha256", "sha512"}
    folder = out / "data" / "000.00.00.H30.2026.05.TH"
    metadata = (folder / "001" / "van-ban.xml").read_text(encoding="utf-8")
    assert "<Subject>Về việc báo cáo tình hình bão lũ</Subject>" in metadata
    assert "<FileCode>000.00.00.H30.2026.05.TH</FileCode>" in metadata
    assert "<ArrivalNumber>1</ArrivalNumber>" in metadata
    assert json.loads((folder / "001" / "chu-ky.json").read_text())["verdict"] == "not_checked"
    report_pdf = "data/000.00.00.H30.2026.05.TH/001/chu-ky.pdf"
    for alg in ("sha256", "sha512"):
        listed = (out / f"manifest-{alg}.txt").read_text(encoding="utf-8")
        digest = hashlib.new(alg, (out / report_pdf).read_bytes()).hexdigest()
        assert f"{digest}  {report_pdf}\n" in listed
    assert 'xlink:href="000.00.00.H30.2026.05.TH/001/chu-ky.pdf"' in (
        out / "data" / "METS.xml"
    ).read_text(encoding="utf-8")
    text = pdf_text((out / report_pdf).read_bytes(), layout=True)
    assert "BÁO CÁO KIỂM TRA CHỮ KÝ SỐ" in text
    assert "KẾT LUẬN: Không kiểm tra chữ ký số" in text
    assert "Về việc báo cáo tình hình bão lũ" in text
    with app.app_context():
        stored = services.get(closed_dossier).entries[0].document.main_file.sha256
    assert (
        hashlib.sha256((folder / "001" / "tep" / "01-main.pdf").read_bytes()).hexdigest() == stored
    )
    assert 'CHECKSUMTYPE="SHA-256"' in (out / "data" / "METS.xml").read_text()
    assert "Hồ sơ phòng chống thiên tai năm 2026" in (out / "data" / "muc-luc.csv").read_text()


def test_a_flipped_byte_is_named(app: Flask, closed_dossier: int, tmp_path: Path) -> None:
    out = tmp_path / "goi"
    export_dossier(app, "05.TH", out)
    target = out / "data" / "000.00.00.H30.2026.05.TH" / "002" / "tep" / "01-main.pdf"
    data = bytearray(target.read_bytes())
    data[20] ^= 0x01
    target.write_bytes(bytes(data))
    code, output = _verify(app, out)
    assert code == 1
    assert "002/tep/01-main.pdf: sha256 mismatch" in output
    with pytest.raises(bagit.BagValidationError, match=r"01-main\.pdf"):
        bagit.Bag(str(out)).validate()


def test_a_deleted_file_is_named(app: Flask, closed_dossier: int, tmp_path: Path) -> None:
    out = tmp_path / "goi"
    export_dossier(app, "05.TH", out)
    (out / "data" / "000.00.00.H30.2026.05.TH" / "001" / "van-ban.xml").unlink()
    code, output = _verify(app, out)
    assert code == 1
    assert "001/van-ban.xml: listed in the manifest but missing" in output
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(out)).validate()


def test_open_dossiers_refuse_nothing_but_closed_refuse_more(
    app: Flask, closed_dossier: int
) -> None:
    with app.app_context():
        archivist = db.session.scalar(select(User).where(User.username == "luutru"))
        with pytest.raises(services.Conflict):
            services.add_documents(closed_dossier, [1], archivist)
        with pytest.raises(services.Conflict):
            services.create(
                services.DossierFields(year=2026, code="05.TH", title="Trùng"), archivist
            )
        assert services.copy_list(2026, 2027, archivist) == 1
        copy = services.by_code(2027, "05.TH")
        assert copy.status == DossierStatus.OPEN and copy.entries == []


def test_export_job_through_the_web(
    app: Flask, client: FlaskClient, closed_dossier: int, tmp_path: Path
) -> None:
    import io
    import zipfile

    from tests.fixtures.app import csrf_token_from, login

    login(client, "luutru")
    page = client.get("/dossiers/?year=2026").get_data(as_text=True)
    assert "Hồ sơ phòng chống thiên tai năm 2026" in page
    started = client.post(
        "/dossiers/export",
        data={"dossier_ids": [closed_dossier], "csrf_token": csrf_token_from(page)},
    )
    assert started.status_code == 302
    job_id = started.headers["Location"].rsplit("/", 1)[-1]
    job = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert (job["status"], job["percent"], job["done"], job["total"]) == ("done", 100, 2, 2)
    download = client.get(f"/api/v1/jobs/{job_id}/download")
    assert download.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert "goi-luu-tru/manifest-sha512.txt" in names
    zipfile.ZipFile(io.BytesIO(download.data)).extractall(tmp_path)
    code, output = _verify(app, tmp_path / "goi-luu-tru")
    assert code == 0, output
    other = app.test_client()
    login(other, "vanthu")
    assert other.get(f"/api/v1/jobs/{job_id}").status_code == 404


def test_export_import_export_gives_the_same_manifests(
    app: Flask, closed_dossier: int, tmp_path: Path
) -> None:
    first = tmp_path / "lan-1"
    export_dossier(app, "05.TH", first)
    other = other_installation(tmp_path, "khac")
    result = import_package(other, first)
    assert "imported 1 dossiers, 2 documents" in result.output
    second = tmp_path / "lan-2"
    with other.app_context():
        from edoc.demo.agency import create_demo_agency

        create_demo_agency("mat-khau-khac")
    export_dossier(other, "05.TH", second)
    for name in ("manifest-sha256.txt", "manifest-sha512.txt"):
        assert (second / name).read_text() == (first / name).read_text()
        assert "/001/chu-ky.pdf" in (second / name).read_text()
    report_pdf = "data/000.00.00.H30.2026.05.TH/002/chu-ky.pdf"
    assert (second / report_pdf).read_bytes() == (first / report_pdf).read_bytes()
    assert (second / "data" / "METS.xml").read_bytes() == (first / "data" / "METS.xml").read_bytes()
    again = other.test_cli_runner().invoke(cli, ["import-package", str(first)])
    assert again.exit_code == 1
    assert "đã có trong hệ thống" in again.output


def test_a_tampered_package_is_not_imported(
    app: Flask, closed_dossier: int, tmp_path: Path
) -> None:
    out = tmp_path / "goi"
    export_dossier(app, "05.TH", out)
    (out / "data" / "muc-luc.csv").write_text("sửa đổi")
    result = app.test_cli_runner().invoke(cli, ["import-package", str(out)])
    assert result.exit_code == 1
    assert "muc-luc.csv: sha256 mismatch" in result.output


def test_retention_hold_and_recorded_disposal(app: Flask, closed_dossier: int) -> None:
    from datetime import date, timedelta

    from edoc.audit.models import AuditEvent

    with app.app_context():
        archivist = db.session.scalar(select(User).where(User.username == "luutru"))
        dossier = services.get(closed_dossier)
        ends = dossier.retention_ends
        assert ends == dossier.end_date.replace(year=dossier.end_date.year + 10)
        before, after = ends - timedelta(days=1), ends + timedelta(days=1)
        with set_clock(local_day_start_utc(before)):
            assert services.due_for_appraisal() == []
            with pytest.raises(services.Conflict, match="chưa hết thời hạn"):
                services.dispose(closed_dossier, "QĐ số 12/QĐ-UBND", archivist)
        with set_clock(local_day_start_utc(after)):
            assert [d.id for d in services.due_for_appraisal()] == [closed_dossier]
            services.set_legal_hold(
                closed_dossier, True, "Phục vụ thanh tra theo QĐ 45/QĐ-TTr", archivist
            )
            with pytest.raises(services.Conflict, match="phong tỏa"):
                services.dispose(closed_dossier, "QĐ số 12/QĐ-UBND", archivist)
            services.set_legal_hold(closed_dossier, False, "", archivist)
            disposed = services.dispose(
                closed_dossier, "QĐ số 12/QĐ-UBND ngày 01/02/2037", archivist
            )
        assert disposed.status == DossierStatus.DISPOSED
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert event.action == "dossier.disposed"
        assert event.details["decision"] == "QĐ số 12/QĐ-UBND ngày 01/02/2037"
        assert len(event.details["documents"]) == 2
        assert date.today() < after  # the retention is decades away in real time


def test_transfer_prints_the_list(
    app: Flask, client: FlaskClient, closed_dossier: int, tmp_path: Path
) -> None:
    from tests.fixtures.app import csrf_token_from, login

    login(client, "luutru")
    token = csrf_token_from(client.get("/dossiers/?year=2026").get_data(as_text=True))
    response = client.post(
        "/dossiers/transfer", data={"dossier_ids": [closed_dossier], "csrf_token": token}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data, layout=True)
    assert "MỤC LỤC HỒ SƠ, TÀI LIỆU NỘP LƯU" in text
    assert "Hồ sơ phòng chống thiên tai năm 2026" in text
    with app.app_context():
        assert services.get(closed_dossier).status == DossierStatus.TRANSFERRED
    again = client.post(
        "/dossiers/transfer", data={"dossier_ids": [closed_dossier], "csrf_token": token}
    )
    assert again.status_code == 302  # already transferred: refused with a message


def test_signature_report_pdf_reads_in_vietnamese_and_is_deterministic(
    app: Flask, tmp_path: Path
) -> None:
    """chu-ky.pdf for a signed document: the wording of edoc verify-pdf, the dates of the report."""
    from edoc.reports.signature import render_report_pdf

    report = good_report(
        "Signature1",
        "2026-03-05T02:10:00+00:00",
        signer_name="Nguyễn Văn An",
        signer_subject="CN=Nguyễn Văn An, O=UBND tỉnh Demo",
        signing_time="2026-03-05T01:00:00+00:00",
        modification_level="FORM_FILLING",
        pades_level="B-T",
    ).to_dict()
    heading = [("Mã hồ sơ", "000.00.00.H30.2026.05.TH"), ("Trích yếu", "Về việc <thử> & kiểm")]
    with app.app_context():
        first, second = render_report_pdf(report, heading), render_report_pdf(report, heading)
    assert first == second
    (tmp_path / "chu-ky.pdf").write_bytes(first)
    text = pdf_text(first, layout=True)
    assert "KẾT LUẬN: Tất cả chữ ký số hợp lệ, toàn vẹn và tin cậy." in text
    assert "Chữ ký 1: Nguyễn Văn An" in text
    assert "Thay đổi sau khi ký: điền biểu mẫu (được phép)" in text
    assert "Thời điểm kiểm tra: 05/03/2026 09:10:00 (+07:00)" in text
    assert "Về việc <thử> & kiểm" in text
    info = subprocess.run(
        ["pdfinfo", "-isodates", str(tmp_path / "chu-ky.pdf")], capture_output=True, text=True
    ).stdout
    assert re.search(r"CreationDate:\s+2026-03-05T02:10:00(Z|\+00)", info), info
    assert re.search(r"Page size:.*\(A4\)", info)
