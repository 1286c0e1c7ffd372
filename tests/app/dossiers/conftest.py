"""The dossiers' tests share one closed dossier of two incoming documents (05.TH)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.dossiers import services
from edoc.users.models import User
from tests.fixtures.app import api_token
from tests.fixtures.documents import post_incoming
from tests.fixtures.selfsigned import blank_pdf


@pytest.fixture
def closed_dossier(app: Flask, client: FlaskClient, demo: None) -> int:
    """Dossier 05.TH of 2026, kept ten years: two incoming documents (the first added twice,
    listed once), closed by the archivist."""
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    ids = [
        post_incoming(
            client, clerk, blank_pdf("Bao cao"), subject="Về việc báo cáo tình hình bão lũ"
        ).get_json()["id"],
        post_incoming(
            client,
            clerk,
            blank_pdf("Ke hoach"),
            subject="Kế hoạch phòng chống thiên tai",
            doc_type="KH",
        ).get_json()["id"],
    ]
    with app.app_context():
        archivist = db.session.scalar(select(User).where(User.username == "luutru"))
        dossier = services.create(
            services.DossierFields(
                year=2026,
                code="05.TH",
                title="Hồ sơ phòng chống thiên tai năm 2026",
                retention_years=10,
                keeper_id=archivist.id,
            ),
            archivist,
        )
        assert services.add_documents(dossier.id, ids + ids[:1], archivist) == 2
        services.close(dossier.id, archivist)
        db.session.commit()
        return dossier.id
