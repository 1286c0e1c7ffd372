"""Loading an archive package into this installation: same metadata, byte-identical files.

The package is verified first; nothing is written unless every check passes, and the whole
import is one transaction, so a failure leaves the installation as it was (blobs already put
are content-addressed and harmless; ``edoc gc`` collects them).

Per document only ``van-ban.xml``, ``chu-ky.json`` and ``tep/`` are read. ``chu-ky.pdf`` is
verified with the rest of the bag but not stored: it is a rendering of ``chu-ky.json``, and the
next export draws it again, byte for byte the same.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from edoc.audit.services import Actor, record
from edoc.blobs.service import blob_store, storage_errors
from edoc.core.clock import to_local
from edoc.core.errors import AppError, Conflict
from edoc.core.extensions import db
from edoc.documents import files
from edoc.documents.files import CheckedFile
from edoc.documents.models import Document, DocumentType
from edoc.dossiers.models import Dossier, DossierDocument, DossierStatus
from edoc.dossiers.package import NOT_CHECKED, open_member, read_xml, verify_package
from edoc.incoming.models import IncomingDocument, ReceivedVia
from edoc.incoming.services import IncomingFields, RecordedArrival, Source, receive, register_for
from edoc.outgoing.archived import record_issued
from edoc.users.models import Clearance

Parsed = TypeVar("Parsed")


def _text(element: ET.Element, tag: str) -> str:
    return (element.findtext(tag) or "").strip()


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _number(value: str) -> int:
    """A whole number in ASCII digits only: ``int()`` also takes "+3", " 3" or other scripts'
    digits, which :func:`_int` on the writing side would read as nothing."""
    if not (value.isascii() and value.isdigit()):
        raise ValueError(value)
    return int(value)


def _int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None


def import_package(root: Path, actor: Actor) -> list[Dossier]:
    """Verify, check every field, clash and main file, then write: a refusal found by the checks
    leaves no blob and no row (one during the writing leaves only blobs, for `edoc gc`)."""
    problems = verify_package(root, revalidate=False)
    if problems:
        raise AppError(
            "package_invalid",
            _("Gói lưu trữ không toàn vẹn; không nhập gì."),
            422,
            details=[f"{p.path}: {p.reason}" for p in problems],
        )
    types_by_name = {t.name: t.code for t in db.session.scalars(select(DocumentType))}
    _check_metadata(root, types_by_name)
    main_checks = _check_main_files(root)  # slow file checks before any write
    run = _Import(root, types_by_name, main_checks, actor)
    dossiers = []
    try:
        for dossier_xml in sorted((root / "data").glob("*/ho-so.xml")):
            dossiers.append(_import_dossier(run, dossier_xml))
    except IntegrityError as error:  # a row written by someone else since the checks
        raise Conflict(
            "package_clash", _("Gói lưu trữ trùng với dữ liệu đã có; không nhập gì.")
        ) from error
    record("archive.imported", actor=actor, dossiers=[d.code for d in dossiers])
    db.session.flush()
    return dossiers


def _field_error(path: Path, root: Path, tag: str, value: str | None = None) -> AppError:
    where = path.relative_to(root).as_posix()
    if not value:
        return AppError(
            "package_field_missing",
            _("%(f)s: thiếu trường bắt buộc <%(t)s>; không nhập gì.", f=where, t=tag),
            422,
        )
    return AppError(
        "package_field_invalid",
        _("%(f)s: giá trị <%(t)s> không hợp lệ: %(v)s; không nhập gì.", f=where, t=tag, v=value),
        422,
    )


def _required(element: ET.Element, tag: str, path: Path, root: Path) -> str:
    value = _text(element, tag)
    if not value:
        raise _field_error(path, root, tag)
    return value


def _checked(
    parse: Callable[[str], Parsed], element: ET.Element, tag: str, path: Path, root: Path
) -> Parsed:
    value = _text(element, tag)
    try:
        return parse(value)
    except ValueError:
        raise _field_error(path, root, tag, value[:80]) from None


def _check_metadata(root: Path, types_by_name: dict[str, str]) -> None:
    """Every field the import reads is present and well-formed, no dossier exists already and no
    arrival number is taken, so the writing that follows cannot stop half-way."""
    dossiers_seen: set[tuple[int, str]] = set()
    arrivals_seen: set[tuple[int, int, int]] = set()
    for path in sorted((root / "data").glob("*/ho-so.xml")):
        element = read_xml(path)
        year = _checked(_number, element, "FileCatalog", path, root)
        code = _required(element, "FileNotation", path, root)
        _required(element, "Title", path, root)
        for tag in ("StartDate", "EndDate"):
            _checked(_date, element, tag, path, root)
        exists = db.session.scalar(
            select(Dossier.id).where(Dossier.year == year, Dossier.code == code)
        )
        if exists or (year, code) in dossiers_seen:
            raise Conflict(
                "dossier_exists", _("Hồ sơ %(c)s năm %(y)s đã có trong hệ thống.", c=code, y=year)
            )
        dossiers_seen.add((year, code))
        for metadata in sorted(path.parent.glob("*/van-ban.xml")):
            _check_document(root, metadata, types_by_name, arrivals_seen)


def _check_document(
    root: Path,
    path: Path,
    types_by_name: dict[str, str],
    arrivals_seen: set[tuple[int, int, int]],
) -> None:
    element = read_xml(path)
    _checked(_number, element, "DocOrdinal", path, root)
    type_name = _required(element, "TypeName", path, root)
    if type_name not in types_by_name:
        raise AppError(
            "unknown_type", _("Loại văn bản không có trong hệ thống: %(t)s.", t=type_name), 422
        )
    _required(element, "CodeNumber", path, root)
    _required(element, "Subject", path, root)
    _checked(_date, element, "IssuedDate", path, root)
    secrecy = _checked(lambda v: _number(v or "0"), element, "ConfidenceLevel", path, root)
    if not 0 <= secrecy <= max(Clearance):
        raise _field_error(path, root, "ConfidenceLevel", str(secrecy))
    report_path = path.parent / "chu-ky.json"
    if report_path.is_file() and not isinstance(
        json.loads(report_path.read_text(encoding="utf-8")), dict
    ):
        raise _field_error(report_path, root, "chu-ky.json", "không phải đối tượng JSON")
    files = list(element.iter("File"))
    if not files:
        raise _field_error(path, root, "Files")
    for item in files:
        _required(item, "Path", path, root)
        _required(item, "OriginalName", path, root)
    if not _text(element, "ArrivalDate"):
        return
    received_at = _checked(datetime.fromisoformat, element, "ArrivalDate", path, root)
    number = _checked(_number, element, "ArrivalNumber", path, root)
    key = (register_for(secrecy).id, to_local(received_at).year, number)
    taken = db.session.scalar(
        select(IncomingDocument.document_id).where(
            IncomingDocument.register_id == key[0],
            IncomingDocument.arrival_year == key[1],
            IncomingDocument.arrival_number == key[2],
        )
    )
    if taken or key in arrivals_seen:
        raise Conflict(
            "arrival_number_taken",
            _(
                "%(f)s: số đến %(n)s năm %(y)s đã có trong sổ văn bản đến; không nhập gì.",
                f=path.relative_to(root).as_posix(),
                n=number,
                y=key[1],
            ),
        )
    arrivals_seen.add(key)


@dataclass(frozen=True)
class _Import:
    """What every writing step of one import needs, found by the checks before it."""

    root: Path
    types_by_name: dict[str, str]
    main_checks: dict[str, CheckedFile]  # this installation's check of each main file
    actor: Actor


def _import_dossier(run: _Import, path: Path) -> Dossier:
    element = read_xml(path)
    year, code = int(_text(element, "FileCatalog")), _text(element, "FileNotation")
    if db.session.scalar(select(Dossier.id).where(Dossier.year == year, Dossier.code == code)):
        raise Conflict(
            "dossier_exists", _("Hồ sơ %(c)s năm %(y)s đã có trong hệ thống.", c=code, y=year)
        )
    retention = _text(element, "Maintenance")
    dossier = Dossier(
        year=year,
        code=code,
        title=_text(element, "Title"),
        retention_years=_int(retention),
        keeper_name=_text(element, "Keeper"),
        status=DossierStatus.CLOSED,
        page_count=_int(_text(element, "PageTotal")),
        start_date=_date(_text(element, "StartDate")),
        end_date=_date(_text(element, "EndDate")),
    )
    db.session.add(dossier)
    for metadata in sorted(path.parent.glob("*/van-ban.xml")):
        document, ordinal = _import_document(run, metadata)
        dossier.entries.append(DossierDocument(document=document, ordinal=ordinal))
    db.session.flush()
    return dossier


def _import_document(run: _Import, path: Path) -> tuple[Document, int]:
    """Store the document's files and record it through its area's one way in (its type,
    fields and numbers were checked by :func:`_check_document` before any write)."""
    element = read_xml(path)
    number, notation = _text(element, "CodeNumber"), _text(element, "CodeNotation")
    signer = element.find("SignerInfo")
    arrival = _text(element, "ArrivalDate")
    described = {
        "number_notation": f"{number}/{notation}" if notation else number,
        "doc_type_code": run.types_by_name[_text(element, "TypeName")],
        "subject": _text(element, "Subject"),
        "issued_date": _date(_text(element, "IssuedDate")),
        "issuer_org": _text(element, "OrganName"),
        "signer_name": _text(signer, "FullName") if signer is not None else "",
        "signer_title": _text(signer, "Position") if signer is not None else "",
        "urgency": _int(_text(element, "Priority")) or 0,
        "secrecy": _int(_text(element, "ConfidenceLevel")) or 0,
        "page_count": _int(_text(element, "PageAmount")),
    }
    report_path = path.parent / "chu-ky.json"
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.is_file() else None
    if report == NOT_CHECKED:
        report = None
    store = blob_store()
    stored_files: list[tuple[str, CheckedFile]] = []
    for item in element.iter("File"):
        with storage_errors(), open_member(run.root, f"data/{_text(item, 'Path')}") as stream:
            info = store.put(stream)
        if info.sha256 != _text(item, "SHA256"):  # the file changed after it was verified
            raise AppError("package_changed", _("Tệp trong gói bị thay đổi khi đang nhập."), 422)
        role = item.get("role", "main")
        stored = CheckedFile(
            filename=_text(item, "OriginalName"),
            content_type="application/pdf"
            if _text(item, "Path").endswith(".pdf")
            else "application/octet-stream",
            sha256=info.sha256,
            size=info.size,
            signature_report=report if role == "main" else None,
        )
        stored_files.append((role, stored))
    if arrival:
        document = _receive_arrival(run, element, described, stored_files, arrival)
    else:
        own = [(role, _own_finding(role, f, run.main_checks)) for role, f in stored_files]
        document = record_issued(described, own)
    return document, int(_text(element, "DocOrdinal"))


def _check_main_files(root: Path) -> dict[str, CheckedFile]:
    """Check each document's main file as an upload is checked (a readable PDF; the signatures
    of an issued document or of an electronic arrival validated by this installation, whatever
    ``chu-ky.json`` claims), before the import writes anything: no transaction stays open
    while files are read."""
    checked: dict[str, CheckedFile] = {}
    for metadata in sorted((root / "data").glob("*/*/van-ban.xml")):
        element = read_xml(metadata)
        electronic = not _text(element, "ArrivalDate") or _text(element, "Mode") == "Điện tử"
        for item in element.iter("File"):
            if item.get("role", "main") != "main":
                continue
            path = root / "data" / _text(item, "Path")  # confined by verify_package
            check = files.check_pdf(path, validate_signatures=electronic)
            checked[_text(item, "SHA256")] = CheckedFile(
                filename=_text(item, "OriginalName"),
                content_type="application/pdf",
                sha256=_text(item, "SHA256"),
                size=path.stat().st_size,
                page_count=check.page_count,
                signature_report=check.signature_report,
                active_content=check.active_content,
            )
    return checked


def _receive_arrival(
    run: _Import,
    element: ET.Element,
    described: dict[str, Any],
    stored_files: list[tuple[str, CheckedFile]],
    arrival: str,
) -> Document:
    """An arrival goes through ``incoming``'s one way in, keeping its recorded number."""
    main_file = next((f for role, f in stored_files if role == "main"), None)
    main = run.main_checks.get(main_file.sha256) if main_file is not None else None
    if main is None:
        raise AppError(
            "main_file_missing",
            _("Văn bản đến %(n)s trong gói không có tệp chính.", n=described["number_notation"]),
            422,
        )
    if _same_finding(main_file.signature_report, main.signature_report):
        # The archived report, byte for byte (export → import → export stays identical); any
        # other claim gives way to what this installation found.
        main = replace(main, signature_report=main_file.signature_report)
    fields = IncomingFields(
        sender_org=described["issuer_org"],
        number_notation=described["number_notation"],
        doc_type=described["doc_type_code"],
        subject=described["subject"],
        received_via=(
            ReceivedVia.ELECTRONIC if _text(element, "Mode") == "Điện tử" else ReceivedVia.PAPER
        ),
        issued_date=described["issued_date"],
        signer_name=described["signer_name"],
        signer_title=described["signer_title"],
        urgency=described["urgency"],
        secrecy=described["secrecy"],
        page_count=described["page_count"],
        received_at=datetime.fromisoformat(arrival),
        recipient=_text(element, "ToPlaces"),
    )
    attachments = [
        replace(f, signature_report=None) for _role, f in stored_files if f is not main_file
    ]
    incoming = receive(
        fields,
        main,
        run.actor,
        attachments,
        source=Source.PACKAGE,
        recorded_arrival=RecordedArrival(number=_int(_text(element, "ArrivalNumber"))),
    )
    return incoming.document


def _own_finding(
    role: str, stored: CheckedFile, main_checks: dict[str, CheckedFile]
) -> CheckedFile:
    """An issued document's main file carries the package's signature report only when this
    installation's own check finds the same (see :func:`_same_finding`)."""
    found = main_checks.get(stored.sha256) if role == "main" else None
    if found is None:
        return stored
    report = stored.signature_report
    if not _same_finding(report, found.signature_report):
        report = found.signature_report
    return replace(stored, signature_report=report, active_content=found.active_content)


def _same_finding(claimed: dict[str, Any] | None, found: dict[str, Any] | None) -> bool:
    """Whether the package's report says what this installation's check says (the time of
    the check aside)."""
    if claimed is None or found is None:
        return claimed is found

    def finding(report: dict[str, Any]) -> Any:
        return json.loads(json.dumps({k: v for k, v in report.items() if k != "validated_at"}))

    return finding(claimed) == finding(found)
