"""A job whose task the queue lost (Redis restarted empty) is queued again from its row, once
two checks in a row found it lost, and never while its task still waits."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.jobs import services as jobs
from edoc.jobs.models import Job
from edoc.users.models import User


def test_a_lost_export_is_queued_again_only_when_found_lost_twice(app: Flask, demo: None) -> None:
    with app.app_context():
        archivist = db.session.scalar(select(User).where(User.username == "luutru"))
        job = jobs.create_job("export", {"dossier_ids": [424242]}, archivist.id)
        other = jobs.create_job("reindex", {}, None)  # a kind no area runs again
        db.session.commit()
        job_id, other_id = job.id, other.id

        assert jobs.requeue_lost({job_id}, {job_id}) == ([], set())  # its task still waits
        requeued, suspected = jobs.requeue_lost(set(), set())
        assert (requeued, suspected) == ([], {job_id})  # lost once: maybe just taken
        assert db.session.get(Job, job_id).status == "queued"

        requeued, suspected = jobs.requeue_lost(set(), suspected)
        assert (requeued, suspected) == ([job_id], set())
        db.session.expire_all()
        ran = db.session.get(Job, job_id)  # tests run tasks at once: the export ran, and refused
        assert ran.status == "failed"
        assert "Xuất gói thất bại" in ran.message
        assert db.session.get(Job, other_id).status == "queued"
