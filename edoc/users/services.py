"""Account operations: authentication with lock-out, sessions, API tokens, users and units.

Like every service these only flush: the request (or the command) commits. A refusal that must
outlive its failed request (a failed login's count, a rejected token) is written in its own
transaction, through :func:`edoc.audit.services.record_security_event` or said where it is.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from edoc.audit.services import Actor, Anonymous, record, record_security_event
from edoc.core.clock import utcnow
from edoc.core.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.users.models import ApiToken, Clearance, Role, Unit, User, UserRole, UserSession
from edoc.users.passwords import hash_password, needs_rehash, verify_password
from edoc.users.schemas import MIN_PASSWORD_LENGTH

#: Key of the server-side session id in Flask's signed session cookie (see :class:`UserSession`).
SESSION_ID_KEY = "sid"


def _settings():
    return current_app.config["EDOC"]


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def authenticate(username: str, password: str) -> User:
    """Check a password; count failures and lock the account after too many in a row.

    Every refusal (unknown name, wrong password, locked or inactive account) raises the same
    :class:`Unauthorized` after the same work: one Argon2 verification, against a dummy hash
    when the account cannot sign in. Otherwise the answer, or its time (150 ms against 4 ms),
    would tell an attacker which account names exist. The audit log keeps the real reason.
    """
    settings = _settings()
    user = find_user(username.strip())
    now = utcnow()
    locked = user is not None and user.is_locked(now)
    may_sign_in = user is not None and user.active and not locked
    stored_hash = user.password_hash if user is not None and may_sign_in else None
    with outside_transaction():  # the slow Argon2 check holds no lock and no pooled connection
        password_ok = verify_password(stored_hash, password)
    if user is not None and may_sign_in and user.password_hash != stored_hash:
        password_ok = False  # the password was changed while this one was being checked
    refused = Unauthorized("invalid_credentials", _("Tên đăng nhập hoặc mật khẩu không đúng."))
    if user is None:
        record_security_event(
            "auth.login_failed",
            actor=Anonymous(claimed_name=username[:64]),
            reason="unknown_user",
        )
        raise refused
    if locked:
        record_security_event(
            "auth.login_refused_locked", object_type="user", object_id=user.id, actor=user
        )
        raise refused
    if not password_ok:
        user.failed_logins += 1
        now_locked = user.failed_logins >= settings.lockout_threshold
        if now_locked:
            user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
        record(
            "auth.account_locked" if now_locked else "auth.login_failed",
            object_type="user",
            object_id=user.id,
            actor=user,
            reason="inactive" if not user.active else "bad_password",
        )
        db.session.commit()  # kept though the request fails: this count is what locks the account
        raise refused
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record("auth.login", object_type="user", object_id=user.id, actor=user)
    db.session.flush()
    return user


def start_session(user: User, ip: str) -> str:
    """Open a server-side session for a user who just signed in; return the id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_token_digest(session_id), ip=ip[:45]))
    db.session.flush()
    return session_id


def user_for_session(user_id: int, session_id: str | None) -> User | None:
    """The user of a session cookie, or None once the session was ended or the user disabled."""
    if not session_id:
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _token_digest(session_id), User.id == user_id)
    )
    return user if user is not None and user.active else None


def end_session(user: User, session_id: str | None) -> None:
    """Logout: the session id is deleted, so a copy of the cookie no longer signs anyone in."""
    if session_id:
        db.session.execute(
            delete(UserSession).where(
                UserSession.user_id == user.id,
                UserSession.token_hash == _token_digest(session_id),
            )
        )
    record("auth.logout", object_type="user", object_id=user.id, actor=user)
    db.session.flush()


def _end_sessions_and_tokens(user: User) -> dict[str, int]:
    """After a password change or reset nothing opened with the old password stays usable:
    every session of the user ends and every API token is revoked."""
    sessions = db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id)
    ).rowcount
    tokens = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
    return {"sessions_ended": sessions, "api_access_revoked": tokens}


def change_password(user: User, current_password: str, new_password: str, *, ip: str) -> str:
    """A user changes their own password, proving they know the current one.

    Every session of theirs ends and every API token is revoked; the browser making the change
    stays signed in under a new session id (returned, for its cookie), so a copy of its old
    cookie is dead as well.
    """
    if not verify_password(user.password_hash, current_password):
        record_security_event(
            "auth.password_change_refused", object_type="user", object_id=user.id, actor=user
        )
        raise ValidationError("wrong_password", _("Mật khẩu hiện tại không đúng."))
    _check_password_policy(new_password)
    user.password_hash = hash_password(new_password)
    ended = _end_sessions_and_tokens(user)
    record("auth.password_changed", object_type="user", object_id=user.id, actor=user, **ended)
    return start_session(user, ip)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User) -> tuple[str, ApiToken]:
    token = "edoc_" + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_digest(token),
        expires_at=utcnow() + timedelta(hours=_settings().api_token_hours),
    )
    db.session.add(row)
    db.session.flush()
    record("auth.token_issued", object_type="api_token", object_id=row.id, actor=user)
    return token, row


def user_for_token(token: str) -> User:
    """Resolve a bearer token; refuse unknown, expired or revoked ones (and audit the refusal)."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    now = utcnow()
    if row is None:
        record_security_event("auth.token_rejected", actor=Anonymous(), reason="unknown")
        raise Unauthorized("invalid_token", _("Mã truy cập (token) không hợp lệ."))
    if row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        reason = "revoked" if row.revoked_at else "expired" if row.expires_at <= now else "inactive"
        record_security_event(
            "auth.token_rejected",
            object_type="api_token",
            object_id=row.id,
            actor=row.user,
            reason=reason,
        )
        raise Unauthorized("token_expired", _("Mã truy cập đã hết hạn hoặc bị thu hồi."))
    row.last_used_at = now
    # Settled before the call's own work, which may begin outside any transaction (an upload's
    # slow checks, edoc.core.transactions): the bookkeeping must not stay pending.
    db.session.commit()
    return row.user


def revoke_api_token(token: str) -> None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        record("auth.token_revoked", object_type="api_token", object_id=row.id, actor=row.user)


def _check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "weak_password", _("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_PASSWORD_LENGTH)
        )


def _check_unit(unit_id: int | None) -> None:
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise ValidationError("unit_not_found", _("Không tìm thấy đơn vị."))


def _set_roles(user: User, roles: Iterable[Role | str]) -> None:
    wanted = {Role(r) for r in roles}
    user.role_rows = [row for row in user.role_rows if Role(row.role) in wanted]
    have = {Role(row.role) for row in user.role_rows}
    user.role_rows.extend(UserRole(role=role.value) for role in sorted(wanted - have))


def create_user(
    *,
    username: str,
    full_name: str,
    password: str,
    roles: Iterable[Role | str],
    unit_id: int | None = None,
    clearance: Clearance = Clearance.NONE,
    title: str = "",
    email: str = "",
    actor: Actor,
) -> User:
    username = username.strip()
    if not username or not username.replace(".", "").replace("_", "").isalnum():
        raise ValidationError(
            "invalid_username", _("Tên đăng nhập chỉ gồm chữ, số, dấu chấm và gạch dưới.")
        )
    if find_user(username) is not None:
        raise Conflict("username_taken", _("Tên đăng nhập %(u)s đã tồn tại.", u=username))
    _check_password_policy(password)
    _check_unit(unit_id)
    user = User(
        username=username,
        full_name=full_name.strip(),
        title=title.strip(),
        email=email.strip(),
        password_hash=hash_password(password),
        unit_id=unit_id,
        clearance=int(clearance),
    )
    _set_roles(user, roles)
    db.session.add(user)
    db.session.flush()
    record("user.created", actor=actor, object_type="user", object_id=user.id, **_created(user))
    return user


def _created(user: User) -> dict[str, object]:
    """What the audit log keeps of a new account (never its password)."""
    return {
        "username": user.username,
        "roles": sorted(r.value for r in user.roles),
        "clearance": user.clearance,
        "unit_id": user.unit_id,
    }


def update_user(
    user_id: int,
    *,
    full_name: str,
    title: str,
    email: str,
    roles: Iterable[Role | str],
    unit_id: int | None,
    clearance: Clearance,
    active: bool,
    new_password: str | None = None,
    unlock: bool = False,
    actor: Actor,
) -> User:
    """An administrator (``actor``, or an Operator for the command line) edits a user.

    Nobody changes their own roles, clearance or active flag: one admin alone could otherwise
    grant themselves every secret document, so a second admin must make the change, which the
    audit log then attributes to them. Nor do they set their own password here without giving
    the current one: that is :func:`change_password`. A new password set for someone else is a
    reset: every session of theirs ends and their API tokens are revoked.
    """
    user = get_user(user_id)
    roles = [Role(r) for r in roles]
    if isinstance(actor, User) and actor.id == user.id:
        _refuse_self_change(user, roles, clearance, active, new_password)
    if new_password:
        _check_password_policy(new_password)
    _check_unit(unit_id)
    before = _user_snapshot(user)
    user.full_name = full_name.strip()
    user.title = title.strip()
    user.email = email.strip()
    user.unit_id = unit_id
    user.clearance = int(clearance)
    user.active = active
    _set_roles(user, roles)
    if new_password:
        user.password_hash = hash_password(new_password)
    if unlock:
        _lift_lock(user)
    after = _user_snapshot(user)
    changes: dict[str, object] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if new_password:
        changes["password_reset"] = _end_sessions_and_tokens(user)
    record("user.updated", actor=actor, object_type="user", object_id=user.id, changes=changes)
    return user


def unlock_user(user_id: int, *, actor: Actor) -> User:
    """Lift a lock-out after repeated failed logins, changing nothing else of the account (the
    admin's form does it among its other changes, through :func:`update_user`)."""
    user = get_user(user_id)
    was_locked = user.locked_until is not None
    _lift_lock(user)
    changes = {"locked": [True, False]} if was_locked else {}
    record("user.updated", actor=actor, object_type="user", object_id=user.id, changes=changes)
    return user


def _lift_lock(user: User) -> None:
    user.locked_until = None
    user.failed_logins = 0


def _refuse_self_change(
    user: User,
    roles: list[Role],
    clearance: Clearance,
    active: bool,
    new_password: str | None,
) -> None:
    changed = [
        name
        for name, differs in [
            ("roles", set(roles) != user.roles),
            ("clearance", int(clearance) != user.clearance),
            ("active", active != user.active),
            ("password", bool(new_password)),
        ]
        if differs
    ]
    if not changed:
        return
    record_security_event(
        "security.self_change_refused",
        object_type="user",
        object_id=user.id,
        actor=user,
        fields=changed,
    )
    if changed == ["password"]:
        raise Forbidden(
            "own_password_here",
            _("Để đổi mật khẩu của chính mình, hãy dùng trang Đổi mật khẩu."),
        )
    raise Forbidden(
        "self_change_forbidden",
        _(
            "Bạn không thể tự thay đổi vai trò, mức tiếp cận văn bản mật hay trạng thái hoạt "
            "động của chính mình. Một quản trị viên khác phải thực hiện việc này."
        ),
    )


def _user_snapshot(user: User) -> dict[str, object]:
    return {
        "full_name": user.full_name,
        "title": user.title,
        "email": user.email,
        "unit_id": user.unit_id,
        "clearance": user.clearance,
        "active": user.active,
        "roles": sorted(r.value for r in user.roles),
        "locked": user.locked_until is not None,
    }


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", _("Không tìm thấy người dùng."))
    return user


def full_names(user_ids: Iterable[int]) -> dict[int, str]:
    """Each user's full name (what pages call a person), their login where none was given."""
    rows = db.session.execute(
        select(User.id, User.full_name, User.username).where(User.id.in_(list(user_ids)))
    )
    return {row.id: row.full_name or row.username for row in rows}


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.username)))


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User)) or 0


def count_locked_users(now: datetime) -> int:
    return db.session.scalar(select(func.count()).where(User.locked_until > now)) or 0


def list_units() -> list[Unit]:
    return list(db.session.scalars(select(Unit).order_by(Unit.code)))


def create_unit(
    *,
    code: str,
    name: str,
    parent_id: int | None = None,
    collective_name: str = "",
    head_title: str = "",
    actor: Actor,
) -> Unit:
    """A new unit; ``collective_name`` and ``head_title`` are the signing titles of a top unit
    (the agency: see :func:`update_agency`)."""
    code = code.strip().upper()
    if not code or not name.strip():
        raise ValidationError("invalid_unit", _("Mã và tên đơn vị là bắt buộc."))
    if db.session.scalar(select(Unit).where(Unit.code == code)) is not None:
        raise Conflict("unit_code_taken", _("Mã đơn vị %(c)s đã tồn tại.", c=code))
    _check_unit(parent_id)
    unit = Unit(
        code=code,
        name=name.strip(),
        parent_id=parent_id,
        collective_name=collective_name.strip(),
        head_title=head_title.strip(),
    )
    db.session.add(unit)
    db.session.flush()
    record("unit.created", actor=actor, object_type="unit", object_id=unit.id, code=code)
    return unit


def agency_unit() -> Unit | None:
    """The top unit: the agency this installation serves (the first one made, if several)."""
    return db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))


def update_agency(*, collective_name: str, head_title: str, actor: Actor) -> Unit:
    """Set the agency's signing titles, what ND30 prints above a signature besides the signer's
    own title: the collective's name after "TM." and the head's title after "KT.", "Q.", "TL.",
    "TUQ.". Drafts are signed under the titles in force when the leader signs."""
    unit = agency_unit()
    if unit is None:
        raise NotFound("agency_not_found", _("Chưa có đơn vị cấp cao nhất (cơ quan)."))
    before = {"collective_name": unit.collective_name, "head_title": unit.head_title}
    unit.collective_name = collective_name.strip()
    unit.head_title = head_title.strip()
    after = {"collective_name": unit.collective_name, "head_title": unit.head_title}
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    db.session.flush()
    record("agency.updated", actor=actor, object_type="unit", object_id=unit.id, changes=changes)
    return unit
