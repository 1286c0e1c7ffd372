"""Bringing an old system's registers and files into edoc: the dry run, then the import.

Every row is read, checked and planned the same way in both (:func:`plan_rows`); the dry run
only reports, the import then brings each ready row through its area's one way in
(:func:`edoc.incoming.services.receive` with the recorded arrival number,
:func:`edoc.outgoing.archived.record_historic` with the issued number), so the same field
checks, signature checks, audit entries and search indexing apply as to any document.

Resumable and idempotent: a row's document and its :class:`LegacyRow` are written in the same
transaction, a batch of rows per transaction, and the ledger is read before anything is done,
so a run stopped at any point and started again finishes the work, and a run on what is
already imported changes nothing. Files are checked and stored before each batch's
transaction opens (content-addressed: storing one twice stores it once), their signatures
validated by one long-lived bounded child for the run rather than a child per file. Each row
is audited once, by its area's own entry (``incoming.received``, ``outgoing.recorded``), which
names the register and the row it came from. The incoming rows of a batch go in together
(``incoming.receive_many``: one flush, one append to the audit chain); when one is refused
there, the batch is taken again row by row so the refused row is named and the rest go in.
Memory stays bounded: rows stream from the register; only the set of numbers seen in this run
is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from edoc.audit.services import Actor
from edoc.core.atomic import write_atomically
from edoc.core.clock import local_day_start_utc, local_today, utcnow
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.documents import files, records
from edoc.documents.agency import agency_name
from edoc.documents.models import Direction, Document, DocumentType, Register
from edoc.incoming import services as incoming
from edoc.incoming.models import IncomingStatus, ReceivedVia
from edoc.legacy.models import LegacyRow
from edoc.legacy.reading import (
    SECRECY_WORDS,
    URGENCY_WORDS,
    Mapping,
    RawRow,
    RegisterError,
    ValueProblem,
    file_names,
    fold,
    load_mapping_file,
    number_key,
    parse_date,
    parse_int,
    parse_level,
    read_register,
)
from edoc.outgoing import archived
from signing.validation import Validator

BATCH_ROWS = 50  # rows per transaction: short transactions, little lost if stopped
CHECKED_FILES_KEPT = 4096  # a file named by several rows is checked once (bounded memory)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff"}
ACCEPTED_SUFFIXES = {".pdf", *IMAGE_SUFFIXES}

PROBLEM_TEXT = {
    "duplicate_row": "dòng lặp lại nguyên văn dòng {other}",
    "duplicate_number": "trùng số với dòng {other} (cùng số, khác nội dung hoặc cách viết)",
    "file_missing": "tệp {name} không có trong thư mục tệp",
    "no_file": "dòng không ghi tệp nào",
    "file_outside": "đường dẫn tệp {name} ra ngoài thư mục tệp",
    "file_type": "tệp {name} không phải PDF hay ảnh quét",
    "file_rejected": "tệp {name} bị từ chối: {reason}",
    "bad_value": "{reason}",
    "subject_missing": "thiếu trích yếu",
    "sender_missing": "thiếu cơ quan ban hành / nơi gửi",
    "arrival_number_missing": "thiếu số đến",
    "arrival_date_missing": "thiếu ngày đến",
    "number_missing": "thiếu số, ký hiệu",
    "future_date": "ngày văn bản ở tương lai",
    "number_clash": "số đã có trong edoc: {what} (văn bản #{document})",
    "changed": "dòng đã nhập trước đây (văn bản #{document}) nay có nội dung khác",
    "refused": "không nhập được: {reason}",
}


@dataclass
class Problem:
    source: str
    row: int
    code: str
    message: str
    name: str = ""  # the file it is about, when it is about one


@dataclass
class PlannedRow:
    """A register row checked and ready (or not), with what the import will record."""

    source: str
    source_sha256: str
    row: int
    direction: str
    key: str
    fields: dict[str, Any]
    paths: list[Path]
    row_hash: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ledger: LegacyRowState | None = None

    @property
    def ready(self) -> bool:
        return not self.problems and self.ledger is None


@dataclass(frozen=True)
class LegacyRowState:
    document_id: int
    row_hash: str


@dataclass
class Report:
    """What a dry run found, or what an import did (saved as JSON and as text)."""

    dry_run: bool
    sources: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    ready: int = 0
    imported: int = 0
    already_imported: int = 0
    changed: int = 0
    updated: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    conversions: list[dict[str, Any]] = field(default_factory=list)
    files_matched: int = 0
    files_missing: list[str] = field(default_factory=list)
    files_unclaimed: list[str] = field(default_factory=list)
    clashes: int = 0
    signatures: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def problem_codes(self) -> dict[tuple[str, int], str]:
        return {(p.source, p.row): p.code for p in self.problems}

    def readable(self) -> str:
        lines = [
            "BÁO CÁO " + ("KIỂM TRA TRƯỚC (không ghi gì)" if self.dry_run else "NHẬP DỮ LIỆU CŨ"),
            "",
        ]
        for source in self.sources:
            lines.append(
                f"Sổ {source['name']}: {source['direction_label']}, mã hóa {source['encoding']}, "
                f"tiêu đề {source['header_rows']} dòng"
            )
            for column in source["mapping"]:
                lines.append(f"    cột {column['column']} “{column['header']}” → {column['label']}")
        lines += [
            "",
            f"Số dòng đã đọc: {self.rows_read}",
            f"Sẵn sàng nhập: {self.ready}",
            f"Đã nhập lần này: {self.imported}",
            f"Đã nhập từ trước (bỏ qua): {self.already_imported}",
            f"Dòng đã đổi so với lần nhập trước: {self.changed} (đã cập nhật: {self.updated})",
            f"Dòng có vấn đề: {len({(p.source, p.row) for p in self.problems})}",
            f"Trùng số với văn bản đã có trong edoc: {self.clashes}",
            f"Tệp khớp: {self.files_matched}; thiếu: {len(self.files_missing)}; "
            f"không dòng nào nhắc đến: {len(self.files_unclaimed)}",
            f"Chữ ký số: {self.signatures or '—'}",
        ]
        if self.problems:
            lines += ["", "VẤN ĐỀ (sổ, dòng: lý do)"]
            lines += [f"  {p.source}, dòng {p.row}: {p.message} [{p.code}]" for p in self.problems]
        if self.warnings:
            lines += ["", "LƯU Ý"]
            lines += [f"  {w['source']}, dòng {w['row']}: {w['text']}" for w in self.warnings]
        if self.conversions:
            lines += ["", "CHUYỂN MÃ SANG UNICODE (TCVN3/VNI)"]
            lines += [
                f"  {c['source']}, dòng {c['row']} ({c['encoding']}): “{c['before']}” → "
                f"“{c['after']}”"
                for c in self.conversions
            ]
        if self.files_missing:
            lines += ["", "TỆP THIẾU"] + [f"  {name}" for name in self.files_missing]
        if self.files_unclaimed:
            lines += ["", "TỆP KHÔNG DÒNG NÀO NHẮC ĐẾN"]
            lines += [f"  {name}" for name in self.files_unclaimed]
        return "\n".join(lines) + "\n"

    def save(self, directory: Path, name: str = "") -> tuple[Path, Path]:
        """Write the report as JSON and text; ``name`` (a job's) instead of the time makes a
        second save of the same run replace the first whole, not add a report."""
        directory.mkdir(parents=True, exist_ok=True)
        stamp = name or utcnow().strftime("%Y%m%d-%H%M%S-%f")
        kind = "kiem-tra" if self.dry_run else "nhap"
        json_path = directory / f"bao-cao-{kind}-{stamp}.json"
        text_path = json_path.with_suffix(".txt")
        write_atomically(
            json_path,
            json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=str).encode(),
        )
        write_atomically(text_path, self.readable().encode())
        return json_path, text_path


class FileIndex:
    """The files folder, walked once: a register names a file however its case or its
    Unicode form was written; every file claimed is counted, the rest are reported."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._by_key: dict[str, str] = {}
        self.claimed: set[str] = set()
        for directory, _subdirs, names in os.walk(self.root):
            for name in names:
                relative = (Path(directory) / name).relative_to(self.root).as_posix()
                self._by_key[self._key(relative)] = relative

    @staticmethod
    def _key(name: str) -> str:
        return unicodedata.normalize("NFC", name.replace("\\", "/")).strip().casefold()

    def find(self, name: str) -> tuple[str, Path | None]:
        """``("ok", path)``, ``("outside", None)`` or ``("missing", None)``."""
        cleaned = name.replace("\\", "/").strip()
        parts = [p for p in cleaned.split("/") if p not in ("", ".")]
        if cleaned.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
            return "outside", None
        relative = self._by_key.get(self._key("/".join(parts)))
        if relative is None:
            return "missing", None
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or path.is_symlink():
            return "outside", None
        self.claimed.add(relative)
        return "ok", path

    def unclaimed(self) -> list[str]:
        return sorted(set(self._by_key.values()) - self.claimed)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Context:
    """What one run knows beyond the row at hand: types, numbers already in edoc, the
    numbers seen so far in this run, and the ledger."""

    def __init__(self, files_index: FileIndex) -> None:
        self.files = files_index
        # Held for the run: ``incoming.receive`` looks each row's type up by key, and a type
        # still in the session is refreshed once a batch rather than fetched once a row.
        self.type_rows = list(db.session.scalars(select(DocumentType)))
        self.types = {fold(t.abbreviation or t.code).upper(): t.code for t in self.type_rows}
        self.type_names = {fold(t.name): t.code for t in self.type_rows}
        self.registers = {
            r.code: r.id
            for r in db.session.scalars(
                select(Register).where(Register.direction == Direction.INCOMING)
            )
        }
        self.seen: dict[str, tuple[str, int, str]] = {}  # key → (source, row, row hash)
        self.outgoing_keys = self._outgoing_keys()

    def _outgoing_keys(self) -> dict[str, int]:
        """Outgoing numbers already in edoc, by year and spelling-free key (a few thousand a
        year at most: kept in memory for the run)."""
        keys: dict[str, int] = {}
        rows = db.session.execute(
            select(Document.id, Document.number_notation, Document.issued_date).where(
                Document.direction == Direction.OUTGOING, Document.number_notation != ""
            )
        )
        for document_id, notation, issued in rows:
            year = issued.year if issued else 0
            keys[f"out:{year}:{number_key(notation)}"] = document_id
        return keys

    def doc_type(self, notation: str, named: str) -> str:
        if named:
            code = self.type_names.get(fold(named)) or self.types.get(fold(named).upper())
            if code:
                return code
        after_number = notation.split("/", 1)[1] if "/" in notation else ""
        abbreviation = fold(after_number.split("-", 1)[0]).upper().strip()
        return self.types.get(abbreviation, "CV") if abbreviation else "CV"


def _row_hash(fields: dict[str, Any], names: list[str]) -> str:
    canonical = json.dumps(
        {"fields": fields, "files": names}, sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plan(
    raw: RawRow, mapping: Mapping, source: str, source_sha256: str, context: _Context
) -> PlannedRow:
    problems: list[Problem] = []
    warnings: list[str] = []

    def problem(code: str, **values: Any) -> None:
        text = PROBLEM_TEXT[code].format(**values)
        problems.append(Problem(source, raw.number, code, text, str(values.get("name", ""))))

    def value(reader: Callable[[], Any], default: Any = None) -> Any:
        try:
            return reader()
        except ValueProblem as error:
            problem("bad_value", reason=str(error))
            return default

    notation = " ".join(raw.text("number_notation").split())
    subject = " ".join(raw.text("subject").split())
    fields: dict[str, Any] = {
        "number_notation": notation,
        "subject": subject,
        "issuer_org": " ".join(raw.text("issuer_org").split()),
        "signer_name": " ".join(raw.text("signer_name").split()),
        "issued_date": value(lambda: parse_date(raw.values.get("issued_date"))),
        "urgency": value(
            lambda: parse_level(raw.values.get("urgency"), URGENCY_WORDS, "Độ khẩn"), 0
        ),
        "secrecy": value(
            lambda: parse_level(raw.values.get("secrecy"), SECRECY_WORDS, "Độ mật"), 0
        ),
        "doc_type_code": context.doc_type(notation, raw.text("doc_type")),
        "handling_unit": raw.text("handling_unit"),
        "deadline": value(lambda: parse_date(raw.values.get("deadline"))),
        "recipients": raw.text("recipients"),
    }
    if not subject:
        problem("subject_missing")
    if fields["issued_date"] and fields["issued_date"] > local_today():
        problem("future_date")
    if "QD" in fold(notation).upper().replace("/", " ").replace("-", " ").split():
        warnings.append(f"số “{notation}” viết QD (không có Đ): giữ nguyên như trong sổ cũ")
    if mapping.direction == "incoming":
        number = value(lambda: parse_int(raw.values.get("arrival_number"), "Số đến"))
        arrival = value(lambda: parse_date(raw.values.get("arrival_date")))
        fields["arrival_number"] = number
        fields["arrival_date"] = arrival
        if number is None and not any(p.code == "bad_value" for p in problems):
            problem("arrival_number_missing")
        if arrival is None and raw.values.get("arrival_date") in (None, ""):
            problem("arrival_date_missing")
        if not fields["issuer_org"]:
            problem("sender_missing")
        register = "DEN-MAT" if (fields["secrecy"] or 0) > 0 else "DEN"
        key = f"in:{register}:{arrival.year if arrival else 0}:{number}"
    else:
        if not notation:
            problem("number_missing")
        fields["issuer_org"] = fields["issuer_org"] or agency_name()
        year = fields["issued_date"].year if fields["issued_date"] else 0
        key = f"out:{year}:{number_key(notation)}"
    names = file_names(raw.values.get("files"))
    paths: list[Path] = []
    if not names:
        problem("no_file")
    for name in names:
        found, path = context.files.find(name)
        if found == "outside":
            problem("file_outside", name=name)
        elif found == "missing":
            problem("file_missing", name=name)
        elif path is not None and path.suffix.lower() not in ACCEPTED_SUFFIXES:
            problem("file_type", name=name)
        elif path is not None:
            paths.append(path)
    row_hash = _row_hash(fields, names)
    earlier = context.seen.get(key)
    if earlier is not None and not problems:
        code = "duplicate_row" if earlier[2] == row_hash else "duplicate_number"
        problem(
            code, other=earlier[1] if earlier[0] == source else f"{earlier[1]} của {earlier[0]}"
        )
    elif not problems:
        context.seen[key] = (source, raw.number, row_hash)
    return PlannedRow(
        source, source_sha256, raw.number, mapping.direction, key, fields, paths, row_hash,
        problems, warnings,
    )  # fmt: skip


def _check_ledger_and_clashes(batch: list[PlannedRow], context: _Context) -> None:
    """Mark rows already imported (unchanged or changed) and rows whose number edoc holds.

    Two queries a batch, whatever its size: the ledger by key, and the arrival numbers the
    batch's incoming rows would take (``incoming.receive`` checks each row again as it goes in).
    """
    keys = [row.key for row in batch if not row.problems]
    ledger = {
        row.key: LegacyRowState(row.document_id, row.row_hash)
        for row in db.session.scalars(select(LegacyRow).where(LegacyRow.key.in_(keys)))
    }
    arrivals = incoming.arrivals_taken(
        [
            (context.registers.get(row.key.split(":")[1]), row.fields["arrival_date"].year,
             row.fields["arrival_number"])
            for row in batch
            if not row.problems and row.key not in ledger and row.direction == "incoming"
        ]
    )  # fmt: skip
    for row in batch:
        if row.problems:
            continue
        state = ledger.get(row.key)
        if state is not None:
            row.ledger = state
            continue
        if row.direction == "incoming":
            register_id = context.registers.get(row.key.split(":")[1])
            number, arrival = row.fields["arrival_number"], row.fields["arrival_date"]
            taken = arrivals.get((register_id, arrival.year, number))
            what = f"số đến {number} năm {arrival.year}"
        else:
            taken = context.outgoing_keys.get(row.key)
            what = f"số {row.fields['number_notation']}"
        if taken is not None:
            row.problems.append(
                Problem(
                    row.source,
                    row.row,
                    "number_clash",
                    PROBLEM_TEXT["number_clash"].format(what=what, document=taken),
                )
            )


def _batches(rows: Iterable[PlannedRow], size: int) -> Iterator[list[PlannedRow]]:
    batch: list[PlannedRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


DIRECTION_LABELS = {"incoming": "sổ văn bản đến", "outgoing": "sổ văn bản đi"}


def run_import(
    registers: list[Path],
    files_dir: Path,
    actor: Actor,
    *,
    mapping_path: Path | None = None,
    dry_run: bool = False,
    update: bool = False,
    progress: Callable[[int, str], None] | None = None,
    heartbeat: Callable[[], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Report:
    """Read every register, check every row, and (unless ``dry_run``) import the ready ones.

    Commits each batch of rows it imports (and nothing in a dry run); returns the report.
    ``heartbeat`` is called, with no transaction open, before each file is checked (a job
    renews its lease there: one batch's files can take longer than the lease)."""
    if not files_dir.is_dir():
        raise AppError("files_dir_missing", _("Không thấy thư mục tệp: %(d)s", d=files_dir), 422)
    mapping_file = load_mapping_file(mapping_path) if mapping_path else None
    report = Report(dry_run=dry_run)
    context = _Context(FileIndex(files_dir))
    db.session.rollback()  # the reads above end here: no transaction held while files are read
    with contextlib.ExitStack() as stack:
        validator = None if dry_run else stack.enter_context(files.validator_for_many())
        _run(registers, mapping_file, report, context, CheckedFiles(validator), actor,
             dry_run=dry_run, update=update, progress=progress, heartbeat=heartbeat,
             batch_rows=batch_rows)  # fmt: skip
    report.files_unclaimed = context.files.unclaimed()
    return report


def _run(
    registers: list[Path],
    mapping_file: dict[str, Any] | None,
    report: Report,
    context: _Context,
    checker: CheckedFiles,
    actor: Actor,
    *,
    dry_run: bool,
    update: bool,
    progress: Callable[[int, str], None] | None,
    heartbeat: Callable[[], None] | None,
    batch_rows: int,
) -> None:
    done = 0
    for path in registers:
        try:
            reader = read_register(path, mapping_file)
        except (RegisterError, OSError) as error:
            raise AppError(
                "register_unreadable",
                _("Không đọc được sổ %(n)s: %(e)s", n=path.name, e=error),
                422,
            ) from error
        source_sha256 = _sha256_of(path)
        report.sources.append(
            {
                "name": path.name,
                "sha256": source_sha256,
                "direction": reader.mapping.direction,
                "direction_label": DIRECTION_LABELS[reader.mapping.direction],
                "encoding": reader.encoding,
                "header_rows": reader.mapping.header_rows,
                "mapping": reader.mapping.describe(),
                "mapping_guessed": reader.mapping.guessed,
            }
        )
        planned = (
            _plan(raw, reader.mapping, path.name, source_sha256, context)
            for raw in _counted(reader.rows(), report, path.name)
        )
        for batch in _batches(planned, max(1, batch_rows)):
            _check_ledger_and_clashes(batch, context)
            db.session.rollback()  # reads only: release before the files are checked
            _account(batch, report)
            if not dry_run:
                _import_batch(batch, actor, report, update, checker, heartbeat)
            done += len(batch)
            if progress is not None:
                progress(done, path.name)


def _counted(rows: Iterator[RawRow], report: Report, source: str) -> Iterator[RawRow]:
    for raw in rows:
        report.rows_read += 1
        for conversion in raw.conversions:
            report.conversions.append(
                {
                    "source": source,
                    "row": raw.number,
                    "encoding": conversion.encoding,
                    "before": conversion.before,
                    "after": conversion.after,
                }
            )
        yield raw


def _account(batch: list[PlannedRow], report: Report) -> None:
    for row in batch:
        for warning in row.warnings:
            report.warnings.append({"source": row.source, "row": row.row, "text": warning})
        for found in row.problems:
            report.problems.append(found)
            if found.code == "file_missing":
                report.files_missing.append(found.name)
            if found.code == "number_clash":
                report.clashes += 1
        if not row.problems:
            report.files_matched += len(row.paths)
        if row.ledger is not None:
            if row.ledger.row_hash == row.row_hash:
                report.already_imported += 1
            else:
                report.changed += 1
                report.problems.append(
                    Problem(
                        row.source,
                        row.row,
                        "changed",
                        PROBLEM_TEXT["changed"].format(document=row.ledger.document_id),
                    )
                )
        elif row.ready:
            report.ready += 1


# --- the import ---------------------------------------------------------------------------


class CheckedFiles:
    """Files already checked and stored in this run, by path (the most recent few thousand):
    a file that several rows name is validated once, by the run's one long-lived validating
    child rather than a child per file."""

    def __init__(self, validator: Validator | None = None) -> None:
        self._checked: dict[Path, files.CheckedFile] = {}
        self.validator = validator

    def get(self, path: Path) -> files.CheckedFile:
        found = self._checked.get(path)
        if found is None:
            found = _check_file(path, self.validator)
            if len(self._checked) >= CHECKED_FILES_KEPT:
                self._checked.pop(next(iter(self._checked)))
            self._checked[path] = found
        return found


def _check_file(path: Path, validator: Validator | None) -> files.CheckedFile:
    """Check and store one file as an upload is (a PDF readable and unencrypted, its
    signatures validated and the report kept; scans as images are made one PDF first)."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        with tempfile.TemporaryDirectory(dir=files.tmp_root()) as directory:
            combined = Path(directory) / "scan.pdf"
            files.images_to_pdf([path], combined)
            checked = _check_pdf(combined, path.stem + ".pdf", validator)
        return checked
    return _check_pdf(path, path.name, validator)


def _check_pdf(path: Path, filename: str, validator: Validator | None) -> files.CheckedFile:
    check = files.check_pdf(path, validate_signatures=True, validator=validator)
    report = check.signature_report or {}
    signed = bool(report.get("signatures"))
    sha256, size = files.store_path(path)
    return files.CheckedFile(
        filename=files.clean_filename(filename)[:255],
        content_type="application/pdf",
        sha256=sha256,
        size=size,
        page_count=check.page_count,
        signature_report=report if signed else None,
        active_content=check.active_content,
    )


def _import_batch(
    batch: list[PlannedRow],
    actor: Actor,
    report: Report,
    update: bool,
    checker: CheckedFiles,
    heartbeat: Callable[[], None] | None = None,
) -> None:
    """Check and store the batch's files (no transaction), then write its documents, their
    audit entries and ledger rows in one transaction; a row refused there is reported, the
    others go in."""
    checked: dict[int, list[files.CheckedFile]] = {}
    for row in batch:
        if not row.ready:
            continue
        if heartbeat is not None:
            heartbeat()
        try:
            checked[row.row] = [checker.get(path) for path in row.paths]
        except AppError as error:
            row.problems.append(
                Problem(row.source, row.row, "file_rejected",
                        PROBLEM_TEXT["file_rejected"].format(
                            name=", ".join(p.name for p in row.paths), reason=error.message))
            )  # fmt: skip
            report.problems.append(row.problems[-1])
            report.ready -= 1
    # The services flush when they need ids, not before every query they make.
    with db.session.no_autoflush:
        going_in = [row for row in batch if row.row in checked]
        for direction, run in groupby(going_in, key=lambda row: row.direction):
            rows = list(run)
            if direction == "incoming" and _import_together(rows, checked, actor, report):
                continue
            for row in rows:  # one by one, each in its own savepoint: the refused are named
                _import_row(row, checked[row.row], actor, report)
        if update:
            for row in batch:
                if row.ledger is not None and row.ledger.row_hash != row.row_hash:
                    _update_row(row, actor, report)
    db.session.commit()  # the batch's documents and their ledger rows, together


def _provenance(row: PlannedRow) -> dict[str, Any]:
    """What the document's audit entry records of the register row it came from."""
    return {
        "text": f"imported from {row.source}, row {row.row}",
        "legacy_register": row.source,
        "legacy_register_sha256": row.source_sha256,
        "legacy_row": row.row,
    }


def _import_together(
    rows: list[PlannedRow],
    checked: dict[int, list[files.CheckedFile]],
    actor: Actor,
    report: Report,
) -> bool:
    """Consecutive incoming rows in one savepoint, through ``incoming.receive_many`` (one
    flush, one append to the audit chain); False, with nothing written, when one of them is
    refused: the caller then takes them one by one to name it."""
    try:
        with db.session.begin_nested():
            received = incoming.receive_many(
                [_receipt(row, checked[row.row]) for row in rows],
                actor,
                source=incoming.Source.LEGACY,
            )
            for row, document in zip(rows, received, strict=True):
                db.session.add(_ledger_row(row, document.document_id))
            db.session.flush()
    except AppError:
        return False
    for row in rows:
        _count_imported(checked[row.row][0], report)
    return True


def _ledger_row(row: PlannedRow, document_id: int) -> LegacyRow:
    return LegacyRow(
        key=row.key,
        source_name=row.source,
        source_sha256=row.source_sha256,
        row_number=row.row,
        row_hash=row.row_hash,
        document_id=document_id,
    )


def _count_imported(main: files.CheckedFile, report: Report) -> None:
    report.imported += 1
    verdict = main.signature_verdict or "unsigned"
    report.signatures[verdict] = report.signatures.get(verdict, 0) + 1


def _import_row(
    row: PlannedRow, stored: list[files.CheckedFile], actor: Actor, report: Report
) -> None:
    main, attachments = stored[0], stored[1:]
    try:
        with db.session.begin_nested():
            if row.direction == "incoming":
                document_id = incoming.receive_many(
                    [_receipt(row, stored)], actor, source=incoming.Source.LEGACY
                )[0].document_id
            else:
                document_id = _record_outgoing(row, main, attachments, actor).id
            db.session.add(_ledger_row(row, document_id))
            db.session.flush()
    except AppError as error:
        found = Problem(row.source, row.row, "refused",
                        PROBLEM_TEXT["refused"].format(reason=error.message))  # fmt: skip
        report.problems.append(found)
        report.ready -= 1
        return
    _count_imported(main, report)


def _note(fields: dict[str, Any]) -> str:
    parts = [_("Nhập từ hệ thống cũ.")]
    if fields["handling_unit"]:
        parts.append(_("Đơn vị xử lý: %(u)s.", u=fields["handling_unit"]))
    if fields["deadline"]:
        parts.append(_("Hạn xử lý: %(d)s.", d=fields["deadline"].strftime("%d/%m/%Y")))
    return " ".join(parts)


def _receipt(row: PlannedRow, stored: list[files.CheckedFile]) -> incoming.Receipt:
    values = row.fields
    main, attachments = stored[0], stored[1:]
    arrival: date = values["arrival_date"]
    fields = incoming.IncomingFields(
        sender_org=values["issuer_org"],
        number_notation=values["number_notation"],
        doc_type=values["doc_type_code"],
        subject=values["subject"],
        received_via=ReceivedVia.ELECTRONIC if main.signature_report else ReceivedVia.PAPER,
        issued_date=values["issued_date"],
        signer_name=values["signer_name"],
        urgency=values["urgency"] or 0,
        secrecy=values["secrecy"] or 0,
        received_at=local_day_start_utc(arrival) + timedelta(hours=8),
        note=_note(values),
    )
    return incoming.Receipt(
        fields,
        main,
        attachments,
        recorded_arrival=incoming.RecordedArrival(
            number=values["arrival_number"], status=IncomingStatus.DONE
        ),
        provenance=_provenance(row),
    )


def _record_outgoing(
    row: PlannedRow,
    main: files.CheckedFile,
    attachments: list[files.CheckedFile],
    actor: Actor,
) -> Document:
    values = row.fields
    described = {
        "number_notation": values["number_notation"],
        "doc_type_code": values["doc_type_code"],
        "subject": values["subject"],
        "issued_date": values["issued_date"],
        "issuer_org": values["issuer_org"],
        "signer_name": values["signer_name"] or main.signer_name(),
        "urgency": values["urgency"] or 0,
        "secrecy": values["secrecy"] or 0,
        "page_count": main.page_count,
    }
    stored = [("main", main), *[("attachment", f) for f in attachments]]
    return archived.record_historic(
        described, stored, actor, source=row.source, provenance=_provenance(row)
    )


def _update_row(row: PlannedRow, actor: Actor, report: Report) -> None:
    """A row imported before whose content changed: its particulars corrected (``--update``);
    its files stay as first imported."""
    assert row.ledger is not None
    document = db.session.get(Document, row.ledger.document_id)
    ledger = db.session.scalar(select(LegacyRow).where(LegacyRow.key == row.key))
    if document is None or ledger is None:
        return
    values = row.fields
    records.correct(
        document,
        actor,
        f"legacy row changed: {row.source}, row {row.row}",
        subject=values["subject"],
        issuer_org=values["issuer_org"],
        signer_name=values["signer_name"] or document.signer_name,
        issued_date=values["issued_date"],
        urgency=values["urgency"] or 0,
    )
    ledger.row_hash = row.row_hash
    ledger.source_sha256 = row.source_sha256
    ledger.row_number = row.row
    ledger.updated_at = utcnow()
    report.updated += 1


def imported_document(key: str) -> int | None:
    """The document a register row became (by its ledger key), if it was imported."""
    return db.session.scalar(select(LegacyRow.document_id).where(LegacyRow.key == key))


def report_dir(data_dir: Path) -> Path:
    """Where reports are kept (the admin page lists them)."""
    return data_dir / "legacy-reports"
