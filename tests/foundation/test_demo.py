from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from edoc.audit.services import verify_chain
from edoc.cli import cli
from edoc.documents.models import Document
from edoc.dossiers.models import Dossier
from edoc.extensions import db
from edoc.incoming.models import IncomingDocument
from tests.app_fixtures import login


def test_demo_loads_a_used_agency(app: Flask) -> None:
    result = app.test_cli_runner().invoke(cli, ["demo", "--if-empty", "--documents", "15"])
    assert result.exit_code == 0, result.output
    assert "vanthu" in result.output and "lanhdao" in result.output
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Document.status, func.count()).group_by(Document.status)
            ).all()
        )
        assert statuses.get("registered", 0) >= 1
        assert statuses.get("presented", 0) >= 1
        assert statuses.get("submitted") == 4  # drafts waiting for the leader
        numbers = db.session.scalars(
            select(IncomingDocument.arrival_number).where(IncomingDocument.register_id == 1)
        ).all()
        assert sorted(numbers) == list(range(1, len(numbers) + 1))  # gapless
        assert db.session.scalar(select(func.count()).select_from(Dossier)) == 5
        assert verify_chain()[1] is None  # every step was audited through the services
    again = app.test_cli_runner().invoke(cli, ["demo", "--if-empty"])
    assert "nothing to do" in again.output
    client = app.test_client()
    login(client, "lanhdao", "edoc-demo-test")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Dự thảo chờ ký số" in page
