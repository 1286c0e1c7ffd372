"""Who may call what: role checks for web views and for ``/api/v1`` endpoints.

The API takes ``Authorization: Bearer <token>``; the browser's own calls to the API may use the
session cookie instead, and then must carry the CSRF token like any form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from edoc.audit.services import record_security_event
from edoc.core.errors import Forbidden, Unauthorized
from edoc.core.extensions import csrf
from edoc.users.models import Role, User

F = TypeVar("F", bound=Callable[..., Any])


def _deny(user: User, roles: tuple[Role, ...]) -> Forbidden:
    record_security_event(
        "security.access_denied",
        actor=user,
        path=request.path,
        needs=[r.value for r in roles],
    )
    return Forbidden("forbidden", _("Bạn không có quyền truy cập chức năng này."))


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Web views: anonymous users go to the login page; users without a role get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("users.login", next=request.full_path))
            if roles and not current_user.has_role(*roles):
                raise _deny(current_user, roles)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


login_required = roles_required()


def api_user() -> User:
    """The caller of the current API request, resolved from a bearer token or the session."""
    user = getattr(g, "api_user", None)
    if user is not None:
        return user
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        from edoc.users.services import user_for_token

        user = user_for_token(header[len("Bearer ") :].strip())
    elif current_user.is_authenticated:
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            csrf.protect()
        user = current_user._get_current_object()
    else:
        raise Unauthorized(
            "unauthorized", _("Cần đăng nhập: gửi kèm Authorization: Bearer <token>.")
        )
    g.api_user = user
    return user


def require_api_roles(*roles: Role) -> User:
    """The API caller, if signed in (else 401) and holding one of ``roles`` (else 403)."""
    user = api_user()
    if roles and not user.has_role(*roles):
        raise _deny(user, roles)
    return user


def api_roles(*roles: Role) -> Callable[[F], F]:
    """Guard an API method; the roles are also kept on the method (``api_roles``) so that
    :mod:`edoc.api` checks them before the request's input is parsed."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            require_api_roles(*roles)
            return view(*args, **kwargs)

        wrapped.api_roles = roles  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
