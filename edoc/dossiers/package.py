"""Archive packages: closed dossiers as BagIt 1.0 bags (RFC 8493), and their verification.

Layout under ``data/``: ``METS.xml`` (structure, E-ARK CSIP in spirit), ``muc-luc.csv`` (the
transfer list), and per dossier ``<FileCode>/ho-so.xml`` plus, per document,
``<FileCode>/<DocOrdinal>/van-ban.xml`` (TT 02/2019 and ND30 Appendix VI metadata),
``chu-ky.json`` (its signature report at export), ``chu-ky.pdf`` (the same report for people,
in Vietnamese, deterministic) and ``tep/`` (its files exactly as stored).

Every payload file is written in one streaming pass that computes SHA-256 and SHA-512 as it
goes, so exporting gigabytes needs no more memory than one copy buffer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import stat
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import defusedxml.ElementTree as SafeET
from flask import current_app

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.extensions import db
from edoc.documents.models import Document, DocumentFile
from edoc.dossiers.models import Dossier
from edoc.incoming.models import IncomingDocument
from edoc.reports.signature import render_report_pdf
from signing.errors import PdfInputError, ValidationTimeout
from signing.validation import validate_pdf

ALGORITHMS = ("sha256", "sha512")
CHUNK = 1024 * 1024
NOT_CHECKED = {"verdict": "not_checked"}  # paper originals: no signature was checked
PRIORITY = {0: "0", 1: "1", 2: "2", 3: "3"}  # edXML priority: thường, khẩn, thượng khẩn, hỏa tốc


@dataclass
class BagWriter:
    """Writes payload files into ``root/data`` and remembers their digests."""

    root: Path
    payload: dict[str, dict[str, str]] = field(default_factory=dict)  # relpath -> alg -> hex
    octets: int = 0

    def _target(self, relpath: str) -> Path:
        target = self.root / "data" / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_stream(self, relpath: str, stream: IO[bytes]) -> dict[str, str]:
        digests = {alg: hashlib.new(alg) for alg in ALGORITHMS}
        with self._target(relpath).open("wb") as out:
            while chunk := stream.read(CHUNK):
                out.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
                self.octets += len(chunk)
        result = {alg: digest.hexdigest() for alg, digest in digests.items()}
        self.payload[f"data/{relpath}"] = result
        return result

    def write_bytes(self, relpath: str, data: bytes) -> dict[str, str]:
        return self.write_stream(relpath, io.BytesIO(data))

    def finish(self, info: dict[str, str]) -> None:
        (self.root / "bagit.txt").write_text(
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", encoding="utf-8"
        )
        info = {**info, "Payload-Oxum": f"{self.octets}.{len(self.payload)}"}
        (self.root / "bag-info.txt").write_text(
            "".join(f"{key}: {value}\n" for key, value in info.items()), encoding="utf-8"
        )
        for alg in ALGORITHMS:
            lines = [f"{d[alg]}  {_encode_path(p)}\n" for p, d in sorted(self.payload.items())]
            (self.root / f"manifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")
        tag_files = ["bagit.txt", "bag-info.txt", *(f"manifest-{a}.txt" for a in ALGORITHMS)]
        for alg in ALGORITHMS:
            lines = [
                f"{hashlib.new(alg, (self.root / name).read_bytes()).hexdigest()}  {name}\n"
                for name in tag_files
            ]
            (self.root / f"tagmanifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")


def _encode_path(path: str) -> str:
    """RFC 8493 §2.1.3: percent-encode CR, LF and % in manifest paths."""
    return path.replace("%", "%25").replace("\n", "%0A").replace("\r", "%0D")


def _decode_path(path: str) -> str:
    return path.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def _sub(parent: ET.Element, tag: str, text: object = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def _xml(element: ET.Element) -> bytes:
    ET.indent(element)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True) + b"\n"


def file_code(organ_id: str, dossier: Dossier) -> str:
    """ND30: OrganId.FileCatalog.FileNotation."""
    return f"{organ_id}.{dossier.year}.{dossier.code}"


def _safe(code: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]", "_", code)


def dossier_xml(dossier: Dossier, organ_id: str) -> bytes:
    root = ET.Element("HoSo")
    _sub(root, "FileCode", file_code(organ_id, dossier))
    _sub(root, "OrganId", organ_id)
    _sub(root, "FileCatalog", dossier.year)
    _sub(root, "FileNotation", dossier.code)
    _sub(root, "Title", dossier.title)
    _sub(root, "Maintenance", dossier.retention_years or "Vĩnh viễn")
    _sub(root, "Keeper", dossier.keeper_label)
    _sub(root, "StartDate", dossier.start_date.isoformat() if dossier.start_date else "")
    _sub(root, "EndDate", dossier.end_date.isoformat() if dossier.end_date else "")
    _sub(root, "DocTotal", len(dossier.entries))
    _sub(root, "PageTotal", dossier.page_count or 0)
    _sub(root, "Language", "vi")
    return _xml(root)


def document_xml(
    document: Document,
    ordinal: int,
    code: str,
    organ_id: str,
    files: list[tuple[DocumentFile, str, dict[str, str]]],
    incoming: IncomingDocument | None,
) -> bytes:
    """TT 02/2019 and ND30 Appendix VI fields, in UTF-8."""
    number, _, notation = document.number_notation.partition("/")
    root = ET.Element("VanBan")
    for tag, value in [
        ("FileCode", code),
        ("OrganId", organ_id),
        ("DocOrdinal", ordinal),
        ("TypeName", document.doc_type.name),
        ("CodeNumber", number),
        ("CodeNotation", notation),
        ("IssuedDate", document.issued_date.isoformat() if document.issued_date else ""),
        ("OrganName", document.issuer_org),
        ("Subject", document.subject),
        ("Language", "vi"),
        ("PageAmount", document.page_count or ""),
        ("Description", ""),
        ("Priority", PRIORITY.get(document.urgency, "0")),
        ("ConfidenceLevel", document.secrecy),
        (
            "Mode",
            "Điện tử" if incoming is None or incoming.received_via == "electronic" else "Giấy",
        ),
        ("Format", "PDF"),
    ]:
        _sub(root, tag, value)
    signer = _sub(root, "SignerInfo")
    _sub(signer, "Position", document.signer_title)
    _sub(signer, "FullName", document.signer_name)
    if incoming is not None:
        _sub(root, "ArrivalDate", incoming.received_at.isoformat())
        _sub(root, "ArrivalNumber", incoming.arrival_number or "")
        _sub(root, "ToPlaces", incoming.recipient)
    files_element = _sub(root, "Files")
    for stored, relpath, digests in files:
        item = _sub(files_element, "File")
        item.set("role", stored.role)
        _sub(item, "Path", relpath)
        _sub(item, "OriginalName", stored.filename)
        _sub(item, "Size", stored.size)
        _sub(item, "SHA256", digests["sha256"])
        report = stored.signature_report or {}
        _sub(item, "InforSign", report.get("verdict", ""))
    return _xml(root)


def report_pdf(
    report: dict,
    code: str,
    ordinal: int,
    document: Document,
    main: DocumentFile | None,
) -> bytes:
    """The signature report as at export, on A4 in Vietnamese (``chu-ky.pdf``).

    Only what the package itself carries goes into it (file code, ordinal, metadata, the main
    file's name and digest, the report), so re-exporting an imported package gives the same bytes.
    """
    heading = [
        ("Mã hồ sơ", code),
        ("Số thứ tự văn bản trong hồ sơ", str(ordinal)),
        ("Số, ký hiệu", document.number_notation),
        ("Trích yếu", document.subject),
    ]
    if main is not None:
        heading += [("Tệp chính", main.filename), ("SHA-256", main.sha256)]
    return render_report_pdf(report, heading)


def mets_xml(
    structure: list[tuple[str, list[tuple[str, list[str]]]]], digests: dict[str, dict[str, str]]
) -> bytes:
    ns = "http://www.loc.gov/METS/"
    ET.register_namespace("mets", ns)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.Element(
        f"{{{ns}}}mets", {"PROFILE": "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"}
    )
    file_sec = ET.SubElement(root, f"{{{ns}}}fileSec")
    group = ET.SubElement(file_sec, f"{{{ns}}}fileGrp", {"USE": "Documentation"})
    struct = ET.SubElement(root, f"{{{ns}}}structMap", {"TYPE": "PHYSICAL", "LABEL": "CSIP"})
    top = ET.SubElement(struct, f"{{{ns}}}div", {"LABEL": "package"})
    counter = 0
    for dossier_label, documents in structure:
        dossier_div = ET.SubElement(
            top, f"{{{ns}}}div", {"TYPE": "dossier", "LABEL": dossier_label}
        )
        for document_label, paths in documents:
            document_div = ET.SubElement(
                dossier_div, f"{{{ns}}}div", {"TYPE": "document", "LABEL": document_label}
            )
            for path in paths:
                counter += 1
                file_id = f"F{counter:06d}"
                entry = ET.SubElement(
                    group,
                    f"{{{ns}}}file",
                    {"ID": file_id, "CHECKSUMTYPE": "SHA-256", "CHECKSUM": digests[path]["sha256"]},
                )
                ET.SubElement(
                    entry,
                    f"{{{ns}}}FLocat",
                    {
                        "LOCTYPE": "URL",
                        "{http://www.w3.org/1999/xlink}href": path.removeprefix("data/"),
                    },
                )
                ET.SubElement(document_div, f"{{{ns}}}fptr", {"FILEID": file_id})
    return _xml(root)


def export_dossiers(
    dossiers: Iterable[Dossier],
    out: Path,
    organ_id: str,
    organ_name: str,
    progress: Callable[[int, int], None] | None = None,
) -> BagWriter:
    """Write the bag at ``out`` (a new directory), all or nothing.

    The bag is built in a hidden directory beside ``out`` and renamed to ``out`` only once it is
    complete, so a missing or corrupt blob (or any other failure) leaves no partial package that
    could be mistaken for a whole one; the hidden directory is removed on failure. It is created
    readable by its owner only, as the files of secret documents may be in it.
    """
    if out.exists():
        raise FileExistsError(f"{out} already exists")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        bag = _write_bag(list(dossiers), staging, organ_id, organ_name, progress)
        os.rename(staging, out)  # refuses a non-empty ``out`` that appeared meanwhile
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    bag.root = out
    return bag


def _write_bag(
    dossiers: list[Dossier],
    out: Path,
    organ_id: str,
    organ_name: str,
    progress: Callable[[int, int], None] | None,
) -> BagWriter:
    bag = BagWriter(out)
    structure: list[tuple[str, list[tuple[str, list[str]]]]] = []
    rows = [
        [
            "Mã hồ sơ",
            "Tiêu đề",
            "Năm",
            "Thời hạn bảo quản",
            "Số văn bản",
            "Số trang",
            "Từ ngày",
            "Đến ngày",
        ]
    ]
    total = sum(len(d.entries) for d in dossiers)
    done = 0
    store = blob_store()
    for dossier in dossiers:
        code = file_code(organ_id, dossier)
        folder = _safe(code)
        bag.write_bytes(f"{folder}/ho-so.xml", dossier_xml(dossier, organ_id))
        documents: list[tuple[str, list[str]]] = []
        for entry in dossier.entries:
            document = entry.document
            base = f"{folder}/{entry.ordinal:03d}"
            written: list[tuple[DocumentFile, str, dict[str, str]]] = []
            for index, stored in enumerate(document.files, start=1):
                suffix = Path(stored.filename).suffix.lower() or ".bin"
                relpath = f"{base}/tep/{index:02d}-{stored.role}{suffix}"
                with storage_errors(), store.open(stored.sha256) as stream:
                    digests = bag.write_stream(relpath, stream)
                written.append((stored, relpath, digests))
            main = document.main_file
            report = (main.signature_report if main else None) or NOT_CHECKED
            bag.write_bytes(
                f"{base}/chu-ky.json",
                json.dumps(report, ensure_ascii=False, indent=2).encode(),
            )
            bag.write_bytes(
                f"{base}/chu-ky.pdf", report_pdf(report, code, entry.ordinal, document, main)
            )
            incoming = db.session.get(IncomingDocument, document.id)
            bag.write_bytes(
                f"{base}/van-ban.xml",
                document_xml(document, entry.ordinal, code, organ_id, written, incoming),
            )
            documents.append(
                (
                    f"{entry.ordinal:03d} {document.number_notation}",
                    [f"data/{path}" for _stored, path, _d in written]
                    + [
                        f"data/{base}/van-ban.xml",
                        f"data/{base}/chu-ky.json",
                        f"data/{base}/chu-ky.pdf",
                    ],
                )
            )
            done += 1
            if progress:
                progress(done, total)
        structure.append((code, documents))
        rows.append(
            [
                code,
                dossier.title,
                str(dossier.year),
                str(dossier.retention_years or "Vĩnh viễn"),
                str(len(dossier.entries)),
                str(dossier.page_count or 0),
                dossier.start_date.isoformat() if dossier.start_date else "",
                dossier.end_date.isoformat() if dossier.end_date else "",
            ]
        )
    listing = io.StringIO()
    csv.writer(listing).writerows(rows)
    bag.write_bytes("muc-luc.csv", listing.getvalue().encode("utf-8"))
    bag.write_bytes("METS.xml", mets_xml(structure, bag.payload))
    bag.finish(
        {
            "Source-Organization": organ_name,
            "Organization-Address": organ_id,
            "Bagging-Date": datetime.now(UTC).date().isoformat(),
            "External-Description": "edoc archive package",
        }
    )
    return bag


@dataclass
class PackageProblem:
    path: str
    reason: str


MISSING = "missing"


def member_problem(root: Path, relpath: str, *, payload: bool) -> str | None:
    """Why ``relpath`` may not be read from the bag at ``root`` (None: it may).

    A package comes from outside: every name in it is checked before anything is opened. It must
    be relative, without ``.`` or ``..`` segments, inside ``data/`` for a payload file (outside it
    for a tag file), and every segment from the bag's root down must be a real directory or, at
    the end, a regular file: a symbolic link anywhere on the way could point at the server's own
    files, and a device or FIFO could hang the reader.
    """
    segments = relpath.split("/")
    if (
        not relpath
        or relpath.startswith("/")
        or "\\" in relpath
        or "\0" in relpath
        or any(segment in ("", ".", "..") for segment in segments)
    ):
        return "unsafe path (absolute, empty or with ..): refused"
    if payload != (segments[0] == "data" and len(segments) > 1):
        return "payload files must be inside data/" if payload else "tag file inside data/"
    current = root
    mode = 0
    for segment in segments:
        current = current / segment
        try:
            mode = current.lstat().st_mode
        except FileNotFoundError:
            return MISSING
        except OSError as error:
            return f"cannot be read: {error.strerror}"
        if stat.S_ISLNK(mode):
            return "symbolic link: refused"
    if not stat.S_ISREG(mode):
        return "not a regular file: refused"
    return None


def open_member(root: Path, relpath: str, *, payload: bool = True) -> IO[bytes]:
    """Open a file of the bag for reading after checking its path again; ``O_NOFOLLOW`` and a
    check of the opened file keep a link swapped in after the check from being followed."""
    reason = member_problem(root, relpath, payload=payload)
    if reason is not None:
        raise PackageError(PackageProblem(relpath, reason))
    descriptor = os.open(root / relpath, os.O_RDONLY | os.O_NOFOLLOW)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise PackageError(PackageProblem(relpath, "not a regular file: refused"))
    return os.fdopen(descriptor, "rb")


class PackageError(Exception):
    def __init__(self, problem: PackageProblem) -> None:
        super().__init__(f"{problem.path}: {problem.reason}")
        self.problem = problem


def read_xml(path: Path) -> ET.Element:
    """Parse a package's XML with defusedxml: no DTD at all, so no entity expansion (billion
    laughs) and no external entity can reach the network or the server's files. Raises
    ``ValueError`` (defusedxml's refusals) or ``ET.ParseError``."""
    with path.open("rb") as stream:
        return SafeET.parse(stream, forbid_dtd=True).getroot()


def _xml_problem(root: Path, relpath: str) -> PackageProblem | None:
    try:
        read_xml(root / relpath)
    except ET.ParseError as error:
        return PackageProblem(relpath, f"metadata is not valid XML: {error}")
    except ValueError as error:  # DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
        return PackageProblem(relpath, f"XML refused ({type(error).__name__}): DTD or entity")
    return None


def _read_manifest(
    root: Path, name: str, *, payload: bool, problems: list[PackageProblem]
) -> dict[str, str] | None:
    """The lines of a (tag) manifest as path -> digest, each path checked; None if unreadable."""
    reason = member_problem(root, name, payload=False)
    if reason is not None:
        problems.append(
            PackageProblem(name, f"missing {'manifest' if payload else 'tag manifest'}")
            if reason == MISSING
            else PackageProblem(name, reason)
        )
        return None
    try:
        with open_member(root, name, payload=False) as stream:
            text = stream.read().decode("utf-8")
    except (UnicodeDecodeError, OSError, PackageError) as error:
        problems.append(PackageProblem(name, f"cannot be read: {error}"))
        return None
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-fA-F]+", parts[0]):
            problems.append(PackageProblem(name, f"line {number} is not 'digest  path'"))
            continue
        path = _decode_path(parts[1].strip())
        reason = member_problem(root, path, payload=payload)
        if reason is not None and reason != MISSING:
            problems.append(PackageProblem(path, f"{reason} (listed in {name})"))
            continue
        entries[path] = parts[0].lower()
    return entries


def _payload_on_disk(root: Path, problems: list[PackageProblem]) -> set[str]:
    """Regular files under ``data/``, walked without following links; links, devices and FIFOs
    are problems."""
    data = root / "data"
    if data.is_symlink() or not data.is_dir():
        problems.append(PackageProblem("data", "payload directory missing or a link"))
        return set()
    present: set[str] = set()
    for folder, dirs, files in os.walk(data, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                problems.append(PackageProblem(relative, "symbolic link: refused"))
            elif name in files and not stat.S_ISREG(mode):
                problems.append(PackageProblem(relative, "not a regular file: refused"))
            elif name in files:
                present.add(relative)
    return present


def verify_package(root: Path, revalidate: bool = True) -> list[PackageProblem]:
    """Check completeness, both manifests, the tag manifests, metadata against files, and that
    every PDF still validates as it did at export. Returns the problems (empty: all holds).

    A package is hostile until proven otherwise: every name in a manifest or a metadata file must
    be a regular file inside the bag (see :func:`member_problem`), every payload file must be
    listed in both manifests, and XML is parsed without DTDs (:func:`read_xml`).
    """
    problems: list[PackageProblem] = []
    reason = member_problem(root, "bagit.txt", payload=False)
    if reason is not None:
        detail = "missing: not a BagIt bag" if reason == MISSING else reason
        return [PackageProblem("bagit.txt", detail)]
    manifests: dict[str, dict[str, str]] = {}
    for alg in ALGORITHMS:
        entries = _read_manifest(root, f"manifest-{alg}.txt", payload=True, problems=problems)
        if entries is not None:
            manifests[alg] = entries
    listed: dict[str, dict[str, str]] = {}
    for alg, entries in manifests.items():
        for path, digest in entries.items():
            listed.setdefault(path, {})[alg] = digest
    for path, digests in sorted(listed.items()):
        absent = [f"manifest-{alg}.txt" for alg in manifests if alg not in digests]
        if absent:
            problems.append(PackageProblem(path, f"not listed in {', '.join(absent)}"))
    for alg in ALGORITHMS:
        name = f"tagmanifest-{alg}.txt"
        entries = _read_manifest(root, name, payload=False, problems=problems)
        for tag_name, digest in sorted((entries or {}).items()):
            if member_problem(root, tag_name, payload=False) == MISSING:
                problems.append(PackageProblem(tag_name, "tag file missing"))
                continue
            with open_member(root, tag_name, payload=False) as stream:
                if _digest(stream, [alg])[alg] != digest:
                    problems.append(PackageProblem(tag_name, f"tag file {alg} mismatch"))
    present = _payload_on_disk(root, problems)
    for path in sorted(present - set(listed)):
        problems.append(PackageProblem(path, "file not listed in the manifests"))
    actual: dict[str, str] = {}
    for path, expected in sorted(listed.items()):
        if member_problem(root, path, payload=True) == MISSING:
            problems.append(PackageProblem(path, "listed in the manifest but missing"))
            continue
        if path not in present:
            continue  # a link or a device: already named by the walk
        with open_member(root, path) as stream:
            digests = _digest(stream, list(expected))
        for alg, digest in digests.items():
            if digest != expected[alg]:
                problems.append(PackageProblem(path, f"{alg} mismatch: content changed"))
        actual[path] = digests.get("sha256", "")
    if problems:
        return problems  # metadata is read only from a bag whose every file checked out
    trusted = {path for path, digests in listed.items() if len(digests) == len(ALGORITHMS)}
    for path in sorted(trusted):
        if path.endswith(".xml") and (problem := _xml_problem(root, path)):
            problems.append(problem)
        elif path.endswith(".json"):
            try:
                json.loads((root / path).read_text(encoding="utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as error:
                problems.append(PackageProblem(path, f"not valid JSON: {error}"))
    if problems:
        return problems
    for path in sorted(p for p in trusted if p.endswith("/van-ban.xml")):
        problems += _check_document(root, path, actual, trusted, revalidate)
    return problems


def _digest(stream: IO[bytes], algorithms: list[str]) -> dict[str, str]:
    digests = {alg: hashlib.new(alg) for alg in algorithms}
    while chunk := stream.read(CHUNK):
        for digest in digests.values():
            digest.update(chunk)
    return {alg: digest.hexdigest() for alg, digest in digests.items()}


def _check_document(
    root: Path, relative: str, actual: dict[str, str], trusted: set[str], revalidate: bool
) -> list[PackageProblem]:
    """Each ``<File>`` of a document's metadata names a file of its own folder that both
    manifests list, and its SHA256 matches."""
    problems = []
    element = read_xml(root / relative)
    folder = relative.removesuffix("van-ban.xml")
    report_path = f"{folder}chu-ky.json"
    exported = (
        json.loads((root / report_path).read_text(encoding="utf-8"))
        if report_path in trusted
        else {}
    )
    for item in element.iter("File"):
        named = (item.findtext("Path") or "").strip()
        path = f"data/{named}"
        if not named:
            problems.append(PackageProblem(relative, "a <File> has no <Path>"))
            continue
        reason = member_problem(root, path, payload=True)
        if reason is not None and reason != MISSING:
            problems.append(PackageProblem(named, f"{reason} (<Path> in {relative})"))
            continue
        if not path.startswith(folder) or path not in trusted:
            problems.append(
                PackageProblem(
                    named, f"<Path> in {relative} is not a listed file of the document's folder"
                )
            )
            continue
        if actual.get(path) != (item.findtext("SHA256") or "").strip():
            problems.append(PackageProblem(path, "metadata SHA256 does not match the file"))
        if revalidate and item.get("role") == "main" and path.endswith(".pdf"):
            verdict = exported.get("verdict") if isinstance(exported, dict) else None
            problems += _revalidate(root / path, path, verdict)
    return problems


def _revalidate(pdf: Path, path: str, exported_verdict: str | None) -> list[PackageProblem]:
    try:
        report = validate_pdf(pdf, trust_roots=current_app.config["EDOC"].trust_roots())
    except (PdfInputError, ValidationTimeout) as error:
        return [PackageProblem(path, f"PDF no longer readable: {error}")]
    if (
        exported_verdict not in (None, NOT_CHECKED["verdict"])
        and report.verdict != exported_verdict
    ):
        return [
            PackageProblem(
                path, f"signatures were {exported_verdict} at export, now {report.verdict}"
            )
        ]
    return []
