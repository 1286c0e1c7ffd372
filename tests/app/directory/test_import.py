"""Importing the directory from a file: all rows or none, idempotent, dry run, hostile files.

Through the API (multipart, as a script or another system would send it) and the command line.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edoc.audit.models import AuditEvent
from edoc.cli import cli
from edoc.core.extensions import db
from edoc.directory.models import Organization
from tests.fixtures.app import bearer
from tests.fixtures.directory_files import HEADER, ROWS, csv_bytes, xlsx_bytes


def _import(
    client: FlaskClient, headers: dict[str, str], data: bytes, name: str, dry_run: bool = False
) -> Any:
    return client.post(
        "/api/v1/directory/import",
        data={"file": (io.BytesIO(data), name), "dry_run": "true" if dry_run else "false"},
        headers=headers,
        content_type="multipart/form-data",
    )


def _agencies(app: Flask) -> dict[str, Organization]:
    with app.app_context():
        rows = db.session.scalars(select(Organization)).all()
        db.session.expunge_all()
        return {o.code: o for o in rows}


def test_a_csv_file_is_imported_then_reimporting_it_changes_nothing(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    clerk = bearer(client, "vanthu")
    data = csv_bytes(delimiter=";", bom=True)
    first = _import(client, clerk, data, "danh-ba.csv")
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert (len(body["created"]), len(body["updated"]), body["unchanged"]) == (6, 0, 0)
    agencies = _agencies(app)
    commune = agencies["000.01.31.H30"]  # its district is listed after it in the file
    assert (commune.name, commune.parent_code, commune.level) == (
        "UBND xã An Hòa",
        "000.00.31.H30",
        "commune",
    )
    province = agencies["000.00.00.H30"]
    assert (province.level, province.email, province.phone) == (
        "province",
        "ubnd@demo.gov.vn",
        "0290 3822 001",
    )
    assert agencies["000.00.00.G22"].level == "central" and not agencies["000.00.00.G22"].internal

    again = _import(client, clerk, data, "danh-ba.csv").get_json()
    assert (len(again["created"]), len(again["updated"]), again["unchanged"]) == (0, 0, 6)

    renamed = [list(r) for r in ROWS]
    renamed[1][1] = "Sở Tài chính tỉnh Demo (mới)"
    changed = _import(client, clerk, csv_bytes(renamed), "danh-ba.csv").get_json()
    assert [(c["row"], c["code"], c["changed"]) for c in changed["updated"]] == [
        (3, "000.00.12.H30", ["Tên cơ quan"])
    ]
    assert changed["unchanged"] == 5
    with app.app_context():
        imports = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "organization.imported")
        ).all()
        assert [e.details["created"] for e in imports] == [6, 0]  # the re-import wrote nothing
        assert imports[1].details["updated_codes"] == ["000.00.12.H30"]


def test_an_xlsx_file_with_vietnamese_headings_is_imported(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    header = ("Mã định danh", "Tên cơ quan", "Mã cấp trên", "Cấp", "Địa chỉ", "Email", "Điện thoại")
    rows: list[list[object]] = [list(r) for r in ROWS]
    rows[0][6] = 2903822001  # a phone number typed as a number in Excel
    response = _import(client, bearer(client, "quantri"), xlsx_bytes(rows, header), "db.xlsx")
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["created"]) == 6
    assert _agencies(app)["000.00.00.H30"].phone == "2903822001"


def test_one_bad_row_writes_nothing_and_each_wrong_row_is_named(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][0] = "000.00.13.h3"  # malformed code on row 4
    rows[4][2] = "000.00.99.H30"  # a parent neither in the directory nor in the file (row 6)
    rows.append(["000.00.12.H30", "Trùng mã", "", "", "", "", ""])  # repeated code (row 8)
    rows.append(["000.00.40.H30", "Sở Mới", "", "cấp bộ", "", "thư@", ""])  # level, email (row 9)
    response = _import(client, bearer(client, "vanthu"), csv_bytes(rows), "sai.csv")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "directory_rows_invalid"
    assert "chưa ghi dòng nào" in error["message"]
    found = {(r["row"], r["column"]) for r in error["details"]["rows"]}
    assert found == {
        (4, "Mã định danh"),
        (6, "Mã cấp trên"),
        (8, "Mã định danh"),
        (9, "Cấp"),
        (9, "Thư điện tử"),
    }
    messages = {r["row"]: r["message"] for r in error["details"]["rows"]}
    assert "không đúng dạng 000.00.00.H30" in messages[4]
    assert "000.00.99.H30 không có trong danh bạ" in messages[6]
    assert "trùng với dòng 3" in messages[8]
    assert _agencies(app) == {}
    with app.app_context():
        assert not db.session.scalar(
            select(func.count()).where(AuditEvent.action == "organization.imported")
        )


def test_a_parent_already_in_the_directory_is_accepted(
    app: Flask, client: FlaskClient, demo: None
) -> None:
    clerk = bearer(client, "vanthu")
    assert _import(client, clerk, csv_bytes(ROWS[:1]), "tinh.csv").status_code == 200
    sở = [("000.00.07.H30", "Sở Y tế tỉnh Demo", "000.00.00.H30", "province", "", "", "")]
    response = _import(client, clerk, csv_bytes(sở), "so.csv")
    assert response.status_code == 200, response.get_json()
    assert _agencies(app)["000.00.07.H30"].parent_code == "000.00.00.H30"


def test_a_dry_run_reports_and_writes_nothing(app: Flask, client: FlaskClient, demo: None) -> None:
    clerk = bearer(client, "vanthu")
    response = _import(client, clerk, csv_bytes(), "danh-ba.csv", dry_run=True)
    assert response.status_code == 200
    body = response.get_json()
    assert body["dry_run"] is True and len(body["created"]) == 6
    assert body["created"][0] == {
        "row": 2,
        "code": "000.00.00.H30",
        "name": "UBND tỉnh Demo",
        "changed": [],
    }
    assert _agencies(app) == {}
    with app.app_context():
        assert not db.session.scalar(
            select(func.count()).where(AuditEvent.action.like("organization.%"))
        )


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_hostile_files_are_refused_cleanly(app: Flask, client: FlaskClient, demo: None) -> None:
    clerk = bearer(client, "vanthu")

    def refusal(data: bytes, name: str) -> str:
        response = _import(client, clerk, data, name)
        assert response.status_code == 422, (name, response.get_json())
        assert response.get_json()["error"]["code"] == "directory_file_invalid"
        return str(response.get_json()["error"]["message"])

    assert "không phải là bảng tính Excel" in refusal(csv_bytes(), "danh-ba.xlsx")
    assert "không phải là bảng tính Excel" in refusal(b"PK\x03\x04" + b"\0" * 100, "hong.xlsx")
    # 120 MB of sheet that deflates to ~120 KB: refused on its declared size, never inflated.
    bomb = _zip(
        {
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b" " * (120 * 1024 * 1024),
        }
    )
    assert len(bomb) < 1024 * 1024
    assert "khi giải nén lớn quá" in refusal(bomb, "bom.xlsx")
    assert "không phải là bảng tính Excel" in refusal(_zip({"word/document.xml": b"x"}), "a.xlsx")
    formula = [list(ROWS[0])]
    formula[0][1] = '=HYPERLINK("http://example.invalid","UBND")'
    assert "chứa công thức" in refusal(xlsx_bytes(formula), "congthuc.xlsx")
    assert "UTF-8" in refusal(b"ma_dinh_danh,ten\n1,S\xf5\xd2\n", "ansi.csv")  # Sở, cp1258
    assert "lớn quá 10 MB" in refusal(b"x" * (10 * 1024 * 1024 + 1), "to.csv")
    assert "ít nhất các cột" in refusal(b"code;label\n1;2\n", "cot.csv")
    assert "Chỉ nhận tệp" in refusal(b"x", "danh-ba.txt")
    assert _agencies(app) == {}


def test_only_clerks_and_admins_import(client: FlaskClient, demo: None) -> None:
    for user in ("chuyenvien", "lanhdao", "luutru"):
        response = _import(client, bearer(client, user), csv_bytes(), "danh-ba.csv")
        assert response.status_code == 403, user


def test_the_command_imports_checks_and_lists(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = tmp_path / "danh-ba.csv"
    good.write_bytes(csv_bytes())
    dry = runner.invoke(cli, ["directory", "import", str(good), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would be created 6, updated 0, unchanged 0" in dry.output
    assert _agencies(app) == {}

    done = runner.invoke(cli, ["directory", "import", str(good)])
    assert done.exit_code == 0, done.output
    assert "created 6, updated 0, unchanged 0" in done.output
    assert runner.invoke(cli, ["directory", "import", str(good)]).output.startswith(
        "created 0, updated 0, unchanged 6"
    )
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "organization.imported")
        )
        assert event is not None and event.command == "edoc directory import"

    bad = tmp_path / "sai.csv"
    bad.write_bytes(csv_bytes([("000.00.50.H30", "", "", "", "", "", "")]))
    refused = runner.invoke(cli, ["directory", "import", str(bad)])
    assert refused.exit_code == 1
    assert "dòng 2, cột «Tên cơ quan»: Cần có tên cơ quan." in refused.output

    listed = runner.invoke(cli, ["directory", "list", "uy ban huyen binh an"])
    assert listed.exit_code == 0
    assert "000.00.31.H30  UBND huyện Bình An" not in listed.output  # "UBND", not "Ủy ban"
    listed = runner.invoke(cli, ["directory", "list", "binh an"])
    assert "000.00.31.H30  UBND huyện Bình An" in listed.output
    assert listed.output.strip().endswith("1 agencies")


def test_the_header_alone_is_an_empty_import(app: Flask, tmp_path: Path) -> None:
    empty = tmp_path / "trong.csv"
    empty.write_bytes(",".join(HEADER).encode() + b"\n\n,,,\n")
    result = app.test_cli_runner().invoke(cli, ["directory", "import", str(empty)])
    assert result.exit_code == 0, result.output
    assert "created 0, updated 0, unchanged 0" in result.output
