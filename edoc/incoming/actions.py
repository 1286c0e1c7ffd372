"""The actions on one incoming document, as its page and the API both offer them: who may act,
what the form or body holds, and the service that acts (``service(document_id, actor=…,
**loaded)``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import Schema

from edoc.incoming import schemas, services
from edoc.users.models import Role


@dataclass(frozen=True)
class DocumentAction:
    name: str  # the last part of the URL, ``/incoming/<id>/<name>``
    role: Role
    schema: type[Schema]
    service: Callable[..., object]


DOCUMENT_ACTIONS = (
    DocumentAction("register", Role.CLERK, schemas.RegisterArgs, services.register),
    DocumentAction("return", Role.CLERK, schemas.ReturnArgs, services.return_to_sender),
    DocumentAction("present", Role.CLERK, schemas.PresentArgs, services.present),
    DocumentAction("route", Role.LEADER, schemas.RouteArgs, services.route),
)
