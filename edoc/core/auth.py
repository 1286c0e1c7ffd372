"""Who may call what: role checks for web views and for ``/api/v1`` endpoints.

The API takes ``Authorization: Bearer <token>``; the browser's own calls to the API may use the
session cookie instead, and then must carry the CSRF token like any form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, TypeVar, runtime_checkable

from flask import Flask, current_app, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from edoc.core.enums import LabelledStrEnum, labels
from edoc.core.errors import Forbidden, Unauthorized
from edoc.core.extensions import csrf
from edoc.core.signals import security_refused

F = TypeVar("F", bound=Callable[..., Any])


class Role(LabelledStrEnum):
    """What a person does in the agency; every access check is phrased in these."""

    CLERK = "clerk", _l("Văn thư")
    LEADER = "leader", _l("Lãnh đạo")
    SPECIALIST = "specialist", _l("Chuyên viên")
    ARCHIVIST = "archivist", _l("Lưu trữ")
    ADMIN = "admin", _l("Quản trị")


ROLE_LABELS = labels(Role)


@runtime_checkable
class Person(Protocol):
    """A signed-in account as core and audit see it (:class:`edoc.users.models.User` is one),
    so that neither needs to import the users area."""

    id: int
    username: str

    @property
    def roles(self) -> set[Role]: ...

    def has_role(self, *roles: Role) -> bool: ...


TokenLoader = Callable[[str], Person]


def register_token_loader(app: Flask, loader: TokenLoader) -> None:
    """Who a bearer token belongs to (raises Unauthorized when nobody); the users area knows."""
    app.extensions["edoc.token_loader"] = loader


def _deny(user: Person, roles: tuple[Role, ...]) -> Forbidden:
    security_refused.send(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        action="security.access_denied",
        user=user,
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


def api_user() -> Person:
    """The caller of the current API request, resolved from a bearer token or the session."""
    user = getattr(g, "api_user", None)
    if user is not None:
        return user
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = current_app.extensions["edoc.token_loader"](header[len("Bearer ") :].strip())
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


def require_api_roles(*roles: Role) -> Person:
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
