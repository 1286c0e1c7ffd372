"""The search page and its search-as-you-type endpoint; ``init_search`` wires the area in."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Flask,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_sqlalchemy.session import Session
from werkzeug.datastructures import MultiDict

from edoc.core.auth import login_required, roles_required
from edoc.core.dashboard import register_nav_link
from edoc.core.errors import AppError, NotFound
from edoc.core.extensions import db
from edoc.core.forms import load_form
from edoc.core.health import register_health_check
from edoc.core.params import with_clamped_page
from edoc.core.transactions import kick_after_request, outside_transaction
from edoc.documents.access import get_visible_document
from edoc.documents.views_common import file_response
from edoc.search import outbox, services
from edoc.search.backend import prepare_new_index, search_backend
from edoc.search.schemas import LIST_ARGS, SearchArgs
from edoc.search.tasks import drain_task
from edoc.users.models import Role
from search.base import MAX_PAGE

bp = Blueprint("search", __name__, url_prefix="/search")


def document_url(document: Any) -> str:
    endpoint = (
        "incoming.incoming_detail"
        if document.direction == "incoming"
        else "outgoing.outgoing_detail"
    )
    return url_for(endpoint, document_id=document.id)


def search_url(args: MultiDict[str, str], changes: dict[str, list[str]]) -> str:
    """This search with some parameters replaced: the pager's and the facets' links.

    Built here rather than by mutating a dict in the template: a ``{% set _ = ... %}`` there
    replaced the translation function ``_`` for the rest of the page.
    """
    query = args.to_dict(flat=False)
    query.update(changes)
    return url_for("search.search_page", **query)


@bp.route("/")
@login_required
def search_page() -> Any:
    page, error, status_code = None, None, 200
    try:
        args = with_clamped_page(request.args)
        if "page" in args:
            args["page"] = str(min(int(args["page"]), MAX_PAGE))
        params = load_form(SearchArgs(), args, lists=LIST_ARGS)
    except AppError as refused:  # the form is shown again, with its lists, under the message
        error, status_code = refused.message, 422
    else:
        page = services.search_documents(current_user, params) if request.args else None
        if page is not None and 1 <= page.pages < params.page:  # past the end: the last page
            page = services.search_documents(current_user, replace(params, page=page.pages))
    return render_template(
        "search/index.html",
        page=page,
        error=error,
        args=request.args,
        search_url=search_url,
        labels=services.facet_labels(),
        doc_types=services.doc_type_names(),
        status=services.status_report(),
    ), status_code


@bp.route("/suggest")
@login_required
def suggest() -> Any:
    found = services.suggest_numbers(current_user, request.args.get("q", "")[:100])
    return jsonify(
        [
            {
                "id": s.id,
                "number_notation": s.number_notation,
                "subject": s.subject,
                "url": url_for("search.open_document", document_id=int(s.id)),
            }
            for s in found
            if s.id.isdigit()
        ]
    )


@bp.route("/open/<int:document_id>")
@login_required
def open_document(document_id: int) -> Any:
    return redirect(document_url(get_visible_document(document_id, current_user)))


@bp.route("/ocr/<int:document_id>")
@login_required
def ocr_copy(document_id: int) -> Any:
    """The scanned original with its OCR text layer, so a reader can search and copy text."""
    document = get_visible_document(document_id, current_user)
    copy = services.ocr_copy(document)
    if copy is None:
        raise NotFound("ocr_copy_not_found", _("Văn bản này không có bản nhận dạng chữ (OCR)."))
    return file_response(copy, inline=bool(request.args.get("inline")))


@bp.route("/status")
@roles_required(Role.ADMIN)
def status() -> Any:
    return jsonify(services.status_report())


def _check_search() -> None:
    with outside_transaction():  # the database check's read must not hold SQLite's writer lock
        health = search_backend().health()
    if not health.ok:
        raise RuntimeError(health.detail or "search engine down")


def init_search(app: Flask) -> None:
    outbox.install(Session)
    app.register_blueprint(bp)
    kick_after_request(app, lambda: outbox.take_flag(db.session()), drain_task, "indexing")
    app.jinja_env.globals.update(document_url=document_url, ocr_copy=services.ocr_copy)
    register_nav_link(app, _l("Tìm kiếm"), "search.search_page")
    register_health_check(app, "search", _check_search)
    with app.app_context():
        prepare_new_index()
