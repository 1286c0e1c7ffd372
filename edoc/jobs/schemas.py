"""A long job as ``/api/v1/jobs`` and the job page's poller read it."""

from __future__ import annotations

from marshmallow import Schema, fields

from edoc.api import UtcDateTime


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "what the job does, e.g. export"})
    status = fields.String(
        metadata={
            "description": "queued (again, after a transient failure: see message), running, "
            "done or failed"
        }
    )
    total = fields.Integer(metadata={"description": "steps in all (documents, for an export)"})
    done = fields.Integer(metadata={"description": "steps done by the current attempt"})
    percent = fields.Integer()
    message = fields.String(metadata={"description": "progress, or why it failed (Vietnamese)"})
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)
