"""``/api/v1/directory``: the directory of agencies: search, one agency, add, change, import.

Every signed-in caller may read it (it is who documents go to); clerks and admins change it.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from edoc.api import Blueprint, refusals
from edoc.core.auth import Role, api_roles, api_user
from edoc.core.transactions import outside_transaction
from edoc.directory import services
from edoc.directory.schemas import (
    DirectoryArgs,
    DirectoryPage,
    ImportForm,
    ImportResponse,
    OrganizationSchema,
    OrganizationUpdate,
)
from edoc.directory.tables import MAX_FILE_BYTES, read_table

blp = Blueprint(
    "directory_api", __name__, url_prefix="/api/v1/directory", description="Danh bạ cơ quan"
)

NO_SUCH = (404, "No agency with this code in the directory.")


@blp.route("")
class Directory(MethodView):
    @blp.arguments(DirectoryArgs, location="query")
    @blp.response(200, DirectoryPage)
    @refusals(blp, 401)
    @api_roles()
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Agencies whose name or code contains ``q`` (diacritics optional), by name."""
        total, items = services.search(args["q"], args["page"], args["per_page"])
        return {"total": total, "items": items}

    @blp.arguments(OrganizationSchema)
    @blp.response(201, OrganizationSchema)
    @refusals(blp, (409, "An agency with this code is already in the directory."))
    @refusals(blp, 401, 403)
    @api_roles(Role.ADMIN, Role.CLERK)
    def post(self, args: dict[str, Any]) -> Any:
        """Add an agency (``parent_code`` must already be in the directory)."""
        return services.create_organization(actor=api_user(), **args)


@blp.route("/import")
class Import(MethodView):
    @blp.arguments(ImportForm, location="multipart")
    @blp.response(200, ImportResponse)
    @refusals(blp, 401, 403)
    @api_roles(Role.ADMIN, Role.CLERK)
    def post(self, form: dict[str, Any]) -> dict[str, Any]:
        """Add and update agencies from a CSV (UTF-8, ``,`` or ``;``) or XLSX file, by code.

        Columns ``ma_dinh_danh``, ``ten`` (required), ``ma_cap_tren``, ``cap``, ``dia_chi``,
        ``email``, ``dien_thoai`` (Vietnamese headings such as "Mã định danh" work too). All
        rows or none: any wrong row is a 422 whose ``details.rows`` names each row, column and
        reason. ``dry_run``: report what would change, write nothing."""
        upload = form["file"]
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        with outside_transaction():
            table = read_table(data, upload.filename or "")
        report = services.import_table(table, api_user(), dry_run=form["dry_run"])
        return {
            "dry_run": report.dry_run,
            "created": report.created,
            "updated": report.updated,
            "unchanged": len(report.unchanged),
        }


@blp.route("/<code>")
class Agency(MethodView):
    @blp.response(200, OrganizationSchema)
    @refusals(blp, NO_SUCH)
    @refusals(blp, 401)
    @api_roles()
    def get(self, code: str) -> Any:
        """One agency, by its code."""
        return services.get_by_code(code)

    @blp.arguments(OrganizationUpdate)
    @blp.response(200, OrganizationSchema)
    @refusals(blp, NO_SUCH)
    @refusals(blp, 401, 403)
    @api_roles(Role.ADMIN, Role.CLERK)
    def patch(self, args: dict[str, Any], code: str) -> Any:
        """Change what is sent (``active: false`` takes it off the recipient lists)."""
        active = args.pop("active", None)
        organization = services.update_organization(code, api_user(), **args)
        if active is False:
            services.deactivate_organization(code, api_user())
        elif active is True:
            services.update_organization(code, api_user(), active=True)
        return organization
