"""Accounts, organisational units, the roles people hold and their security clearance."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edoc.core.auth import Role
from edoc.core.clock import utcnow
from edoc.core.enums import LabelledIntEnum, labels
from edoc.core.extensions import db

__all__ = [
    "CLEARANCE_LABELS",
    "ApiToken",
    "Clearance",
    "Role",  # defined in core.auth, which checks roles; still imported from here by the areas
    "Unit",
    "User",
    "UserRole",
    "UserSession",
]


class Clearance(LabelledIntEnum):
    """Security clearance, ordered: a user sees documents whose secrecy is at most this."""

    NONE = 0, _l("Không")
    MAT = 1, _l("Mật")
    TOI_MAT = 2, _l("Tối mật")
    TUYET_MAT = 3, _l("Tuyệt mật")


CLEARANCE_LABELS = labels(Clearance)


class Unit(db.Model):
    """An organisational unit; the top one is the agency itself (the issuer of its documents).

    The agency's two signing titles are what ND30 prints above a signature besides the signer's
    own title: the collective's name after "TM." ("Ủy ban nhân dân") and the head's title after
    "KT.", "Q.", "TL.", "TUQ." ("Chủ tịch"). Only the top unit's are used.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    collective_name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    head_title: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    clearance: Mapped[int] = mapped_column(default=Clearance.NONE)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def roles(self) -> set[Role]:
        return {Role(row.role) for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def clearance_level(self) -> Clearance:
        return Clearance(self.clearance)

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, so a database dump reveals no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """One signed-in browser, so that a session can be ended on the server.

    Flask keeps its session in a signed cookie: signing stops forgery, but a copied cookie stays
    valid until the key changes, whatever the user does. The cookie therefore also carries a
    random session id, and a request is signed in only while that id's row exists here. Logout
    deletes the row, a password change or reset deletes the user's other rows, so a replayed
    cookie is refused. Only the id's SHA-256 is stored, so a database dump gives no usable cookie.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip: Mapped[str] = mapped_column(String(45), default="")
