"""A real ``edoc import-legacy`` process killed half-way, then run again, ends as one
uninterrupted run; imported documents are found by accent-free words and by their old numbers
however they are spelt."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select

from edoc.audit.models import AuditEvent
from edoc.audit.services import Operator
from edoc.core.extensions import db
from edoc.documents.models import Document, DocumentFile
from edoc.legacy.models import LegacyRow
from edoc.legacy.services import run_import
from edoc.search.indexing import drain
from edoc.search.services import SearchParams, search_documents
from edoc.users.models import User
from tests.fixtures.legacy_exports import LegacyExport

REPO = Path(__file__).resolve().parents[3]


def _environment(app: Flask) -> dict[str, str]:
    settings = app.config["EDOC"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EDOC_", "FLASK_"))}
    env.update(
        EDOC_DATA_DIR=str(settings.data_dir),
        EDOC_DATABASE_URL=settings.database_url,
        EDOC_STORAGE_URL=settings.storage_url,
        EDOC_SEARCH_URL=settings.search_url,
        EDOC_SECRET_KEY=settings.secret_key,
        EDOC_QUEUE_URL="memory://",
        PYTHONPATH=str(REPO),
    )
    return env


def _imported() -> int:
    count = db.session.scalar(select(func.count()).select_from(LegacyRow))
    db.session.rollback()  # a fresh read each time: the other process is committing
    return count or 0


def _state() -> list[tuple[object, ...]]:
    """Everything the import leaves, in an order that does not depend on when it ran."""
    rows = db.session.execute(
        select(
            LegacyRow.key,
            LegacyRow.source_name,
            LegacyRow.row_number,
            Document.number_notation,
            Document.subject,
            DocumentFile.sha256,
        )
        .join(Document, Document.id == LegacyRow.document_id)
        .join(DocumentFile, DocumentFile.document_id == Document.id)
        .order_by(LegacyRow.key)
    )
    return [tuple(r) for r in rows]


def test_a_run_killed_half_way_and_restarted_ends_as_one_uninterrupted_run(
    app: Flask, export: LegacyExport, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "edoc.cli", "import-legacy", "--batch", "1"]
    command += ["--files", str(export.files_dir), "--report-dir", str(tmp_path / "r")]
    for register in export.registers:
        command += ["--registers", str(register)]
    process = subprocess.Popen(
        command, env=_environment(app), cwd=REPO, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    with app.app_context():
        deadline = time.monotonic() + 300
        while _imported() < 3 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGKILL)
        output = process.communicate()[0].decode()
        assert process.returncode == -signal.SIGKILL, output  # killed, not finished
        half = _imported()
        assert 3 <= half < len(export.good), output
    finished = subprocess.run(command, env=_environment(app), cwd=REPO, capture_output=True)
    assert finished.returncode == 0, finished.stdout.decode() + finished.stderr.decode()
    with app.app_context():
        resumed = _state()
        audits = sum(
            1
            for details in db.session.scalars(
                select(AuditEvent.details).where(AuditEvent.object_type == "document")
            )
            if str(details.get("text", "")).startswith("imported from ")
        )
        documents = db.session.scalar(select(func.count()).select_from(Document))
    assert documents == audits == len(resumed) == len(export.good)
    again = run_import_in(app, export)
    assert again == (0, len(export.good))
    with app.app_context():
        db.session.execute(LegacyRow.__table__.delete())
        db.session.execute(DocumentFile.__table__.delete())
        db.session.execute(Document.__table__.delete())
        db.session.commit()
    assert run_import_in(app, export)[0] == len(export.good)  # the uninterrupted run
    with app.app_context():
        assert _state() == resumed


def run_import_in(app: Flask, export: LegacyExport) -> tuple[int, int]:
    with app.app_context():
        report = run_import(export.registers, export.files_dir, Operator.cli("test"))
    return report.imported, report.already_imported


QUERIES = [
    ("phong chong thien tai", "15/QĐ-UBND"),  # accent-free words
    ("tuyen dung cong chuc", "120/SNV-TCCB"),
    ("sua chua truong hoc", "25/UBND-KT"),  # converted from TCVN3
    ("de nghi quyet toan kinh phi", "33/STC-QLNS"),  # converted from VNI
    ("15/QD-UBND", "15/QĐ-UBND"),  # old numbers in any spelling
    ("07/QĐ-UBND", "07/QD-UBND"),
    ("03/qd-ubnd", "03/QD-UBND"),
    ("120 / snv - tccb", "120/SNV-TCCB"),
]


def test_search_finds_imported_documents_by_plain_words_and_old_numbers(
    app: Flask, demo: None, export: LegacyExport
) -> None:
    run_import_in(app, export)
    with app.app_context():
        while drain():
            pass
        clerk = db.session.scalar(select(User).where(User.username == "vanthu"))
        missed = [
            (query, expected)
            for query, expected in QUERIES
            if expected
            not in [
                r.document.number_notation
                for r in search_documents(clerk, SearchParams(q=query)).rows
            ]
        ]
        assert missed == []
