"""The yearly dossier list, filing documents, closing and transferring dossiers.

Each function checks, changes and flushes; the request or command that called it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from edoc.audit.services import record
from edoc.core.clock import local_today, to_local, utcnow
from edoc.core.errors import Conflict, Forbidden, NotFound, ValidationError
from edoc.core.extensions import db
from edoc.documents.access import can_see, get_visible_document, visible
from edoc.documents.models import Document
from edoc.dossiers.models import Dossier, DossierDocument, DossierStatus
from edoc.incoming.models import IncomingStatus
from edoc.outgoing.models import OutgoingStatus
from edoc.users.models import Role, User

FILERS = (Role.ARCHIVIST, Role.CLERK, Role.SPECIALIST)  # who may file documents into dossiers
# What a new year's list takes from last year's dossier of the same code.
COPIED_COLUMNS = ("code", "title", "retention_years", "keeper_id", "keeper_name", "unit_id")


@dataclass
class DossierFields:
    year: int
    code: str
    title: str
    retention_years: int | None = None  # None: permanent
    keeper_id: int | None = None
    unit_id: int | None = None
    note: str = ""


def _record(action: str, dossier: Dossier, actor: User, **details: object) -> None:
    record(action, actor=actor, object_type="dossier", object_id=dossier.id, **details)


def create(fields: DossierFields, actor: User) -> Dossier:
    code, title = fields.code.strip(), fields.title.strip()
    if not code or not title:
        raise ValidationError("invalid_dossier", _("Ký hiệu và tiêu đề hồ sơ là bắt buộc."))
    if fields.retention_years is not None and fields.retention_years < 1:
        raise ValidationError("invalid_retention", _("Thời hạn bảo quản phải lớn hơn 0 năm."))
    exists = db.session.scalar(
        select(Dossier.id).where(Dossier.year == fields.year, Dossier.code == code)
    )
    if exists:
        raise Conflict(
            "dossier_code_taken",
            _("Ký hiệu %(c)s đã có trong danh mục năm %(y)s.", c=code, y=fields.year),
        )
    dossier = Dossier(
        year=fields.year,
        code=code,
        title=title,
        retention_years=fields.retention_years,
        keeper_id=fields.keeper_id,
        keeper_name=keeper.full_name if (keeper := _keeper(fields.keeper_id)) else "",
        unit_id=fields.unit_id,
        note=fields.note.strip(),
    )
    db.session.add(dossier)
    db.session.flush()
    _record("dossier.created", dossier, actor, code=code)
    return dossier


def _keeper(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None


def copy_list(from_year: int, to_year: int, actor: User) -> int:
    """Start a year's list from last year's: same codes, titles, keepers; nothing filed yet."""
    existing = set(db.session.scalars(select(Dossier.code).where(Dossier.year == to_year)))
    copied = 0
    for source in db.session.scalars(select(Dossier).where(Dossier.year == from_year)):
        if source.code in existing:
            continue
        db.session.add(Dossier(year=to_year, **{c: getattr(source, c) for c in COPIED_COLUMNS}))
        copied += 1
    record(
        "dossier.list_copied",
        actor=actor,
        **{"from": from_year, "to": to_year, "count": copied},
    )
    db.session.flush()
    return copied


def get(dossier_id: int) -> Dossier:
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None:
        raise NotFound("dossier_not_found", _("Không tìm thấy hồ sơ."))
    return dossier


def by_code(year: int, code: str) -> Dossier:
    dossier = db.session.scalar(select(Dossier).where(Dossier.year == year, Dossier.code == code))
    if dossier is None:
        raise NotFound("dossier_not_found", _("Không tìm thấy hồ sơ %(c)s.", c=code))
    return dossier


@dataclass
class Filing:
    """A document's place in the dossiers, as its page shows it."""

    holding: list[Dossier]  # every dossier the document is filed in
    open_dossiers: list[Dossier]  # where this user may file it now (empty: may not file)
    can_file: bool


def filing_for(document: Document, user: User) -> Filing:
    """The dossiers holding ``document`` and the open ones of this year (and of the document's
    own year) it could still go into; nothing for a user who may not see the document."""
    if not can_see(user, document):
        return Filing([], [], False)
    holding = list(
        db.session.scalars(
            select(Dossier)
            .join(DossierDocument, DossierDocument.dossier_id == Dossier.id)
            .where(DossierDocument.document_id == document.id)
            .order_by(Dossier.year.desc(), Dossier.code)
        )
    )
    may_file = user.has_role(*FILERS)
    if not may_file:
        return Filing(holding, [], False)
    years = {to_local(utcnow()).year, _document_year(document)}
    query = select(Dossier).where(Dossier.status == DossierStatus.OPEN, Dossier.year.in_(years))
    if holding:
        query = query.where(Dossier.id.not_in([d.id for d in holding]))
    open_dossiers = list(db.session.scalars(query.order_by(Dossier.year.desc(), Dossier.code)))
    return Filing(holding, open_dossiers, True)


def _document_year(document: Document) -> int:
    if document.issued_date is not None:
        return document.issued_date.year
    return to_local(document.created_at or utcnow()).year


def add_documents(dossier_id: int, document_ids: list[int], actor: User) -> int:
    """File documents the actor may see into an open dossier (each at most once)."""
    dossier = get(dossier_id)
    if dossier.status != DossierStatus.OPEN:
        raise Conflict("dossier_not_open", _("Hồ sơ đã đóng, không thể thêm văn bản."))
    for document_id in document_ids:  # all checked before any is filed
        get_visible_document(document_id, actor)
    present = {entry.document_id for entry in dossier.entries}
    new = [i for i in dict.fromkeys(document_ids) if i not in present]
    ordinal = max((entry.ordinal for entry in dossier.entries), default=0)
    for offset, document_id in enumerate(new, start=1):
        dossier.entries.append(
            DossierDocument(document_id=document_id, ordinal=ordinal + offset, added_by_id=actor.id)
        )
    _record(
        "dossier.documents_added", dossier, actor, document_ids=list(document_ids), added=len(new)
    )
    db.session.flush()
    return len(new)


def close(dossier_id: int, actor: User, page_count: int | None = None) -> Dossier:
    """Close with its page count and the dates of its first and last document."""
    dossier = get(dossier_id)
    if dossier.status != DossierStatus.OPEN:
        raise Conflict("dossier_not_open", _("Hồ sơ không ở trạng thái đang mở."))
    if not dossier.entries:
        raise ValidationError("dossier_empty", _("Không thể đóng hồ sơ chưa có văn bản."))
    dates = [
        entry.document.issued_date or to_local(entry.document.created_at).date()
        for entry in dossier.entries
    ]
    pages = sum(entry.document.page_count or 0 for entry in dossier.entries)
    dossier.start_date, dossier.end_date = min(dates), max(dates)
    dossier.page_count = page_count or pages
    dossier.status = DossierStatus.CLOSED
    dossier.closed_at = utcnow()
    _record(
        "dossier.closed", dossier, actor, pages=dossier.page_count, documents=len(dossier.entries)
    )
    db.session.flush()
    return dossier


def visible_counts(dossier_ids: list[int], user: User) -> dict[int, int]:
    """Per dossier, how many of its documents ``user`` may see (counted in the query, through
    the one rule of ``documents.access``, so a count never betrays a secret document)."""
    if not dossier_ids:
        return {}
    query = (
        select(DossierDocument.dossier_id, func.count())
        .join(Document, Document.id == DossierDocument.document_id)
        .where(DossierDocument.dossier_id.in_(dossier_ids))
        .group_by(DossierDocument.dossier_id)
    )
    counts = {row[0]: row[1] for row in db.session.execute(visible(query, user))}
    return {dossier_id: counts.get(dossier_id, 0) for dossier_id in dossier_ids}


def above_clearance(dossiers: list[Dossier], user: User) -> int:
    """How many documents filed in ``dossiers`` ``user`` may not see."""
    filed = sum(len(dossier.entries) for dossier in dossiers)
    return filed - sum(visible_counts([d.id for d in dossiers], user).values())


def check_within_clearance(dossiers: list[Dossier], user: User) -> None:
    """A package, its transfer list or its download holds every document of its dossiers, so it
    is refused whole when one of them is above the user's clearance. Leaving those documents out
    instead would hand over an archive that says it is complete and is not; the count tells the
    archivist why, and whom to ask (someone with the clearance)."""
    hidden = above_clearance(dossiers, user)
    if hidden:
        raise Forbidden(
            "above_clearance",
            _(
                "Có %(n)s văn bản trong các hồ sơ đã chọn có độ mật cao hơn quyền tiếp cận "
                "của bạn; không thể xuất, tải hoặc nộp lưu các hồ sơ này. Người có quyền tiếp "
                "cận phù hợp cần thực hiện việc này.",
                n=hidden,
            ),
        )


def check_may_export(dossiers: list[Dossier], user: User | None) -> None:
    """Who may receive an archive package: an active archivist cleared for every document in it.
    Checked when the export is asked for, again when it runs, and again at download, since a
    role or clearance can be withdrawn in between."""
    if user is None or not user.active or not user.has_role(Role.ARCHIVIST):
        raise Forbidden("forbidden", _("Chỉ cán bộ lưu trữ được xuất gói lưu trữ."))
    if not dossiers or any(d.status == DossierStatus.OPEN for d in dossiers):
        raise Conflict("dossier_not_closed", _("Chỉ xuất được hồ sơ đã đóng."))
    check_within_clearance(dossiers, user)


def transfer(dossier_ids: list[int], actor: User) -> list[Dossier]:
    """Hand closed dossiers to the agency archive (its transfer list counts every document)."""
    dossiers = [get(i) for i in dossier_ids]
    check_within_clearance(dossiers, actor)
    not_closed = [d.code for d in dossiers if d.status != DossierStatus.CLOSED]
    if not_closed:
        raise Conflict(
            "dossier_not_closed",
            _("Chỉ nộp lưu hồ sơ đã đóng: %(c)s.", c=", ".join(not_closed)),
        )
    for dossier in dossiers:
        dossier.status = DossierStatus.TRANSFERRED
        dossier.transferred_at = utcnow()
        _record("dossier.transferred", dossier, actor)
    db.session.flush()
    return dossiers


#: ND30: dossiers kept this many years or more must go to the agency archive; shorter-lived
#: ones stay with the unit until they are disposed of.
TRANSFER_MIN_RETENTION = 5
#: Within this many days of its transfer deadline a dossier is listed as due.
TRANSFER_DUE_DAYS = 90


@dataclass(frozen=True)
class TransferDue:
    """A closed dossier that must be transferred, and by when (ND30: within one year of the
    work's end, which is when the dossier was closed)."""

    dossier: Dossier
    closed_on: date
    deadline: date
    overdue: bool
    due_soon: bool


def _plus_one_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def transfer_schedule() -> list[TransferDue]:
    """Every closed dossier that must be transferred (kept permanently or at least
    ``TRANSFER_MIN_RETENTION`` years), earliest deadline first, marked overdue or due soon."""
    today = local_today()
    dossiers = db.session.scalars(
        select(Dossier).where(
            Dossier.status == DossierStatus.CLOSED,
            or_(
                Dossier.retention_years.is_(None),
                Dossier.retention_years >= TRANSFER_MIN_RETENTION,
            ),
        )
    )
    schedule = []
    for dossier in dossiers:
        if dossier.closed_at is not None:
            closed_on = to_local(dossier.closed_at).date()
        else:  # an imported dossier: its last document's date, or its year's end
            closed_on = dossier.end_date or date(dossier.year, 12, 31)
        deadline = _plus_one_year(closed_on)
        overdue = deadline < today
        due_soon = not overdue and deadline <= today + timedelta(days=TRANSFER_DUE_DAYS)
        schedule.append(TransferDue(dossier, closed_on, deadline, overdue, due_soon))
    return sorted(schedule, key=lambda item: (item.deadline, item.dossier.code))


def due_for_transfer() -> list[TransferDue]:
    """The closed dossiers overdue for transfer or due within ``TRANSFER_DUE_DAYS``."""
    return [item for item in transfer_schedule() if item.overdue or item.due_soon]


#: Statuses in which a document is still being handled (not finished, returned or recalled).
IN_HAND = (
    IncomingStatus.RECEIVED,
    IncomingStatus.REGISTERED,
    IncomingStatus.PRESENTED,
    IncomingStatus.ROUTED,
    OutgoingStatus.DRAFT,
    OutgoingStatus.SUBMITTED,
    OutgoingStatus.SIGNED,
)


def in_hand(dossier: Dossier, user: User) -> tuple[list[Document], bool]:
    """The dossier's documents still being handled that ``user`` may see, in date order, and
    whether some above the user's clearance are too: said, never counted nor named, as the
    detail page never counts what the user may not see (a count would tell how many secret
    documents the dossier holds)."""
    documents = [entry.document for entry in dossier.entries if entry.document.status in IN_HAND]
    shown = [d for d in documents if can_see(user, d)]
    return sorted(shown, key=document_date), len(shown) < len(documents)


def document_date(document: Document) -> date:
    """The date a document is filed under: its own date, or the day it was recorded."""
    return document.issued_date or to_local(document.created_at).date()


def entries_in_date_order(dossier: Dossier, user: User) -> list[DossierDocument]:
    """The entries ``user`` may see, oldest document first (then in filing order)."""
    visible_entries = [e for e in dossier.entries if can_see(user, e.document)]
    return sorted(visible_entries, key=lambda e: (document_date(e.document), e.ordinal))


def reopen(dossier_id: int, reason: str, actor: User) -> Dossier:
    """Open a closed dossier again (a document was missed, a case resumed), with its reason in
    the audit log. Only a closed one: once transferred the archive holds it, and a disposed one
    is gone. Closing it again recomputes its dates and page count."""
    dossier = get(dossier_id)
    if dossier.status != DossierStatus.CLOSED:
        raise Conflict("dossier_not_closed", _("Chỉ mở lại được hồ sơ đã đóng, chưa nộp lưu."))
    if not reason.strip():
        raise ValidationError(
            "reason_required",
            _("Cần nêu lý do mở lại hồ sơ."),
            details={"reason": _("Cần nêu lý do mở lại hồ sơ.")},
        )
    dossier.status = DossierStatus.OPEN
    closed_at = dossier.closed_at
    dossier.closed_at = None
    _record(
        "dossier.reopened",
        dossier,
        actor,
        reason=reason.strip(),
        closed_at=closed_at.isoformat() if closed_at else None,
    )
    db.session.flush()
    return dossier


def set_legal_hold(dossier_id: int, hold: bool, reason: str, actor: User) -> Dossier:
    """A legal hold blocks any disposal until it is lifted (both recorded)."""
    dossier = get(dossier_id)
    if hold and not reason.strip():
        raise ValidationError("reason_required", _("Cần nêu căn cứ phong tỏa hồ sơ."))
    dossier.legal_hold = hold
    dossier.legal_hold_reason = reason.strip() if hold else ""
    action = "dossier.legal_hold_set" if hold else "dossier.legal_hold_lifted"
    _record(action, dossier, actor, reason=reason.strip())
    db.session.flush()
    return dossier


def due_for_appraisal() -> list[Dossier]:
    """Closed or transferred dossiers whose retention period has ended (by the clock)."""
    today = local_today()
    candidates = db.session.scalars(
        select(Dossier)
        .where(
            Dossier.status.in_([DossierStatus.CLOSED, DossierStatus.TRANSFERRED]),
            Dossier.retention_years.is_not(None),
        )
        .order_by(Dossier.year, Dossier.code)
    )
    return [d for d in candidates if d.retention_ends is not None and d.retention_ends <= today]


def dispose(dossier_id: int, decision: str, actor: User) -> Dossier:
    """Record the disposal decision for an expired dossier; never for one under legal hold.

    The decision and the list of documents are kept in the audit log and on the dossier; the
    files themselves stay until the destruction is carried out (a separate, recorded step).
    """
    dossier = get(dossier_id)
    if dossier.legal_hold:
        raise Conflict(
            "legal_hold", _("Hồ sơ đang bị phong tỏa: %(r)s", r=dossier.legal_hold_reason)
        )
    if dossier.retention_ends is None or dossier.retention_ends > local_today():
        raise Conflict("retention_not_over", _("Hồ sơ chưa hết thời hạn bảo quản."))
    if not decision.strip():
        raise ValidationError("decision_required", _("Cần ghi số, ngày quyết định hủy tài liệu."))
    dossier.status = DossierStatus.DISPOSED
    dossier.disposed_at = utcnow()
    dossier.disposal_decision = decision.strip()
    documents = [entry.document_id for entry in dossier.entries]
    _record("dossier.disposed", dossier, actor, decision=decision.strip(), documents=documents)
    db.session.flush()
    return dossier
