"""``/api/v1/jobs``: progress of long jobs, and their results."""

from __future__ import annotations

from typing import Any

from flask import Response, send_file
from flask.views import MethodView

from edoc.api import BINARY, ZIP, Blueprint, ErrorSchema, refusals
from edoc.core.auth import api_roles, api_user
from edoc.jobs.schemas import JobSchema
from edoc.jobs.services import download_path, get_job

blp = Blueprint("jobs_api", __name__, url_prefix="/api/v1", description="Tác vụ nền")


@blp.route("/jobs/<job_id>")
class JobItem(MethodView):
    @blp.response(200, JobSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such job started by the caller.")
    @refusals(blp, 401)
    @api_roles()
    def get(self, job_id: str) -> Any:
        """A job started by the caller: status and progress."""
        return get_job(job_id, api_user().id)


@blp.route("/jobs/<job_id>/download")
class JobDownload(MethodView):
    @blp.response(200, BINARY, content_type=ZIP, description="The archive package.")
    @blp.alt_response(403, schema=ErrorSchema, description="The caller may no longer take it.")
    @blp.alt_response(404, schema=ErrorSchema, description="No such job started by the caller.")
    @blp.alt_response(409, schema=ErrorSchema, description="The job has not finished.")
    @refusals(blp, 401)
    @api_roles()
    def get(self, job_id: str) -> Response:
        """The file a finished job produced (an archive package as ZIP)."""
        path = download_path(job_id, api_user())
        return send_file(path, as_attachment=True, download_name=f"goi-luu-tru-{job_id[:8]}.zip")
