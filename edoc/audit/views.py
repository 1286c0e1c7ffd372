"""The audit page for admins: filter by action, user, object and date."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from edoc.audit.models import AuditEvent
from edoc.audit.queries import events_for
from edoc.core.auth import Role, roles_required
from edoc.core.clock import local_day_end_utc, local_day_start_utc, parse_user_date
from edoc.core.extensions import db
from edoc.core.params import PageArgs, load_query

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

PAGE_SIZE = 50


@bp.route("/")
@roles_required(Role.ADMIN)
def audit_list() -> Any:
    args = request.args
    query = events_for(current_user, args.get("object_id", "").strip())
    if action := args.get("action", "").strip():
        query = query.where(AuditEvent.action.startswith(action))
    if actor := args.get("actor", "").strip():
        query = query.where(func.lower(AuditEvent.actor_name) == actor.lower())
    if object_type := args.get("object_type", "").strip():
        query = query.where(AuditEvent.object_type == object_type)
    if since := parse_user_date(args.get("from")):
        query = query.where(AuditEvent.at >= local_day_start_utc(since))
    if until := parse_user_date(args.get("to")):
        query = query.where(AuditEvent.at < local_day_end_utc(until))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = load_query(PageArgs(), args)["page"]
    events = db.session.execute(
        query.order_by(AuditEvent.seq.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    return render_template(
        "audit/list.html",
        events=events,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        actions=list(actions),
    )
