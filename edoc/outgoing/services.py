"""Outgoing documents: drafting, review, numbering, recall.

Signing lives in :mod:`edoc.outgoing.signing`, sending in :mod:`edoc.outgoing.sending`; this
module owns the document's life before and after them. Its functions flush; the request (or
command) that called them commits. Numbers are the exception: :func:`allocate_number` commits
its own transaction and records the number in ``number_allocations``, so a number is never
given twice and one whose issue failed stays in the register as void with its reason.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import Select, select
from werkzeug.datastructures import FileStorage

from edoc.core.clock import to_local, utcnow
from edoc.core.errors import AppError, Conflict, Forbidden, NotFound, ValidationError
from edoc.core.extensions import db
from edoc.core.transactions import slow_work
from edoc.documents import files
from edoc.documents.access import get_visible_document, visible
from edoc.documents.agency import agency_code, agency_name, signing_titles
from edoc.documents.listing import ListFilter, filtered, one_page
from edoc.documents.models import Direction, Document, DocumentFile, DocumentType, Register
from edoc.documents.numbering import next_number
from edoc.documents.records import audit, history, new_document, new_register, require_status
from edoc.outgoing.authority import authority_errors, authority_lines
from edoc.outgoing.models import (
    DraftVersion,
    NumberAllocation,
    OutgoingDocument,
    OutgoingStatus,
    ReviewComment,
)
from edoc.users.models import Role, User

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CONVERT_TIMEOUT_SECONDS = 120


@dataclass
class DraftFields:
    """A draft's particulars, as :class:`edoc.outgoing.schemas.DraftForm` loads them."""

    doc_type: str
    subject: str
    recipients: str = ""
    signer_id: int | None = None
    authority_prefix: str = ""
    signer_title: str = ""  # the title it is signed under; empty: the signer's own
    urgency: int = 0
    secrecy: int = 0
    copies: int = 1
    legal_normative: bool = False

    def validate(self, actor: User) -> None:
        """The rules the schema cannot check: they need the database or the drafter."""
        errors: dict[str, str] = {}
        doc_type = db.session.get(DocumentType, self.doc_type)
        if doc_type is None:
            errors["doc_type"] = _("Loại văn bản không hợp lệ: %(t)s.", t=self.doc_type)
        elif self.legal_normative and not doc_type.legal_normative:
            errors["legal_normative"] = _("Loại văn bản này không phải văn bản QPPL.")
        if self.secrecy > actor.clearance:
            errors["secrecy"] = _("Độ mật không hợp lệ.")
        title = self.signer_title.strip()
        if self.signer_id is not None:
            signer = db.session.get(User, self.signer_id)
            if signer is None or not signer.has_role(Role.LEADER) or not signer.active:
                errors["signer_id"] = _("Người ký phải là lãnh đạo.")
            elif self.secrecy > signer.clearance:
                errors["signer_id"] = _("Người ký không được tiếp cận văn bản mật này.")
            else:
                title = title or signer.title
        errors.update(authority_errors(self.authority_prefix, title, signing_titles()))
        if errors:
            raise ValidationError(
                "invalid_fields", _("Thông tin dự thảo chưa hợp lệ."), details=errors
            )


def docx_to_pdf(source: Path, out_dir: Path) -> Path:
    """Convert with LibreOffice headless, with a private profile, a time and a memory limit."""
    profile = out_dir / "lo-profile"
    try:
        files.run_file_tool(
            [
                "soffice",
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                str(source),
            ],
            timeout=CONVERT_TIMEOUT_SECONDS,
        )
    except (subprocess.TimeoutExpired, FileNotFoundError) as error:
        raise files.FileRejected(
            "conversion_failed", _("Không chuyển được tệp DOCX sang PDF.")
        ) from error
    produced = out_dir / (source.stem + ".pdf")
    if not produced.is_file() or produced.stat().st_size == 0:
        raise files.FileRejected(
            "conversion_failed", _("Không chuyển được tệp DOCX sang PDF; tệp có thể bị hỏng.")
        )
    return produced


@slow_work
def accept_draft_file(upload: FileStorage) -> tuple[files.CheckedFile, str]:
    """A draft as PDF, or DOCX converted to PDF; returns the PDF and the DOCX's hash if any.

    Runs with no transaction open (LibreOffice may take minutes on a hostile file); callers
    check again what may have changed meanwhile before they write."""
    name = (upload.filename or "").lower()
    if not name.endswith(".docx") and upload.mimetype != DOCX_TYPE:
        return files.accept_pdf(upload, validate_signatures=False, fallback_name="du-thao.pdf"), ""
    with tempfile.TemporaryDirectory(dir=files.tmp_root()) as directory:
        source = Path(directory) / "du-thao.docx"
        with source.open("wb") as out:
            shutil.copyfileobj(upload.stream, out, length=1024 * 1024)
        if source.stat().st_size == 0:
            raise files.FileRejected("empty_file", _("Tệp rỗng (0 byte)."))
        docx_sha, _size = files.store_path(source)
        pdf = docx_to_pdf(source, Path(directory))
        check = files.check_pdf(pdf, validate_signatures=False)
        sha256, size = files.store_path(pdf)
    checked = files.CheckedFile(
        filename=files.clean_filename(Path(upload.filename or "du-thao").stem)[:250] + ".pdf",
        content_type="application/pdf",
        sha256=sha256,
        size=size,
        page_count=check.page_count,
        active_content=check.active_content,
    )
    return checked, docx_sha


def create_draft(fields: DraftFields, upload: FileStorage, actor: User) -> OutgoingDocument:
    fields.validate(actor)
    checked, docx_sha = accept_draft_file(upload)
    document = new_document(
        Direction.OUTGOING,
        OutgoingStatus.DRAFT,
        doc_type_code=fields.doc_type,
        subject=fields.subject.strip(),
        issuer_org=agency_name(),
        signer_title=fields.signer_title.strip(),
        urgency=fields.urgency,
        secrecy=fields.secrecy,
        page_count=checked.page_count,
        created_by_id=actor.id,
    )
    outgoing = OutgoingDocument(
        document=document,
        drafter_id=actor.id,
        signer_id=fields.signer_id,
        authority_prefix=fields.authority_prefix,
        recipients=fields.recipients.strip(),
        copies=fields.copies,
        legal_normative=fields.legal_normative,
    )
    outgoing.versions.append(_version(1, checked, docx_sha, actor, ""))
    db.session.add(outgoing)
    db.session.flush()
    audit(
        "outgoing.draft_created",
        actor,
        document.id,
        sha256=checked.sha256,
        docx_sha256=docx_sha or None,
    )
    return outgoing


def _version(
    number: int, checked: files.CheckedFile, docx_sha: str, actor: User, note: str
) -> DraftVersion:
    return DraftVersion(
        number=number,
        filename=checked.filename,
        sha256=checked.sha256,
        size=checked.size,
        source_sha256=docx_sha,
        note=note,
        active_content=checked.active_content,
        created_by_id=actor.id,
    )


def get_outgoing(document_id: int, user: User) -> OutgoingDocument:
    """The outgoing document if ``user`` may see it (its secrecy, and its readers while it is
    not issued: :mod:`edoc.outgoing.access`); 404 otherwise, as for one that does not exist."""
    get_visible_document(document_id, user)
    outgoing = db.session.get(OutgoingDocument, document_id)
    if outgoing is None:
        raise NotFound("document_not_found", _("Không tìm thấy văn bản."))
    return outgoing


def _require_author(outgoing: OutgoingDocument, actor: User, refusal: str) -> None:
    """Changing the text or sending it up is for its drafter, or a leader among its readers
    (the unit's head or the chosen signer); the other readers may only comment. A reader is
    refused with 403: they already know the draft exists."""
    if actor.id != outgoing.drafter_id and not actor.has_role(Role.LEADER):
        raise Forbidden("not_drafter", refusal)


def add_version(document_id: int, upload: FileStorage, actor: User, note: str = "") -> DraftVersion:
    """The drafter revises; earlier versions and their comments are kept."""
    outgoing = get_outgoing(document_id, actor)
    require_status(outgoing, OutgoingStatus.DRAFT, OutgoingStatus.SUBMITTED)
    _require_author(outgoing, actor, _("Chỉ người soạn thảo được cập nhật dự thảo."))
    checked, docx_sha = accept_draft_file(upload)
    require_status(outgoing, OutgoingStatus.DRAFT, OutgoingStatus.SUBMITTED)  # read again after it
    version = _version(len(outgoing.versions) + 1, checked, docx_sha, actor, note.strip())
    outgoing.versions.append(version)
    outgoing.document.page_count = checked.page_count
    outgoing.document.status = OutgoingStatus.DRAFT  # a new text needs a new review/signature
    db.session.flush()
    audit(
        "outgoing.version_added", actor, document_id, version=version.number, sha256=checked.sha256
    )
    return version


DRAFT_APPENDIX = "appendix_draft"  # a draft's appendix; sealed ones after issue are "appendix"


def add_appendix(document_id: int, upload: FileStorage, actor: User) -> DocumentFile:
    """An appendix (phụ lục) in a separate file, checked like the draft itself (PDF, or DOCX
    converted to PDF), stored before the row that points to it."""
    outgoing = get_outgoing(document_id, actor)
    require_status(outgoing, OutgoingStatus.DRAFT, OutgoingStatus.SUBMITTED)
    _require_author(outgoing, actor, _("Chỉ người soạn thảo được thêm phụ lục."))
    checked, docx_sha = accept_draft_file(upload)
    require_status(outgoing, OutgoingStatus.DRAFT, OutgoingStatus.SUBMITTED)  # read again after it
    stored = checked.as_document_file(DRAFT_APPENDIX)
    outgoing.document.files.append(stored)
    db.session.flush()
    audit(
        "outgoing.appendix_added",
        actor,
        document_id,
        file_id=stored.id,
        filename=stored.filename,
        sha256=checked.sha256,
        docx_sha256=docx_sha or None,
    )
    return stored


def files_by_role(outgoing: OutgoingDocument, *roles: str) -> list[DocumentFile]:
    return [f for f in outgoing.document.files if f.role in roles]


def document_file(document_id: int, file_id: int, user: User) -> DocumentFile:
    """One stored file (appendix, copy …) of a document the user may see; the download is
    audited."""
    outgoing = get_outgoing(document_id, user)
    stored = next((f for f in outgoing.document.files if f.id == file_id), None)
    if stored is None:
        raise NotFound("file_not_found", _("Không tìm thấy tệp."))
    audit(
        "document.file_downloaded",
        user,
        document_id,
        sha256=stored.sha256,
        file_id=stored.id,
        role=stored.role,
    )
    return stored


def comment(document_id: int, actor: User, text: str) -> ReviewComment:
    outgoing = get_outgoing(document_id, actor)
    require_status(outgoing, OutgoingStatus.DRAFT, OutgoingStatus.SUBMITTED)
    note = ReviewComment(
        version_number=outgoing.current_version.number if outgoing.current_version else 0,
        author_id=actor.id,
        text=text.strip(),
    )
    outgoing.comments.append(note)
    db.session.flush()
    audit("outgoing.commented", actor, document_id)
    return note


def return_to_drafter(document_id: int, actor: User, text: str) -> OutgoingDocument:
    """The leader asked to sign gives the draft back to its drafter with what to change.

    The comment is kept with the version it is about (beside the other review comments); the
    draft is a draft again, so the drafter revises it and submits it anew. Only the leader it
    waits for may do it: another reader comments instead (403, they know the draft exists)."""
    outgoing = get_outgoing(document_id, actor)
    require_status(outgoing, OutgoingStatus.SUBMITTED)
    if actor.id != outgoing.signer_id:
        raise Forbidden(
            "not_signer", _("Chỉ lãnh đạo được trình ký văn bản này mới trả lại được dự thảo.")
        )
    text = text.strip()
    if not text:
        raise ValidationError(
            "comment_required",
            _("Cần nêu nội dung cần sửa khi trả lại dự thảo."),
            details={"comment": _("Cần nêu nội dung cần sửa khi trả lại dự thảo.")},
        )
    version = outgoing.current_version.number if outgoing.current_version else 0
    outgoing.comments.append(ReviewComment(version_number=version, author_id=actor.id, text=text))
    outgoing.document.status = OutgoingStatus.DRAFT
    db.session.flush()
    audit(
        "outgoing.returned",
        actor,
        document_id,
        version=version,
        drafter_id=outgoing.drafter_id,
        comment=text[:500],
    )
    return outgoing


def shown_file(outgoing: OutgoingDocument) -> DraftVersion | DocumentFile:
    """The file a reader of the document is shown: the signed main file once there is one,
    else the draft's current version."""
    main = outgoing.document.main_file
    if main is not None:
        return main
    if outgoing.current_version is None:
        raise NotFound("file_not_found", _("Không tìm thấy tệp."))
    return outgoing.current_version


def page_viewed(
    outgoing: OutgoingDocument, user: User, stored: DraftVersion | DocumentFile
) -> None:
    """Audit the reading of a secret document's pages in the viewer, once per reader and file
    (a viewer asks for every page, at several widths: one entry says who read which text)."""
    document = outgoing.document
    if document.secrecy <= 0:
        return
    # Lock the document so the viewer's parallel page requests write one entry, not several.
    db.session.execute(select(Document.id).where(Document.id == document.id).with_for_update())
    for event in history(document.id):
        if (
            event.action == "document.page_viewed"
            and event.actor_id == user.id
            and event.details.get("sha256") == stored.sha256
        ):
            return
    audit("document.page_viewed", user, document.id, sha256=stored.sha256)


def submit(document_id: int, actor: User, signer_id: int | None = None) -> OutgoingDocument:
    """Send the draft to the leader who will sign it."""
    outgoing = get_outgoing(document_id, actor)
    require_status(outgoing, OutgoingStatus.DRAFT)
    _require_author(outgoing, actor, _("Chỉ người soạn thảo được trình ký dự thảo."))
    signer_id = signer_id or outgoing.signer_id
    signer = db.session.get(User, signer_id) if signer_id else None
    if signer is None or not signer.has_role(Role.LEADER):
        raise ValidationError("signer_required", _("Cần chọn lãnh đạo ký văn bản."))
    if outgoing.document.secrecy > signer.clearance:
        raise ValidationError(
            "signer_not_cleared", _("Lãnh đạo được chọn không được tiếp cận văn bản mật này.")
        )
    outgoing.signer_id = signer.id
    outgoing.document.signer_name = signer.full_name
    # ``signer_title`` keeps only what the drafter typed: the signer's own title is worked out
    # from whoever signs (authority.signer_title), so a draft returned and sent to another
    # leader never carries the first one's title; it is written down when the leader signs.
    authority_lines(outgoing, signer)  # refused now, with the reason, if it cannot be printed
    outgoing.document.status = OutgoingStatus.SUBMITTED
    db.session.flush()
    audit(
        "outgoing.submitted",
        actor,
        document_id,
        signer=signer.username,
        version=outgoing.current_version.number,
    )
    return outgoing


def register_for(outgoing: OutgoingDocument) -> Register:
    """The number series: secret documents, each legal-normative type, or the common one."""
    document = outgoing.document
    if document.secrecy > 0:
        code = "DI-MAT"
    elif outgoing.legal_normative:
        code = f"QPPL-{document.doc_type_code}"
    else:
        code = "DI"
    register = db.session.scalar(
        select(Register).where(Register.direction == Direction.OUTGOING, Register.code == code)
    )
    if register is None and outgoing.legal_normative:
        register = new_register(
            Direction.OUTGOING,
            code,
            f"Sổ văn bản quy phạm pháp luật — {document.doc_type.name}",
            doc_type_code=document.doc_type_code,
        )
        db.session.flush()
    if register is None:
        raise AppError("register_missing", _("Chưa cấu hình sổ văn bản đi."), status=500)
    return register


def format_notation(number: int, outgoing: OutgoingDocument) -> str:
    """ND30: ``05/QĐ-UBND``; official letters carry the drafting unit instead of a type."""
    document = outgoing.document
    issuer = agency_code()
    if document.doc_type.abbreviation:
        return f"{number:02d}/{document.doc_type.abbreviation}-{issuer}"
    unit = outgoing.drafter.unit
    return f"{number:02d}/{issuer}-{unit.code if unit else issuer}"


def allocate_number(outgoing: OutgoingDocument, actor: User) -> NumberAllocation:
    """Take the next number in its own committed transaction, reserved for this document."""
    register = register_for(outgoing)
    year = to_local(utcnow()).year
    number = next_number(register.id, year)
    allocation = NumberAllocation(
        register_id=register.id, year=year, number=number, document_id=outgoing.document_id
    )
    db.session.add(allocation)
    audit(
        "outgoing.number_allocated",
        actor,
        outgoing.document_id,
        register=register.code,
        year=year,
        number=number,
    )
    db.session.commit()  # the number must outlive a failed issue: voided then, never reused
    return allocation


def void_number(allocation_id: int, reason: str, actor: User) -> None:
    """An issue that failed after its number was taken: the number stays accounted for.

    The failed issue's own writes are dropped; the void is committed at once, like the
    allocation, so no later refusal of the request can bring the number back."""
    db.session.rollback()
    allocation = db.session.get(NumberAllocation, allocation_id)
    allocation.status = "void"
    allocation.reason = reason[:2000]
    audit(
        "outgoing.number_voided",
        actor,
        allocation.document_id,
        number=allocation.number,
        year=allocation.year,
        reason=reason[:500],
    )
    db.session.commit()  # as allocate_number: the register accounts for every number given


def recall(
    document_id: int, actor: User, reason: str, replaced_by_id: int | None = None
) -> OutgoingDocument:
    """Recall (or replace) an issued document: it keeps its number; recipients are told."""
    outgoing = get_outgoing(document_id, actor)
    require_status(outgoing, OutgoingStatus.ISSUED)
    outgoing.recall_reason = reason.strip()
    outgoing.recalled_at = utcnow()
    outgoing.replaced_by_id = replaced_by_id
    outgoing.document.status = (
        OutgoingStatus.REPLACED if replaced_by_id else OutgoingStatus.RECALLED
    )
    _tell_recipients(outgoing, actor)
    db.session.flush()
    audit(
        "outgoing.recalled",
        actor,
        document_id,
        reason=outgoing.recall_reason,
        replaced_by=replaced_by_id,
    )
    return outgoing


def replace(document_id: int, replacement_id: int, actor: User, reason: str) -> OutgoingDocument:
    """Replace an issued document by another issued one (a corrected text with its own
    number): the old one is marked replaced and linked to the new, and every recipient it went
    to by exchange receives the new one as a replacement (edXML business type 3), which marks
    its copy of the old one replaced and links the two there too."""
    if replacement_id == document_id:
        raise ValidationError(
            "replacement_invalid",
            _("Văn bản thay thế phải là một văn bản khác."),
            details={"replacement_id": _("Văn bản thay thế phải là một văn bản khác.")},
        )
    try:
        replacement = get_outgoing(replacement_id, actor)
    except NotFound:
        replacement = None
    if replacement is None or replacement.document.status != OutgoingStatus.ISSUED:
        message = _("Văn bản thay thế phải là văn bản đi đã phát hành.")
        raise ValidationError("replacement_invalid", message, details={"replacement_id": message})
    old = get_outgoing(document_id, actor)
    sent_out = any(dispatch.channel == "edxml" for dispatch in old.dispatches)
    if replacement.document.secrecy > 0 and sent_out:
        # the replacement would travel as a package: no secret goes over the network
        raise AppError(
            "secret_not_exchangeable",
            _(
                "Văn bản thay thế là văn bản mật: không gửi được qua liên thông điện tử đến "
                "nơi đã nhận văn bản cũ; hãy gửi bản giấy theo quy định về bảo vệ bí mật nhà nước."
            ),
            422,
        )
    if replaced_by(replacement_id) is not None:
        raise Conflict(
            "replacement_in_use",
            _(
                "Văn bản %(n)s đã được dùng để thay thế một văn bản khác.",
                n=replacement.document.number_notation,
            ),
        )
    return recall(document_id, actor, reason, replaced_by_id=replacement_id)


def replaced_by(replacement_id: int) -> OutgoingDocument | None:
    """The document ``replacement_id`` replaces, if any (the other side of ``replaced_by_id``)."""
    return db.session.scalar(
        select(OutgoingDocument).where(OutgoingDocument.replaced_by_id == replacement_id)
    )


def replacement_candidates(document_id: int, user: User) -> list[OutgoingDocument]:
    """Issued documents ``user`` may see that could replace ``document_id``: not itself, not
    one already replacing another; newest first."""
    used = select(OutgoingDocument.replaced_by_id).where(
        OutgoingDocument.replaced_by_id.is_not(None)
    )
    query = (
        select(OutgoingDocument)
        .join(Document, Document.id == OutgoingDocument.document_id)
        .where(
            Document.status == OutgoingStatus.ISSUED,
            OutgoingDocument.document_id != document_id,
            OutgoingDocument.document_id.not_in(used),
        )
        .order_by(Document.id.desc())
        .limit(200)
    )
    return list(db.session.scalars(visible(query, user)))


def _tell_recipients(outgoing: OutgoingDocument, actor: User) -> None:
    """Mark every delivery recalled; recipients served here see it on their incoming copy
    (:func:`edoc.outgoing.sending.recall_notice`) and in its history."""
    for dispatch in outgoing.dispatches:
        dispatch.status = "recalled"
        dispatch.note = outgoing.recall_reason
        if dispatch.incoming_document_id and db.session.get(
            Document, dispatch.incoming_document_id
        ):
            audit(
                "incoming.sender_recalled",
                actor,
                dispatch.incoming_document_id,
                reason=outgoing.recall_reason,
            )


class OutgoingFilter(ListFilter):
    """The outgoing list's filters: those every document list has."""


def list_query(user: User, flt: OutgoingFilter) -> Select:
    query = select(OutgoingDocument).join(Document, Document.id == OutgoingDocument.document_id)
    return filtered(visible(query, user), flt)


def list_outgoing(user: User, flt: OutgoingFilter) -> tuple[int, list[OutgoingDocument]]:
    """One page of the outgoing documents ``user`` may see, latest change first."""
    return one_page(list_query(user, flt), flt, Document.updated_at.desc(), Document.id.desc())


def register_rows(
    user: User, date_from: date, date_to: date, register_code: str = "DI"
) -> list[NumberAllocation]:
    register = db.session.scalar(
        select(Register).where(
            Register.direction == Direction.OUTGOING, Register.code == register_code
        )
    )
    if register is None or (register.secret and user.clearance == 0):
        raise NotFound("register_not_found", _("Không tìm thấy sổ văn bản đi."))
    return list(
        db.session.scalars(
            select(NumberAllocation)
            .join(Document, Document.id == NumberAllocation.document_id)
            .where(
                NumberAllocation.register_id == register.id,
                NumberAllocation.year.between(date_from.year, date_to.year),
                Document.secrecy <= user.clearance,
            )
            .order_by(NumberAllocation.year, NumberAllocation.number)
        )
    )
