"""Migration benchmark: ``edoc import-legacy`` against a plain CSV-to-table insert of the same
register, in the same run and the same database.

Writes an incoming register of N rows (UTF-8 CSV, dates as ``dd/mm/yyyy``) naming F small
distinct PDFs (each named by N/F rows: content-addressed, checked once), then

- baseline: ``csv.reader`` → ``executemany`` INSERT into a bare table, 1,000 rows a commit;
- edoc: the dry run, then the import (every row through ``incoming.receive`` with its historic
  number, its file checked, validated and stored, its ledger row, its audit entry, its search
  outbox row).

Prints rows/s of each, the ratio, and the peak RSS after each phase (the baseline runs first,
so the growth after it is edoc's).

    nice -n 10 .venv/bin/python bench/migration.py [--rows 200000] [--files 20000]
"""

from __future__ import annotations

import contextlib
import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil
from reportlab.pdfgen import canvas

from bench.common import whole_number_options

SUBJECTS = [
    "Quyết định phê duyệt kế hoạch phòng chống thiên tai",
    "Về việc tuyển dụng công chức",
    "Báo cáo tình hình thực hiện nhiệm vụ",
    "Công văn đề nghị quyết toán kinh phí",
]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and of its children, living (the validators' fork server and
    what it forked) or finished (the poppler tools): on a shared machine the wall clock says as
    much about the neighbours as about the import."""
    own = psutil.Process()
    total = _spent(own)
    for child in own.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            total += _spent(child)
    return total


def _spent(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def write_export(root: Path, rows: int, file_count: int) -> Path:
    files_dir = root / "files"
    files_dir.mkdir(parents=True)
    for index in range(file_count):  # small distinct one-page PDFs with a text layer
        drawing = canvas.Canvas(str(files_dir / f"vb-{index:06d}.pdf"), pagesize=(300, 200))
        drawing.drawString(20, 100, f"Van ban so {index}")
        drawing.save()
    register = root / "so-den.csv"
    with register.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Số đến", "Ngày đến", "Số ký hiệu", "Nơi gửi", "Trích yếu", "Tệp"])
        for index in range(rows):
            year = 2000 + index // 20000
            number = index % 20000 + 1
            writer.writerow(
                [
                    number,
                    f"{1 + number % 28:02d}/{1 + number % 12:02d}/{year}",
                    f"{number}/UBND-VP",
                    "UBND tỉnh Hà Tĩnh",
                    f"{SUBJECTS[index % len(SUBJECTS)]} số {index}",
                    f"vb-{index % file_count:06d}.pdf",
                ]
            )
    return register


def main() -> None:
    args = whole_number_options(__doc__.splitlines()[0], rows=200000, files=20000)
    with tempfile.TemporaryDirectory(
        prefix="legacy-bench-", dir=os.environ.get("TMPDIR", "/tmp")
    ) as directory:
        root = Path(directory)
        os.environ["EDOC_DATA_DIR"] = str(root / "var")
        os.environ.setdefault("EDOC_QUEUE_URL", "memory://")
        from sqlalchemy import text

        from edoc.app import create_app
        from edoc.audit.services import Operator
        from edoc.config import Settings
        from edoc.core.extensions import db
        from edoc.core.migrate import upgrade
        from edoc.demo.agency import create_demo_agency
        from edoc.legacy.services import run_import

        register = write_export(root / "export", args.rows, args.files)
        app = create_app(Settings.from_env())
        with app.app_context():
            upgrade()
            create_demo_agency("bench-password")
            db.session.commit()
            start_rss = peak_rss_mb()

            db.session.execute(
                text(
                    "CREATE TABLE plain_register (arrival_number INTEGER, arrival_date TEXT, "
                    "number_notation TEXT, sender TEXT, subject TEXT, file TEXT)"
                )
            )
            db.session.commit()
            started = time.perf_counter()
            with register.open(encoding="utf-8", newline="") as stream:
                reader = csv.reader(stream)
                next(reader)
                batch: list[dict[str, str]] = []
                for row in reader:
                    batch.append(dict(zip(("a", "b", "c", "d", "e", "f"), row, strict=True)))
                    if len(batch) == 1000:
                        db.session.execute(
                            text("INSERT INTO plain_register VALUES (:a, :b, :c, :d, :e, :f)"),
                            batch,
                        )
                        db.session.commit()
                        batch = []
                if batch:
                    db.session.execute(
                        text("INSERT INTO plain_register VALUES (:a, :b, :c, :d, :e, :f)"), batch
                    )
                    db.session.commit()
            plain_seconds = time.perf_counter() - started
            plain_rss = peak_rss_mb()

            started, dry_cpu = time.perf_counter(), cpu_seconds()
            dry = run_import(
                [register], root / "export" / "files", Operator.cli("bench"), dry_run=True
            )
            dry_seconds = time.perf_counter() - started
            dry_cpu = cpu_seconds() - dry_cpu
            dry_rss = peak_rss_mb()

            started, import_cpu = time.perf_counter(), cpu_seconds()
            report = run_import([register], root / "export" / "files", Operator.cli("bench"))
            import_seconds = time.perf_counter() - started
            import_cpu = cpu_seconds() - import_cpu
            import_rss = peak_rss_mb()

        rows = args.rows
        engine = app.config["EDOC"].database_url.split(":")[0]
        print(f"rows {rows}, files {args.files}, database {engine}")
        print(f"plain CSV → table: {rows / plain_seconds:,.0f} rows/s ({plain_seconds:.1f} s)")
        print(
            f"edoc dry run:      {rows / dry_seconds:,.0f} rows/s ({dry_seconds:.1f} s), "
            f"ready {dry.ready}; CPU {dry_cpu:.1f} s"
        )
        print(
            f"edoc import:       {rows / import_seconds:,.0f} rows/s ({import_seconds:.1f} s), "
            f"imported {report.imported}, problems {len(report.problems)}; "
            f"CPU {import_cpu:.1f} s ({rows / import_cpu:,.0f} rows per CPU second)"
        )
        print(f"ratio import/plain: {plain_seconds / import_seconds:.4f} (rows/s of edoc ÷ plain)")
        print(f"ratio dry run/plain: {plain_seconds / dry_seconds:.4f}")
        print(
            f"peak RSS: start {start_rss:.0f} MB, after plain {plain_rss:.0f} MB, "
            f"after dry run {dry_rss:.0f} MB, after import {import_rss:.0f} MB"
        )


if __name__ == "__main__":
    main()
