"""``edoc import-legacy`` on an export carrying every kind of mess (tests/fixtures/
legacy_exports.py): the dry run names each problem, the import brings every good row with its
file and its historic numbers, a second run changes nothing, a changed row is reported and
corrected only with ``--update``, numbers edoc already holds are reported as clashes."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from edoc.audit.models import AuditEvent
from edoc.audit.services import Operator
from edoc.cli import cli
from edoc.core.extensions import db
from edoc.documents import files
from edoc.documents.models import Document, DocumentFile, Register
from edoc.incoming import services as incoming
from edoc.incoming.models import IncomingDocument
from edoc.legacy.models import LegacyRow
from edoc.legacy.services import Report, run_import
from edoc.outgoing import archived
from tests.fixtures.app import signed_in
from tests.fixtures.legacy_exports import Expected, LegacyExport
from tests.fixtures.pdfs import text_pdf


def _cli(app: Flask, export: LegacyExport, *extra: str) -> Result:
    args = ["import-legacy", "--files", str(export.files_dir)]
    for register in export.registers:
        args += ["--registers", str(register)]
    return app.test_cli_runner().invoke(cli, [*args, *extra])


def _run(app: Flask, export: LegacyExport, **options: Any) -> Report:
    with app.app_context():
        return run_import(export.registers, export.files_dir, Operator.cli("test"), **options)


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Document, DocumentFile, IncomingDocument, LegacyRow, AuditEvent)
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _document_for(expected: Expected) -> Document:
    row = db.session.scalar(
        select(LegacyRow).where(
            LegacyRow.source_name == expected.source, LegacyRow.row_number == expected.row
        )
    )
    assert row is not None, f"{expected.source} row {expected.row} was not imported"
    return db.session.get(Document, row.document_id)


def test_dry_run_names_every_problem_and_writes_nothing(app: Flask, export: LegacyExport) -> None:
    result = _cli(app, export, "--dry-run", "--report-dir", str(export.files_dir.parent / "r"))
    assert result.exit_code == 0, result.output
    [saved] = (export.files_dir.parent / "r").glob("*.json")
    report = json.loads(saved.read_text(encoding="utf-8"))
    found = {(p["source"], p["row"]): p["code"] for p in report["problems"]}
    assert found == export.problems
    assert report["ready"] == len(export.good)
    assert set(report["files_missing"]) == export.missing_files
    assert set(report["files_unclaimed"]) == export.unclaimed_files
    converted = {(c["source"], c["row"]): c["encoding"] for c in report["conversions"]}
    assert converted == export.converted
    assert {s["encoding"] for s in report["sources"]} == {"xlsx", "cp1258", "tcvn3"}
    assert [s["header_rows"] for s in report["sources"]] == [2, 1, 1]
    assert any("QD" in w["text"] for w in report["warnings"])
    text = (saved.with_suffix(".txt")).read_text(encoding="utf-8")
    for source, row in export.problems:
        assert f"{source}, dòng {row}:" in text and f"{source}, dòng {row}:" in result.output
    with app.app_context():
        assert _counts()["Document"] == 0 and _counts()["LegacyRow"] == 0


def test_import_brings_every_good_row_with_its_file_and_numbers_unchanged(
    app: Flask, export: LegacyExport
) -> None:
    result = _cli(app, export)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _counts()["Document"] == len(export.good)
        for expected in export.good:
            document = _document_for(expected)
            assert document.number_notation == expected.number_notation
            assert document.subject == expected.subject
            assert document.direction == expected.direction
            assert document.secrecy == expected.secrecy
            on_disk = next(
                p
                for p in export.files_dir.rglob("*")
                if p.name.lower() == Path(expected.filename).name.lower()
            )
            assert document.main_file.sha256 == _sha256(on_disk)
            if expected.signed:
                report = document.main_file.signature_report
                assert report["signatures"] and report["signatures"][0].get("signing_time")
            if expected.direction == "incoming":
                arrival = db.session.get(IncomingDocument, document.id)
                assert (arrival.arrival_number, arrival.arrival_year) == (
                    expected.arrival_number,
                    expected.year,
                )
            else:
                assert document.issued_date.year == expected.year
            audited = db.session.scalars(
                select(AuditEvent).where(
                    AuditEvent.object_type == "document",
                    AuditEvent.object_id == str(document.id),
                )
            ).all()
            # one entry, its area's own (incoming.received, outgoing.recorded), says where
            assert [(a.action, a.details["text"], a.details["legacy_row"]) for a in audited] == [
                (
                    "incoming.received"
                    if expected.direction == "incoming"
                    else "outgoing.recorded",
                    f"imported from {expected.source}, row {expected.row}",
                    expected.row,
                )
            ]
        before = _counts()
    again = _run(app, export)
    assert (again.imported, again.already_imported, again.changed) == (0, len(export.good), 0)
    with app.app_context():
        assert _counts() == before


def test_numbers_edoc_already_holds_are_clashes_never_renumbered(
    app: Flask, export: LegacyExport
) -> None:
    with app.app_context():
        path = export.files_dir.parent / "da-co.pdf"
        path.write_bytes(text_pdf("Văn bản đã có trong edoc"))
        sha256, size = files.store_path(path)
        stored = files.CheckedFile("da-co.pdf", "application/pdf", sha256, size)
        held = incoming.receive(  # the way an archive package brings a numbered arrival
            incoming.IncomingFields(
                sender_org="UBND tỉnh",
                number_notation="1/TB-X",
                doc_type="CV",
                subject="Đã có",
                received_via="paper",
                received_at=datetime(2019, 2, 2, 3, 0),
            ),
            stored,
            Operator.cli("test"),
            source=incoming.Source.PACKAGE,
            recorded_arrival=incoming.RecordedArrival(number=11),
        )
        assert (held.arrival_year, held.arrival_number) == (2019, 11)
        archived.record_issued(
            {
                "number_notation": "02/UBND-VP",
                "doc_type_code": "CV",
                "subject": "Đã có",
                "issued_date": date(2020, 1, 7),
            },
            [("main", stored)],
        )
        db.session.commit()
    report = _run(app, export)
    clashes = {(p.source, p.row) for p in report.problems if p.code == "number_clash"}
    assert clashes == {("so-den-2019.xlsx", 17), ("so-di-2020.csv", 3)}
    assert report.clashes == 2
    assert report.imported == len(export.good) - 2
    with app.app_context():
        numbers = db.session.scalars(
            select(IncomingDocument.arrival_number).where(IncomingDocument.arrival_year == 2019)
        ).all()
        assert sorted(n for n in numbers if n is not None).count(11) == 1


def test_a_changed_row_is_reported_and_corrected_only_with_update(
    app: Flask, export: LegacyExport
) -> None:
    _run(app, export)
    book = load_workbook(export.registers[0])
    book.active["F6"] = "Quyết định phê duyệt kế hoạch phòng chống thiên tai (sửa đổi)"
    book.save(export.registers[0])
    reported = _run(app, export)
    assert reported.changed == 1 and reported.updated == 0
    assert [(p.source, p.row) for p in reported.problems if p.code == "changed"] == [
        ("so-den-2019.xlsx", 6)
    ]
    first = export.good[0]
    with app.app_context():
        assert _document_for(first).subject == first.subject
    updated = _run(app, export, update=True)
    assert updated.updated == 1
    with app.app_context():
        document = _document_for(first)
        assert document.subject.endswith("(sửa đổi)")
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "document.corrected")
            )
            == 1
        )
    assert _run(app, export).changed == 0


def _provenance() -> list[tuple[str, int]]:
    """The register rows the audit log says documents were imported from."""
    return sorted(
        (details["legacy_register"], details["legacy_row"])
        for details in db.session.scalars(
            select(AuditEvent.details).where(AuditEvent.object_type == "document")
        )
        if "legacy_row" in details
    )


def test_a_stop_half_way_through_a_batch_resumes_exactly(app: Flask, export: LegacyExport) -> None:
    """The process dies in the middle of a batch's transaction (its documents already
    flushed): nothing of that batch stays, and the next run brings every row exactly once."""
    inserted = 0

    def die_at_the_sixth(*_args: object) -> None:
        nonlocal inserted
        inserted += 1
        if inserted == 6:
            raise RuntimeError("the machine stops here")

    event.listen(LegacyRow, "before_insert", die_at_the_sixth)
    try:
        with pytest.raises(RuntimeError, match="stops here"):
            _run(app, export, batch_rows=4)
    finally:
        event.remove(LegacyRow, "before_insert", die_at_the_sixth)
    with app.app_context():
        db.session.rollback()
        counts = _counts()
        assert 0 < counts["LegacyRow"] < 6  # whole batches only, the one it died in is gone
        assert counts["Document"] == counts["LegacyRow"] == len(_provenance())
    resumed = _run(app, export, batch_rows=4)
    assert resumed.imported == len(export.good) - counts["LegacyRow"]
    assert resumed.already_imported == counts["LegacyRow"]
    with app.app_context():
        assert _counts()["Document"] == _counts()["LegacyRow"] == len(export.good)
        assert _provenance() == sorted((e.source, e.row) for e in export.good)  # none doubled
        for expected in export.good:
            if expected.direction == "incoming":
                arrival = db.session.get(IncomingDocument, _document_for(expected).id)
                assert arrival.arrival_number == expected.arrival_number


def test_a_row_refused_as_it_goes_in_is_named_and_the_rest_of_its_batch_goes_in(
    app: Flask, export: LegacyExport
) -> None:
    """Its batch goes in together; when one row is refused there (no active register for
    secret arrivals), the batch is taken again row by row, and only that row is left out."""
    with app.app_context():
        secret = db.session.scalar(select(Register).where(Register.code == "DEN-MAT"))
        secret.active = False
        db.session.commit()
    report = _run(app, export, batch_rows=50)
    refused = [(p.source, p.row) for p in report.problems if p.code == "refused"]
    secret_rows = [(e.source, e.row) for e in export.good if e.secrecy]
    assert refused == secret_rows and secret_rows
    assert report.imported == len(export.good) - len(secret_rows)
    with app.app_context():
        assert _counts()["Document"] == report.imported == len(_provenance())
        db.session.scalar(select(Register).where(Register.code == "DEN-MAT")).active = True
        db.session.commit()
    again = _run(app, export, batch_rows=50)
    assert (again.imported, again.already_imported) == (len(secret_rows), report.imported)


def test_the_handling_unit_and_deadline_of_a_row_are_on_the_document_page(
    app: Flask, demo: None, export: LegacyExport
) -> None:
    """Đơn vị xử lý and Hạn xử lý make no routing (the register does not say when handling
    ended), but the clerk reads them on the page, in the note, as the register had them."""
    assert _cli(app, export).exit_code == 0
    with app.app_context():
        document_id = db.session.scalar(
            select(Document.id).where(Document.number_notation == "120/SNV-TCCB")
        )
        assert db.session.get(IncomingDocument, document_id).routings == []
    page = signed_in(app, "vanthu").get(f"/incoming/{document_id}").get_data(as_text=True)
    assert "Đơn vị xử lý: Phòng Nội vụ. Hạn xử lý: 15/01/2019." in page
