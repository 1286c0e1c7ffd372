"""The audit page for admins: filter by action, user, object and date."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user
from marshmallow import Schema
from sqlalchemy import func, select

from edoc.audit.labels import OBJECT_LABELS
from edoc.audit.models import AuditEvent
from edoc.audit.queries import events_for
from edoc.core.auth import Role, roles_required
from edoc.core.clock import local_day_end_utc, local_day_start_utc
from edoc.core.extensions import db
from edoc.core.forms import FormInvalid, UserDate, load_form
from edoc.core.paging import count_rows, offset_of, page_count
from edoc.core.params import last_page_if_past, page_field, with_clamped_page

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PAGE_SIZE = 50


class AuditArgs(Schema):
    """The audit page's filters; a date that is not a date is said, not ignored."""

    date_from = UserDate(data_key="from", load_default=None)
    date_to = UserDate(data_key="to", load_default=None)
    page = page_field()


@bp.route("/")
@roles_required(Role.ADMIN)
def audit_list() -> Any:
    args = request.args
    errors: dict[str, str] = {}
    try:
        loaded = load_form(AuditArgs(), with_clamped_page(args))
    except FormInvalid as refused:
        errors, loaded = refused.fields, {"date_from": None, "date_to": None, "page": 1}
    query = events_for(current_user, args.get("object_id", "").strip())
    if action := args.get("action", "").strip():
        query = query.where(AuditEvent.action.startswith(action))
    if actor := args.get("actor", "").strip():
        query = query.where(func.lower(AuditEvent.actor_name) == actor.lower())
    if object_type := args.get("object_type", "").strip():
        query = query.where(AuditEvent.object_type == object_type)
    if since := loaded["date_from"]:
        query = query.where(AuditEvent.at >= local_day_start_utc(since))
    if until := loaded["date_to"]:
        query = query.where(AuditEvent.at < local_day_end_utc(until))
    total = count_rows(query)
    page = last_page_if_past(loaded["page"], total, PAGE_SIZE)
    events = db.session.execute(
        query.order_by(AuditEvent.seq.desc()).limit(PAGE_SIZE).offset(offset_of(page, PAGE_SIZE))
    ).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return render_template(
        "audit/list.html",
        events=events if not errors else [],
        total=total if not errors else 0,
        page=page,
        pages=page_count(total, PAGE_SIZE),
        actions=list(actions),
        object_types=OBJECT_LABELS,
        errors=errors,
    ), (422 if errors else 200)
