"""Issuing: the number and date go into the leader-signed PDF, then the agency seal on top.

The number is taken first in a transaction of its own (so it is never given twice). The fill-in
is an incremental update of the two empty fields the leader's signature left for it, which
pyHanko classes as form filling, so the leader's signature stays valid; the agency signature
then covers the whole file. The result is validated before it is stored. If anything fails
after the number was taken, the number is recorded as void with the reason.
"""

from __future__ import annotations

import io
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from edoc.blobs.service import blob_store, storage_errors
from edoc.core.agency_key import agency_signer, trusted_certificates
from edoc.core.clock import local_today, utcnow
from edoc.core.errors import AppError, NotFound
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.documents import files
from edoc.documents.models import DocumentFile
from edoc.documents.records import add_file, audit
from edoc.outgoing import services
from edoc.outgoing.models import COPY_KINDS, NumberAllocation, OutgoingDocument, OutgoingStatus
from edoc.outgoing.signing import LEADER_BOX, read_blob
from edoc.users.models import Role, User
from signing.appearance import (
    AgencySealAppearance,
    TextStampAppearance,
    draw_seal_image,
    seal_box_over,
    text_stamp_box,
)
from signing.formfields import fill_number_and_date
from signing.remote import SignatureFieldSpec, SignatureOptions
from signing.server_signer import ServerSideSigner
from signing.validation import validate_pdf

AGENCY_FIELD = "ChuKyCoQuan"


def _sign_as_agency(signer: ServerSideSigner, pdf: bytes, agency: str) -> bytes:
    settings = current_app.config["EDOC"]
    [result] = signer.sign_pdfs(
        [pdf],
        options=SignatureOptions(
            field=SignatureFieldSpec(AGENCY_FIELD, seal_box_over(LEADER_BOX), page=-1),
            appearance=AgencySealAppearance(draw_seal_image(agency)),
            chain=trusted_certificates(),
            level="B-T" if settings.tsa_url else "B-B",
            tsa_url=settings.tsa_url or None,
        ),
        trust_roots=trusted_certificates(),
    )
    if isinstance(result, Exception):
        raise result
    return result


def _check(pdf: bytes) -> dict[str, Any]:
    """Both signatures intact, valid, trusted; the leader's followed only by form filling."""
    report = validate_pdf(pdf, trust_roots=current_app.config["EDOC"].trust_roots())
    leader = report.signatures[0] if report.signatures else None
    if report.verdict != "ok" or len(report.signatures) != 2:
        raise ValueError(_("văn bản sau khi ký số cơ quan không hợp lệ"))
    if leader is None or leader.modification_level != "FORM_FILLING":
        raise ValueError(_("việc điền số, ngày đã làm thay đổi không được phép"))
    return report.to_dict()


def issue(document_ids: list[int], clerk: User) -> dict[str, Any]:
    """Number, date (today, by the clock) and seal each leader-signed document."""
    if not clerk.has_role(Role.CLERK):
        raise AppError("not_clerk", _("Chỉ văn thư được cấp số và phát hành."), 403)
    signer = agency_signer()
    issued, failed = [], {}
    for document_id in document_ids:
        try:
            outgoing = services.get_outgoing(document_id, clerk)
        except NotFound as error:  # a draft not signed yet is not the clerk's to see
            failed[str(document_id)] = error.message
            continue
        if outgoing.status != OutgoingStatus.SIGNED:
            failed[str(document_id)] = _("Văn bản chưa được lãnh đạo ký.")
            continue
        leader_signed = read_blob(outgoing.document.main_file.sha256)
        allocation = services.allocate_number(outgoing, clerk)
        allocation_id = allocation.id
        try:
            notation = services.format_notation(allocation.number, outgoing)
            today = local_today()
            agency = services.agency_name()
            # Filling, sealing and validating are slow: no transaction (and no lock) meanwhile.
            with outside_transaction():
                filled = fill_number_and_date(
                    leader_signed, notation, today, place=current_app.config["EDOC"].place_name
                )
                final = _sign_as_agency(signer, filled, agency)
                report = _check(final)
                with storage_errors():
                    sha256 = blob_store().put(io.BytesIO(final)).sha256
            outgoing = db.session.get(OutgoingDocument, document_id)
            if outgoing.status != OutgoingStatus.SIGNED:  # issued by someone else meanwhile
                raise ValueError(_("văn bản đã được phát hành hoặc thay đổi trong lúc ký"))
        except Exception as error:  # every failure after the number was taken voids it
            services.void_number(allocation_id, str(error), clerk)
            failed[str(document_id)] = _("Không phát hành được: %(e)s", e=error)
            continue
        document = outgoing.document
        filename = f"{notation.replace('/', '-')}.pdf"
        add_file(
            document, "main", files.CheckedFile.signed_pdf(filename, sha256, len(final), report)
        )
        document.number_notation = notation
        document.issued_date = today
        document.status = OutgoingStatus.ISSUED
        outgoing.issued_year, outgoing.issued_number = allocation.year, allocation.number
        outgoing.issued_at = utcnow()
        db.session.get(NumberAllocation, allocation_id).status = "issued"
        db.session.flush()
        audit("outgoing.issued", clerk, document_id, number=notation, sha256=sha256)
        db.session.commit()  # issued for good: a later document's failure must not undo it
        issued.append({"id": document_id, "number_notation": notation})
    return {"issued": issued, "failed": failed}


def sign_copy(
    document_id: int, kind: str, clerk: User, pdf: bytes | None = None, source_name: str = ""
) -> DocumentFile:
    """An electronic copy (SY/SL/TS) of an issued document, or an appendix in a separate file,
    signed by the agency with the ND30 text stamp at the top right of page 1 (no image)."""
    if not clerk.has_role(Role.CLERK):
        raise AppError("not_clerk", _("Chỉ văn thư được ký số bản sao, phụ lục."), 403)
    if kind not in COPY_KINDS:
        raise AppError("invalid_copy_kind", _("Loại bản sao không hợp lệ."), 422)
    outgoing = services.get_outgoing(document_id, clerk)
    if outgoing.status != OutgoingStatus.ISSUED:
        raise AppError("not_issued", _("Chỉ sao hoặc ký phụ lục cho văn bản đã phát hành."), 409)
    source = pdf if pdf is not None else read_blob(outgoing.document.main_file.sha256)
    stamp = TextStampAppearance(services.agency_name(), outgoing.document.number_notation)
    signer = agency_signer()
    settings = current_app.config["EDOC"]
    with outside_transaction():  # signing and validating are slow: no lock held meanwhile
        [result] = signer.sign_pdfs(
            [source],
            options=SignatureOptions(
                field=SignatureFieldSpec(
                    f"ChuKy{kind}", text_stamp_box(595.28, 841.89, stamp), page=0
                ),
                appearance=stamp,
                chain=trusted_certificates(),
                level="B-T" if settings.tsa_url else "B-B",
                tsa_url=settings.tsa_url or None,
            ),
            trust_roots=trusted_certificates(),
        )
        if isinstance(result, Exception):
            raise AppError("copy_signing_failed", _("Không ký được bản sao: %(e)s", e=result), 503)
        report = validate_pdf(result, trust_roots=settings.trust_roots())
        if report.signatures[-1].ok is False:
            raise AppError("copy_signing_failed", _("Bản sao sau khi ký không hợp lệ."), 500)
        with storage_errors():
            sha256 = blob_store().put(io.BytesIO(result)).sha256
    if outgoing.status != OutgoingStatus.ISSUED:  # recalled meanwhile
        raise AppError("not_issued", _("Chỉ sao hoặc ký phụ lục cho văn bản đã phát hành."), 409)
    filename = _copy_name(kind, outgoing.document.number_notation, source_name)
    signed = files.CheckedFile.signed_pdf(filename, sha256, len(result), report.to_dict())
    stored = add_file(outgoing.document, "appendix" if kind == "PL" else "copy", signed)
    db.session.flush()
    audit(
        "outgoing.copy_signed",
        clerk,
        document_id,
        kind=kind,
        sha256=sha256,
        source=source_name or None,
    )
    return stored


def _copy_name(kind: str, notation: str, source_name: str) -> str:
    base = f"{kind}-{notation.replace('/', '-')}"
    if source_name:
        stem = source_name.rsplit(".", 1)[0].replace("/", "-")[:120]
        base = f"{base}-{stem}"
    return f"{base}.pdf"


COPY_UPLOAD_LIMIT = 200 * 1024 * 1024


def make_copy(
    document_id: int, kind: str, clerk: User, upload: FileStorage | None = None
) -> DocumentFile:
    """The clerk's copy from the web page: the whole issued file, or (for an extract, TS) an
    uploaded PDF of the extracted part, checked like any PDF before it is signed."""
    if kind not in COPY_KINDS or kind == "PL":
        raise AppError("invalid_copy_kind", _("Loại bản sao không hợp lệ."), 422)
    pdf = None
    name = ""
    if upload is not None and upload.filename:
        if kind != "TS":
            raise AppError(
                "upload_only_for_extract",
                _("Chỉ bản trích sao mới dùng tệp tải lên; bản sao y, sao lục sao toàn văn."),
                422,
            )
        with files.spooled(upload) as path:
            if path.stat().st_size > COPY_UPLOAD_LIMIT:
                raise files.FileRejected("too_large", files.PDF_ERRORS["too_large"]())
            files.check_pdf(path, validate_signatures=False)
            pdf = path.read_bytes()
        name = upload.filename
    return sign_copy(document_id, kind, clerk, pdf, source_name=name)


def seal_appendix(document_id: int, file_id: int, clerk: User) -> DocumentFile:
    """A draft's appendix, sealed by the agency as a separate file (PL) once the document is
    issued (ND30 Appendix I: the text stamp, no image)."""
    outgoing = services.get_outgoing(document_id, clerk)
    source = next(
        (f for f in services.files_by_role(outgoing, services.DRAFT_APPENDIX) if f.id == file_id),
        None,
    )
    if source is None:
        raise AppError("file_not_found", _("Không tìm thấy phụ lục."), 404)
    return sign_copy(
        document_id, "PL", clerk, read_blob(source.sha256), source_name=source.filename
    )
