"""``/api/v1/jobs``: progress of long jobs, and their results."""

from __future__ import annotations

from typing import Any

from flask import Response, send_file
from flask.views import MethodView
from flask_babel import gettext as _
from marshmallow import Schema, fields

from edoc.api import BINARY, ZIP, Blueprint, UtcDateTime
from edoc.auth import api_roles, api_user
from edoc.errors import AppError
from edoc.jobs.services import get_job

blp = Blueprint("jobs_api", __name__, url_prefix="/api/v1", description="Tác vụ nền")


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String()
    total = fields.Integer()
    done = fields.Integer()
    percent = fields.Integer()
    message = fields.String()
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


@blp.route("/jobs/<job_id>")
class JobItem(MethodView):
    @blp.response(200, JobSchema)
    @api_roles()
    def get(self, job_id: str) -> Any:
        """A job started by the caller: status and progress."""
        return get_job(job_id, api_user().id)


@blp.route("/jobs/<job_id>/download")
class JobDownload(MethodView):
    @blp.response(200, BINARY, content_type=ZIP, description="The archive package.")
    @blp.alt_response(409, description="The job has not finished.")
    @api_roles()
    def get(self, job_id: str) -> Response:
        """The file a finished job produced (an archive package as ZIP)."""
        job = get_job(job_id, api_user().id)
        if job.status != "done" or not job.result or "path" not in job.result:
            raise AppError("job_not_done", _("Tác vụ chưa hoàn thành."), 409)
        return send_file(
            job.result["path"], as_attachment=True, download_name=f"goi-luu-tru-{job.id[:8]}.zip"
        )
