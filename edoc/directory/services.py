"""Changes to the directory of agencies."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from edoc.audit.services import record
from edoc.core.errors import Conflict, Forbidden
from edoc.core.extensions import db
from edoc.directory.models import Organization
from edoc.users.models import Role, User


def organizations(active_only: bool = True) -> list[Organization]:
    query = select(Organization).order_by(Organization.internal.desc(), Organization.name)
    if active_only:
        query = query.where(Organization.active.is_(True))
    return list(db.session.scalars(query))


def create_organization(code: str, name: str, internal: bool, actor: User) -> Organization:
    """Add an agency to the directory; its code (mã định danh) is unique.

    ``code`` and ``name`` as :class:`edoc.outgoing.schemas.OrganizationSchema` loads them."""
    if not actor.has_role(Role.CLERK, Role.ADMIN):
        raise Forbidden("forbidden", _("Chỉ văn thư hoặc quản trị được thêm cơ quan, tổ chức."))
    if db.session.scalar(select(func.count()).where(Organization.code == code)):
        raise Conflict("organization_exists", _("Mã định danh %(c)s đã có trong danh bạ.", c=code))
    organization = Organization(code=code, name=name, internal=internal)
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
