"""The person a request acts for, typed as our :class:`User` (core's helpers return the
:class:`edoc.core.auth.Person` protocol, since core cannot name the users area's model)."""

from __future__ import annotations

from flask_login import current_user

from edoc.core.auth import api_user
from edoc.users.models import User


def signed_in() -> User:
    """The person signed in to this page request (behind ``login_required``)."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


def caller() -> User:
    """The caller of this API request (bearer token or session)."""
    return api_user()  # type: ignore[return-value]
