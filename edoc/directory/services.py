"""Changes to the directory of agencies, and the ways to look it up.

Every agency is written here: one at a time (:func:`create_organization`,
:func:`update_organization`, :func:`deactivate_organization`) or from a file
(:func:`import_table`, all rows or none). A code (mã định danh) is checked with the one rule
of :mod:`edoc.core.organ_codes`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from edoc.audit.services import Actor, Operator, record
from edoc.core.auth import Person, Role
from edoc.core.errors import Conflict, Forbidden, NotFound, ValidationError
from edoc.core.extensions import db
from edoc.core.organ_codes import EXAMPLE, is_organ_code
from edoc.core.paging import one_page
from edoc.directory.models import Level, Organization
from edoc.directory.tables import Table
from search.analysis import fold

#: What an agency holds besides its code, by the column of a directory file that carries it.
FIELD_OF_COLUMN = {
    "ten": "name",
    "ma_cap_tren": "parent_code",
    "cap": "level",
    "dia_chi": "address",
    "email": "email",
    "dien_thoai": "phone",
}
MAX_LENGTHS = {"name": 255, "address": 500, "email": 255, "phone": 64}
MAX_PARENT_DEPTH = 20
MAX_REPORTED_ERRORS = 200


def column_label(column: str) -> str:
    """The heading a person sees for a column of a directory file."""
    return {
        "ma_dinh_danh": _("Mã định danh"),
        "ten": _("Tên cơ quan"),
        "ma_cap_tren": _("Mã cấp trên"),
        "cap": _("Cấp"),
        "dia_chi": _("Địa chỉ"),
        "email": _("Thư điện tử"),
        "dien_thoai": _("Điện thoại"),
    }[column]


# --- reading ------------------------------------------------------------------------------


def organizations(active_only: bool = True) -> list[Organization]:
    query = select(Organization).order_by(Organization.internal.desc(), Organization.name)
    if active_only:
        query = query.where(Organization.active.is_(True))
    return list(db.session.scalars(query))


def search(
    q: str = "", page: int = 1, per_page: int = 50, active_only: bool = False
) -> tuple[int, list[Organization]]:
    """Agencies whose name or code contains ``q``, typed with or without diacritics; how many
    there are, and the ``page``-th page of them by name."""
    query = select(Organization)
    if active_only:
        query = query.where(Organization.active.is_(True))
    for word in fold(q).split()[:10]:
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Organization.folded.like(like, escape="\\"))
    return one_page(
        query, page, per_page, Organization.active.desc(), Organization.name, Organization.code
    )


def match_sender(names: Iterable[str]) -> Organization | None:
    """The one active agency of the directory a received document names as its sender.

    ``names`` are tried in order (the certificate's organisation, the issuing body under the
    header, the header lines together): a name equal to an agency's, without diacritics or
    case, wins; else an agency whose name holds every word of the candidate, if only one does,
    or only one of them also holds most words of the whole header ("SỞ TÀI CHÍNH" under "UBND
    TỈNH DEMO" is "Sở Tài chính tỉnh Demo", not another province's). No match is no guess:
    the clerk types or picks the sender.
    """
    candidates = [fold(n).strip() for n in names if n and fold(n).strip()]
    if not candidates:
        return None
    context = set(" ".join(candidates).split())
    for candidate in candidates:
        words = candidate.split()[:10]
        query = select(Organization).where(Organization.active.is_(True))
        for word in words:
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(Organization.folded.like(like, escape="\\"))
        found = list(db.session.scalars(query.limit(50)))
        exact = [o for o in found if fold(o.name).strip() == candidate]
        if len(exact) == 1:
            return exact[0]
        if len(found) == 1:
            return found[0]
        if found:
            scores = {o.id: len(context & set(fold(o.name).split())) for o in found}
            best = max(scores.values())
            top = [o for o in found if scores[o.id] == best]
            if len(top) == 1:
                return top[0]
    return None


def get_by_code(code: str) -> Organization:
    organization = db.session.scalar(select(Organization).where(Organization.code == code))
    if organization is None:
        raise NotFound(
            "organization_not_found", _("Không có cơ quan mã %(c)s trong danh bạ.", c=code)
        )
    return organization


def names_by_code(codes: Iterable[str]) -> dict[str, str]:
    wanted = {c for c in codes if c}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Organization.code, Organization.name).where(Organization.code.in_(wanted))
    )
    return {code: name for code, name in rows}


@dataclass
class RecipientGroup:
    label: str
    organizations: list[Organization]


def recipient_groups(choices: list[Organization]) -> list[RecipientGroup]:
    """The send form's agencies, grouped as a clerk looks for them: by level, and the communes
    and units under the agency above them."""
    parents = names_by_code(o.parent_code or "" for o in choices)
    order = {level.value: index for index, level in enumerate(Level)}
    groups: dict[tuple[int, str], RecipientGroup] = {}
    for organization in sorted(choices, key=lambda o: (order.get(o.level or "", 99), o.folded)):
        level = Level(organization.level) if organization.level in order else None
        label = level.label if level else _("Khác")
        if level in (Level.COMMUNE, Level.UNIT) and organization.parent_code in parents:
            label = f"{label} — {parents[organization.parent_code or '']}"
        key = (order.get(organization.level or "", 99), label)
        groups.setdefault(key, RecipientGroup(label, [])).organizations.append(organization)
    return [groups[key] for key in sorted(groups)]


# --- one agency at a time -----------------------------------------------------------------


def _require_editor(actor: Actor) -> None:
    """Clerks and admins keep the directory; a command run on the server may too."""
    if isinstance(actor, Operator):
        return
    if not (isinstance(actor, Person) and actor.has_role(Role.CLERK, Role.ADMIN)):
        raise Forbidden("forbidden", _("Chỉ văn thư hoặc quản trị được sửa danh bạ cơ quan."))


def parse_level(value: str) -> Level | None:
    """A level as the API sends it (``province``) or as a person types it (``Cấp tỉnh``,
    ``tinh``); ``None`` for blank. Raises ``ValueError`` for anything else."""
    if not value.strip():
        return None
    folded = fold(value).strip()
    level = _level_names().get(folded) or _level_names().get(folded.removeprefix("cap "))
    if level is None:
        raise ValueError(value)
    return level


@functools.cache
def _level_names() -> dict[str, Level]:
    """Each level by its code and its folded Vietnamese label, with and without "cấp"."""
    with force_locale("vi"):
        names = {name: level for level in Level for name in (level.value, fold(str(level.label)))}
    return {**names, **{name.removeprefix("cap "): level for name, level in names.items()}}


def level_choices() -> str:
    return ", ".join(str(level.label) for level in Level)


def _code_problem(code: str) -> str | None:
    if not code:
        return _("Cần có mã định danh.")
    if not is_organ_code(code):
        return _("Mã định danh %(c)s không đúng dạng %(e)s.", c=code, e=EXAMPLE)
    return None


def _check_parent(code: str, parent_code: str | None, known: dict[str, str | None]) -> str | None:
    """Why ``parent_code`` cannot be ``code``'s parent, given every agency's parent in
    ``known`` (code → parent code); ``None`` when it can."""
    if not parent_code:
        return None
    if not is_organ_code(parent_code):
        return _("Mã cấp trên %(c)s không đúng dạng %(e)s.", c=parent_code, e=EXAMPLE)
    if parent_code == code:
        return _("Một cơ quan không thể là cấp trên của chính nó.")
    if parent_code not in known:
        return _("Mã cấp trên %(c)s không có trong danh bạ.", c=parent_code)
    above, steps = parent_code, 0
    while above and steps < MAX_PARENT_DEPTH:
        if above == code:
            return _("Mã cấp trên %(c)s tạo vòng lặp cấp trên – cấp dưới.", c=parent_code)
        above, steps = known.get(above) or "", steps + 1
    return None


def _parents() -> dict[str, str | None]:
    return dict(db.session.execute(select(Organization.code, Organization.parent_code)).all())


def _fill(organization: Organization, values: dict[str, Any]) -> list[str]:
    """Set what differs; the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(organization, name) != value]
    for name in changed:
        setattr(organization, name, values[name])
    organization.folded = fold(f"{organization.name} {organization.code}")[:300]
    return changed


def _checked_details(
    code: str, details: dict[str, Any], known: dict[str, str | None]
) -> dict[str, Any]:
    problem = _code_problem(code) or _check_parent(code, details.get("parent_code"), known)
    for name, limit in MAX_LENGTHS.items():
        if len(details.get(name) or "") > limit:
            problem = problem or _("%(f)s dài quá %(n)d ký tự.", f=name, n=limit)
    if problem:
        raise ValidationError("organization_invalid", problem)
    if "level" in details and details["level"] is not None:
        details["level"] = Level(details["level"]).value
    return details


def create_organization(
    code: str, name: str, internal: bool, actor: Actor, **details: Any
) -> Organization:
    """Add an agency to the directory; its code (mã định danh) is unique. ``details``: any of
    ``parent_code``, ``level``, ``address``, ``email``, ``phone``.

    The fields as :class:`edoc.directory.schemas.OrganizationSchema` loads them."""
    _require_editor(actor)
    if db.session.scalar(select(func.count()).where(Organization.code == code)):
        raise Conflict("organization_exists", _("Mã định danh %(c)s đã có trong danh bạ.", c=code))
    values = _checked_details(code, {"name": name, **details}, _parents())
    organization = Organization(code=code, internal=internal)
    _fill(organization, values)
    db.session.add(organization)
    db.session.flush()
    record(
        "organization.created",
        actor=actor,
        object_type="organization",
        object_id=organization.id,
        code=code,
        name=name,
        internal=internal,
    )
    return organization


def update_organization(code: str, actor: Actor, **changes: Any) -> Organization:
    """Change an agency's name, parent, level, contact details, ``internal`` or ``active``
    (the code stays: other installations know the agency by it)."""
    _require_editor(actor)
    organization = get_by_code(code)
    values = _checked_details(code, dict(changes), _parents())
    before = {name: getattr(organization, name) for name in values}
    changed = _fill(organization, values)
    if changed:
        db.session.flush()
        record(
            "organization.updated",
            actor=actor,
            object_type="organization",
            object_id=organization.id,
            code=code,
            changes={name: [before[name], values[name]] for name in changed},
        )
    return organization


def deactivate_organization(code: str, actor: Actor) -> Organization:
    """Take an agency off the recipient lists; what was sent to it keeps its name."""
    _require_editor(actor)
    organization = get_by_code(code)
    if organization.active:
        organization.active = False
        db.session.flush()
        record(
            "organization.deactivated",
            actor=actor,
            object_type="organization",
            object_id=organization.id,
            code=code,
        )
    return organization


# --- from a file --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the heading a person sees
    message: str


@dataclass(frozen=True)
class RowChange:
    row: int
    code: str
    name: str
    changed: tuple[str, ...] = ()  # the headings of the columns that change


@dataclass
class ImportReport:
    dry_run: bool
    created: list[RowChange] = field(default_factory=list)
    updated: list[RowChange] = field(default_factory=list)
    unchanged: list[RowChange] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }


class ImportRefused(ValidationError):
    """Some rows are wrong: nothing was written; ``errors`` names each row and column."""

    def __init__(self, errors: list[RowError], total: int) -> None:
        message = _(
            "Tệp có %(n)d lỗi: chưa ghi dòng nào vào danh bạ. Sửa các dòng được nêu rồi nhập lại.",
            n=total,
        )
        super().__init__(
            "directory_rows_invalid",
            message,
            details={"rows": [e.__dict__ for e in errors]},
        )
        self.errors = errors
        self.total = total


def _row_values(values: dict[str, str], columns: tuple[str, ...]) -> dict[str, Any]:
    """The agency's fields from the columns the file has (absent columns are left alone)."""
    result: dict[str, Any] = {}
    for column in columns:
        name = FIELD_OF_COLUMN.get(column)
        if name is None:
            continue
        value = values.get(column, "")
        if name == "parent_code":
            result[name] = value.upper() or None
        elif name == "level":
            result[name] = parse_level(value)
        else:
            result[name] = value
    return result


def _row_problems(
    number: int, code: str, values: dict[str, str], columns: tuple[str, ...]
) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []

    def refuse(column: str, message: str) -> None:
        errors.append(RowError(number, column_label(column), message))

    if problem := _code_problem(code):
        refuse("ma_dinh_danh", problem)
    if not values.get("ten"):
        refuse("ten", _("Cần có tên cơ quan."))
    try:
        fields = _row_values(values, columns)
    except ValueError:
        refuse(
            "cap",
            _("Cấp «%(v)s» không có; dùng một trong: %(c)s.", v=values["cap"], c=level_choices()),
        )
        fields = _row_values({**values, "cap": ""}, columns)
    for column, name in FIELD_OF_COLUMN.items():
        limit = MAX_LENGTHS.get(name)
        if limit and len(fields.get(name) or "") > limit:
            refuse(column, _("Dài quá %(n)d ký tự.", n=limit))
    email = fields.get("email") or ""
    if email and (email.count("@") != 1 or " " in email or "." not in email.split("@")[1]):
        refuse("email", _("Thư điện tử %(v)s không hợp lệ.", v=email))
    phone = fields.get("phone") or ""
    if phone and not all(c.isdigit() or c in " +-.()/,;" for c in phone):
        refuse("dien_thoai", _("Số điện thoại chỉ gồm chữ số và + - . ( ) /."))
    if fields.get("level"):
        fields["level"] = fields["level"].value
    return fields, errors


def import_table(table: Table, actor: Actor, *, dry_run: bool = False) -> ImportReport:
    """Add the file's new agencies and update the known ones, by code; all rows or none.

    A row is refused when its code is malformed or repeated, its name missing, its level
    unknown, or its parent neither in the directory nor in the file. A dry run checks and
    reports the same way and writes nothing. The import is one audit entry
    (``organization.imported``: the file's SHA-256 and the codes added and changed).
    """
    _require_editor(actor)
    existing = {o.code: o for o in db.session.scalars(select(Organization))}
    known: dict[str, str | None] = {code: o.parent_code for code, o in existing.items()}
    errors: list[RowError] = []
    planned: list[tuple[int, str, dict[str, Any]]] = []
    first_row: dict[str, int] = {}
    for row in table.rows:
        code = row.values.get("ma_dinh_danh", "").upper()
        fields, problems = _row_problems(row.number, code, row.values, table.columns)
        if code in first_row:
            problems.append(
                RowError(
                    row.number,
                    column_label("ma_dinh_danh"),
                    _("Mã %(c)s trùng với dòng %(r)d.", c=code, r=first_row[code]),
                )
            )
        else:
            first_row[code] = row.number
        errors.extend(problems)
        if not problems:
            planned.append((row.number, code, fields))
            if "parent_code" in fields or code not in known:
                known[code] = fields.get("parent_code")
    known.update({code: None for code in first_row if code not in known})  # parents in the file
    for number, code, fields in planned:
        if "parent_code" in fields and (
            problem := _check_parent(code, fields["parent_code"], known)
        ):
            errors.append(RowError(number, column_label("ma_cap_tren"), problem))
    if errors:
        errors.sort(key=lambda e: e.row)
        raise ImportRefused(errors[:MAX_REPORTED_ERRORS], len(errors))

    report = ImportReport(dry_run)
    label_of = {name: column_label(column) for column, name in FIELD_OF_COLUMN.items()}
    for number, code, fields in planned:
        current = existing.get(code)
        if current is None:
            report.created.append(RowChange(number, code, fields["name"]))
            if not dry_run:
                organization = Organization(code=code, internal=False)
                _fill(organization, fields)
                db.session.add(organization)
            continue
        changed = tuple(name for name, value in fields.items() if getattr(current, name) != value)
        change = RowChange(number, code, fields["name"], tuple(label_of[n] for n in changed))
        (report.updated if changed else report.unchanged).append(change)
        if changed and not dry_run:
            _fill(current, fields)
    if not dry_run and (report.created or report.updated):
        db.session.flush()
        record(
            "organization.imported",
            actor=actor,
            object_type="directory",
            file=table.name[:255],
            sha256=table.sha256,
            **report.counts(),
            created_codes=[c.code for c in report.created],
            updated_codes=[c.code for c in report.updated],
        )
    return report
