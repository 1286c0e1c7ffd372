"""The one job-progress script (static/js/job.js) on both pages that load it: a job that runs
while the page is open is followed live, and its end is shown the way each page asks — the
archive export reveals its download, the legacy import reloads to show its report or error."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.jobs import services as jobs
from edoc.users.models import User
from tests.fixtures.browser import sign_in

pytestmark = pytest.mark.browser


def _running_job(app: Flask, kind: str, params: dict[str, object], username: str) -> jobs.Run:
    """A job of ``username`` that a worker has started (what it leaves while it runs)."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        job = jobs.create_job(kind, params, user_id)
        db.session.commit()
        run = jobs.start(job.id)
        assert run is not None
        jobs.progress(run, done=1, total=4)
        return run


def _advance(
    app: Flask, run: jobs.Run, result: dict[str, Any] | None = None, error: str = ""
) -> None:
    with app.app_context():
        if result is not None or error:
            assert jobs.finish(run, result=result, error=error)
        else:
            jobs.progress(run, done=3, total=4)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_export_page_follows_the_job_and_reveals_the_download(
    page: Page, live_server: str, app: Flask
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    run = _running_job(app, "export", {"dossier_ids": []}, "luutru")
    sign_in(page, live_server, "luutru")
    page.goto(f"{live_server}/dossiers/jobs/{run.job_id}")
    status = page.get_by_test_id("job-status")
    expect(status).to_have_text("Đang xuất… 1/4")
    _advance(app, run)
    expect(status).to_have_text("Đang xuất… 3/4")
    expect(page.get_by_test_id("job-download")).to_be_hidden()
    _advance(app, run, result={"path": "/khong-co"})
    expect(status).to_have_text("Hoàn thành")
    expect(page.get_by_test_id("job-download")).to_be_visible()
    assert errors == []


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_legacy_page_follows_the_job_and_reloads_at_its_end(
    page: Page, live_server: str, app: Flask
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    run = _running_job(app, "legacy", {"upload_id": "x", "dry_run": True}, "quantri")
    sign_in(page, live_server, "quantri")
    page.goto(f"{live_server}/admin/legacy/jobs/{run.job_id}")
    expect(page.get_by_role("heading", name="Kiểm tra trước")).to_be_visible()
    status = page.get_by_test_id("job-status")
    expect(status).to_have_text("Đang xử lý… 1/4 dòng")
    _advance(app, run)
    expect(status).to_have_text("Đang xử lý… 3/4 dòng")
    with page.expect_navigation():
        _advance(app, run, error="Tệp sổ đăng ký không đọc được")
    expect(status).to_have_text("Tệp sổ đăng ký không đọc được")
    assert errors == []
