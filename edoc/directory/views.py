"""The directory of agencies in the browser: every signed-in user reads it; clerks and admins
add, change, deactivate and import.

An import is two steps, as a clerk checks before committing: the file is uploaded and checked
(a dry run: what would be added, changed, left as is, or the wrong rows), kept for an hour under
a random name only its uploader can use, then imported for good on "Xác nhận nhập".
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import CombinedMultiDict, MultiDict

from edoc.core.auth import Role, login_required, roles_required
from edoc.core.errors import AppError, ValidationError
from edoc.core.forms import FormInvalid, load_form
from edoc.core.transactions import outside_transaction
from edoc.directory import services
from edoc.directory.models import Level, Organization
from edoc.directory.schemas import DirectoryArgs, ImportForm, OrganizationSchema, OrganizationUpdate
from edoc.directory.tables import MAX_FILE_BYTES, Table, read_table
from edoc.documents.views_common import render_list

bp = Blueprint("directory", __name__, url_prefix="/directory")

EDITORS = (Role.CLERK, Role.ADMIN)
STASH_SECONDS = 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


@bp.route("/")
@login_required
def directory_list() -> Any:
    return render_list(
        "directory/list.html",
        DirectoryArgs(),
        lambda args: services.search(args["q"], args["page"], args["per_page"]),
        can_edit=current_user.has_role(*EDITORS),
    )


def _edit_page(
    organization: Organization | None, values: Any, errors: dict[str, str], status: int = 200
) -> Any:
    page = render_template(
        "directory/edit.html",
        organization=organization,
        values=values,
        errors=errors,
        levels=[("", _("— Chưa xếp —")), *((lv.value, lv.label) for lv in Level)],
    )
    return page, status


def _values_of(organization: Organization) -> MultiDict:
    values = MultiDict(
        {
            "code": organization.code,
            "name": organization.name,
            "parent_code": organization.parent_code or "",
            "level": organization.level or "",
            "address": organization.address,
            "email": organization.email,
            "phone": organization.phone,
        }
    )
    for flag in ("internal", "active"):
        if getattr(organization, flag):
            values[flag] = "y"
    return values


def _refusal(error: AppError) -> dict[str, str]:
    if isinstance(error, FormInvalid):
        return error.fields
    flash(error.message, "error")
    return {}


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def directory_new() -> Any:
    if request.method == "GET":
        return _edit_page(None, MultiDict(), {})
    try:
        form = load_form(OrganizationSchema(), request.form)
        organization = services.create_organization(actor=current_user, **form)
    except AppError as error:
        return _edit_page(None, request.form, _refusal(error), error.status)
    flash(_("Đã thêm %(n)s vào danh bạ.", n=organization.name), "success")
    return redirect(url_for("directory.directory_list", q=organization.code))


@bp.route("/<code>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def directory_edit(code: str) -> Any:
    organization = services.get_by_code(code)
    if request.method == "GET":
        return _edit_page(organization, _values_of(organization), {})
    try:
        form = load_form(OrganizationUpdate(), request.form)
        # A box left empty on the page clears the field; an unticked switch is "no".
        for name in ("address", "email", "phone"):
            form.setdefault(name, "")
        for name in ("parent_code", "level"):
            form.setdefault(name, None)
        for flag in ("internal", "active"):
            form[flag] = request.form.get(flag) == "y"
        if form.pop("active"):
            services.update_organization(code, current_user, active=True, **form)
        else:
            services.update_organization(code, current_user, **form)
            services.deactivate_organization(code, current_user)
    except AppError as error:
        return _edit_page(organization, request.form, _refusal(error), error.status)
    flash(_("Đã lưu thay đổi."), "success")
    return redirect(url_for("directory.directory_list", q=code))


@bp.route("/<code>/deactivate", methods=["POST"])
@roles_required(*EDITORS)
def directory_deactivate(code: str) -> Any:
    organization = services.deactivate_organization(code, current_user)
    flash(_("Đã ngừng sử dụng %(n)s: không còn trong danh sách nơi nhận.", n=organization.name))
    return redirect(url_for("directory.directory_list", q=code))


# --- import -------------------------------------------------------------------------------


def _stash_dir() -> Path:
    folder = Path(current_app.config["EDOC"].data_dir) / "directory-imports"
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.iterdir():  # what was never confirmed goes after an hour
        if now - old.stat().st_mtime > STASH_SECONDS:
            old.unlink(missing_ok=True)
    return folder


def _stash(data: bytes, filename: str) -> str:
    token = secrets.token_urlsafe(32)
    folder = _stash_dir()
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"user_id": current_user.id, "filename": filename[:255]}
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def _unstash(token: str) -> tuple[bytes, str]:
    expired = ValidationError(
        "import_expired", _("Tệp đã kiểm tra không còn (quá một giờ?): tải tệp lên lại.")
    )
    if not _TOKEN.fullmatch(token):
        raise expired
    folder = _stash_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        raise expired from None
    if meta.get("user_id") != current_user.id:
        raise expired
    return data, str(meta.get("filename", ""))


def _drop(token: str) -> None:
    if _TOKEN.fullmatch(token):
        for suffix in (".bin", ".json"):
            (_stash_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def _read(data: bytes, filename: str) -> Table:
    with outside_transaction():
        return read_table(data, filename)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def directory_import() -> Any:
    context: dict[str, Any] = {"report": None, "refused": None, "token": "", "filename": ""}
    status = 200
    try:
        if request.method == "POST" and request.form.get("token"):
            token = request.form["token"]
            data, filename = _unstash(token)
            report = services.import_table(_read(data, filename), current_user)
            _drop(token)
            counts = report.counts()
            flash(
                _(
                    "Đã nhập danh bạ từ %(f)s: thêm %(c)d, cập nhật %(u)d, giữ nguyên %(s)d.",
                    f=filename,
                    c=counts["created"],
                    u=counts["updated"],
                    s=counts["unchanged"],
                ),
                "success",
            )
            return redirect(url_for("directory.directory_list"))
        if request.method == "POST":
            form = load_form(ImportForm(), CombinedMultiDict([request.form, request.files]))
            upload = form["file"]
            data = upload.stream.read(MAX_FILE_BYTES + 1)
            filename = upload.filename or ""
            context["filename"] = filename
            report = services.import_table(_read(data, filename), current_user, dry_run=True)
            context["report"] = report
            if report.created or report.updated:
                context["token"] = _stash(data, filename)
    except services.ImportRefused as error:
        context["refused"] = error
        status = error.status
    except AppError as error:
        flash(error.message, "error")
        status = error.status
    page = render_template(
        "directory/import.html", columns=services.column_label, levels=Level, **context
    )
    return page, status
