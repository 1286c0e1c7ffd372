"""The leader's personal signature through the local agent (``edoc-signer``).

Two steps with the page in between: :func:`prepare_batch` prepares each draft for the leader's
certificate (signature field and ND30 appearance, empty number and date fields for the clerk)
and returns the digests; the page has the agent sign them with one PIN; :func:`finish_batch`
embeds each signature, validates the result and only then makes it the document's file. The
prepared state lives in ``signing_requests`` and the blob store, so a restart between the two
steps loses nothing.
"""

from __future__ import annotations

import base64
import io
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from edoc.audit.services import record
from edoc.blobs.service import blob_store, storage_errors
from edoc.core.agency_key import trusted_certificates
from edoc.core.clock import utcnow
from edoc.core.errors import AppError, Conflict, Forbidden
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.documents.files import CheckedFile
from edoc.documents.models import Document
from edoc.documents.records import add_file, audit
from edoc.outgoing import authority
from edoc.outgoing.models import OutgoingDocument, OutgoingStatus, SigningRequest
from edoc.outgoing.services import get_outgoing
from edoc.users.models import Role, User
from signing.appearance import Box, PersonalAppearance, draw_signature_image
from signing.errors import SignatureRejected
from signing.formfields import DATE_FIELD, NUMBER_FIELD, TextFieldSpec
from signing.remote import PreparedSignature, SignatureFieldSpec, SignatureOptions, finish, prepare
from signing.validation import validate_pdf

# Where ND30 puts things on an A4 page (PDF points, origin bottom-left); one layout for now.
NUMBER_BOX = Box(60, 730, 280, 750)
DATE_BOX = Box(300, 730, 560, 750)
LEADER_BOX = Box(340, 110, 540, 250)
LEADER_FIELD = "ChuKyLanhDao"


class SigningFailed(AppError):
    status = 422


def read_blob(sha256: str) -> bytes:
    with storage_errors(), blob_store().open(sha256) as stream:
        return stream.read()


def _store(data: bytes) -> str:
    with storage_errors():
        return blob_store().put(io.BytesIO(data)).sha256


def signed_under_title(outgoing: OutgoingDocument, leader: User) -> str:
    """The signer's own title as the document prints it under the authority line ("CHỦ TỊCH",
    "PHÓ CHỦ TỊCH"), which the signing page compares with the certificate's title."""
    return authority.upper(authority.signer_title(outgoing, leader))


def fold_title(title: str) -> str:
    """A title compared without case, accents or spacing: "Phó  Chủ tịch" → "pho chu tich".

    ``static/js/sign.js`` folds the certificate's title the same way (``foldTitle``)."""
    decomposed = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().replace(".", " ").split())


def _failure_message(error: Exception, document_id: int) -> str:
    """What the leader is told about one document that could not be signed (in Vietnamese;
    the technical reason is kept in the signing request for the operator)."""
    if isinstance(error, AppError):
        return error.message
    if isinstance(error, SignatureRejected):
        return _(
            "Văn bản %(id)s: chữ ký trả về không khớp với văn bản đã chuẩn bị (có thể đã chọn "
            "chứng thư khác); chưa ký, hãy ký lại.",
            id=document_id,
        )
    return _(
        "Văn bản %(id)s: không gắn được chữ ký vào tệp hoặc chữ ký sau khi gắn không hợp lệ; "
        "chưa ký, hãy ký lại.",
        id=document_id,
    )


@dataclass
class DigestToSign:
    request_id: int
    document_id: int
    digest: bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": f"sr-{self.request_id}",
            "document_id": self.document_id,
            "digest": base64.b64encode(self.digest).decode(),
            "digest_algorithm": "sha256",
        }


def waiting_for(leader: User) -> list[OutgoingDocument]:
    return list(
        db.session.scalars(
            select(OutgoingDocument)
            .join(OutgoingDocument.document)
            .where(
                OutgoingDocument.signer_id == leader.id,
                Document.status == OutgoingStatus.SUBMITTED,
                Document.secrecy <= leader.clearance,
            )
            .order_by(OutgoingDocument.document_id)
        )
    )


def prepare_batch(
    document_ids: list[int],
    certificate_der: bytes,
    leader: User,
    read_versions: dict[int, str] | None = None,
) -> list[DigestToSign]:
    """Prepare every draft for this certificate; nothing is signed yet.

    ``read_versions`` (document id → SHA-256) names the version of each draft the leader read
    on the signing page: a draft revised since is refused with a :class:`Conflict`, so what is
    signed is what was read, not whatever the drafter uploaded meanwhile.

    Preparing reads and rewrites each PDF (slow on a large or hostile file), so it runs with
    no transaction open; the signing requests are then written together, after the state of
    each draft is read again (flushed; the caller commits before :func:`finish_batch`).
    """
    if not leader.has_role(Role.LEADER):
        raise Forbidden("not_leader", _("Chỉ lãnh đạo được ký văn bản."))
    settings = current_app.config["EDOC"]
    tsa_url = settings.tsa_url or None
    prepared_drafts: list[tuple[int, int, PreparedSignature, str]] = []
    for document_id in document_ids:
        outgoing = _waiting_for_signature(document_id, leader)
        version = outgoing.current_version
        version_sha256, version_number = version.sha256, version.number
        read = (read_versions or {}).get(document_id)
        if read is not None and read != version_sha256:
            raise Conflict(
                "draft_version_changed",
                _(
                    "Dự thảo “%(s)s” đã có phiên bản mới, hãy đọc lại trước khi ký.",
                    s=outgoing.document.subject,
                ),
            )
        try:
            lines = authority.authority_lines(outgoing, leader)
        except AppError as error:  # an agency setting cleared since the draft was submitted
            raise SigningFailed(
                "authority_incomplete", _("Văn bản %(id)s: %(e)s", id=document_id, e=error.message)
            ) from error
        appearance = PersonalAppearance(
            title="\n".join(lines),
            full_name=leader.full_name,
            signature_image=draw_signature_image(leader.full_name),
        )
        reason = f"{leader.full_name} ký ban hành"
        chain = trusted_certificates()
        try:
            with outside_transaction():
                prepared = prepare(
                    read_blob(version_sha256),
                    signer_cert=certificate_der,
                    options=SignatureOptions(
                        field=SignatureFieldSpec(LEADER_FIELD, LEADER_BOX, page=-1),
                        appearance=appearance,
                        chain=chain,
                        level="B-T" if tsa_url else "B-B",
                        tsa_url=tsa_url,
                        text_fields=(
                            TextFieldSpec(NUMBER_FIELD, NUMBER_BOX, font_size=12),
                            TextFieldSpec(DATE_FIELD, DATE_BOX, font_size=12),
                        ),
                        reason=reason,
                    ),
                )
                prepared_sha256 = _store(prepared.prepared_pdf)
        except ValueError as error:
            raise SigningFailed(
                "prepare_failed", _("Không chuẩn bị được văn bản để ký: %(e)s", e=error)
            ) from error
        prepared_drafts.append((document_id, version_number, prepared, prepared_sha256))
    digests = []
    for document_id, version_number, prepared, prepared_sha256 in prepared_drafts:
        outgoing = _waiting_for_signature(document_id, leader)
        if outgoing.current_version.number != version_number:
            raise SigningFailed(
                "draft_changed", _("Dự thảo %(id)s vừa được cập nhật; hãy ký lại.", id=document_id)
            )
        request = SigningRequest(
            document_id=document_id,
            kind="personal",
            user_id=leader.id,
            prepared={
                "state": prepared.to_dict(include_pdf=False),
                "prepared_pdf_sha256": prepared_sha256,
                "version": version_number,
            },
        )
        db.session.add(request)
        db.session.flush()
        digests.append(DigestToSign(request.id, document_id, prepared.digest_to_sign))
    record(
        "outgoing.signing_prepared",
        actor=leader,
        document_ids=document_ids,
        requests=[d.request_id for d in digests],
    )
    return digests


def _waiting_for_signature(document_id: int, leader: User) -> OutgoingDocument:
    outgoing = get_outgoing(document_id, leader)
    if outgoing.status != OutgoingStatus.SUBMITTED or outgoing.signer_id != leader.id:
        raise SigningFailed(
            "not_waiting_for_you", _("Văn bản %(id)s không chờ bạn ký.", id=document_id)
        )
    return outgoing


def finish_batch(signatures: dict[str, str], leader: User) -> dict[str, Any]:
    """Embed each returned signature; a document is signed only if its result validates.

    Embedding and validating are slow, so they run with no transaction open; each document is
    then written in a short transaction of its own, after its request is read again. That
    commit is the slow-work boundary of :mod:`edoc.core.transactions`: the next document's
    embedding may not start with writes pending.
    """
    done, failed = [], {}
    trust = current_app.config["EDOC"].trust_roots()
    for item_id, signature_b64 in signatures.items():
        request_id = int(item_id.removeprefix("sr-"))
        request = db.session.get(SigningRequest, request_id)
        if request is None or request.user_id != leader.id or request.status != "pending":
            failed[item_id] = _("Yêu cầu ký không tồn tại hoặc đã xử lý.")
            continue
        state, prepared_sha256 = request.prepared["state"], request.prepared["prepared_pdf_sha256"]
        error: Exception | None = None
        with outside_transaction():
            try:
                prepared = PreparedSignature.from_json(
                    json.dumps(state), prepared_pdf=read_blob(prepared_sha256)
                )
                signed = finish(
                    prepared,
                    signature=base64.b64decode(signature_b64),
                    trust_roots=trusted_certificates(),
                )
                report = validate_pdf(signed, trust_roots=trust)
                if report.verdict != "ok":
                    raise ValueError(_("chữ ký sau khi nhúng không hợp lệ"))
            except Exception as exc:  # a bad signature must never become the document's file
                error = exc
            else:
                sha256 = _store(signed)
        # Read again, locked: another finish of the same request, a new version of the draft
        # or its withdrawal may have happened while no transaction was open.
        request = db.session.scalars(
            select(SigningRequest)
            .where(SigningRequest.id == request_id)
            .with_for_update(of=SigningRequest)
        ).one()
        if request.status != "pending":  # finished by another request meanwhile
            failed[item_id] = _("Yêu cầu ký không tồn tại hoặc đã xử lý.")
            continue
        outgoing = db.session.scalars(
            select(OutgoingDocument)
            .where(OutgoingDocument.document_id == request.document_id)
            .with_for_update(of=OutgoingDocument)  # its eager joins cannot be locked
        ).one()
        still_waiting = (
            outgoing.status == OutgoingStatus.SUBMITTED
            and outgoing.signer_id == leader.id
            and outgoing.current_version.number == request.prepared["version"]
        )
        if error is None and not still_waiting:
            error = SigningFailed(
                "draft_changed",
                _("Dự thảo %(id)s vừa được cập nhật; hãy ký lại.", id=request.document_id),
            )
        if error is not None:
            request.status, request.error = "failed", str(error)[:2000]
            db.session.commit()  # slow-work boundary: the next embedding runs with none open
            failed[item_id] = _failure_message(error, request.document_id)
            continue
        document = outgoing.document
        filename = outgoing.current_version.filename
        add_file(
            document,
            "main",
            CheckedFile.signed_pdf(filename, sha256, len(signed), report.to_dict()),
        )
        document.status = OutgoingStatus.SIGNED
        # What the signature's appearance printed, kept for edXML and the register: until now
        # only a title the drafter typed was stored (the signer may have changed meanwhile).
        document.signer_title = authority.signer_title(outgoing, leader)
        outgoing.signed_at = utcnow()
        request.status, request.completed_at = "signed", utcnow()
        db.session.flush()
        audit(
            "outgoing.signed",
            leader,
            document.id,
            sha256=sha256,
            signer=report.signatures[-1].signer_name,
        )
        db.session.commit()  # slow-work boundary: the next embedding runs with none open
        done.append(document.id)
    return {"signed": done, "failed": failed}
