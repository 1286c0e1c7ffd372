"""A real SMTP server, an app that sends to it, and the demo people with e-mail addresses."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edoc.audit.services import Operator
from edoc.core.extensions import db
from edoc.users import services as users
from tests.fixtures.app import bearer
from tests.fixtures.smtp import Mailbox, running_smtp_server

ADDRESSES = {
    "vanthu": "vanthu@ubnd.demo.gov.vn",
    "lanhdao": "lanhdao@ubnd.demo.gov.vn",
    "chuyenvien": "chuyenvien@ubnd.demo.gov.vn",
}


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with running_smtp_server() as mailbox:
        yield mailbox


@pytest.fixture
def mailing(app: Flask, demo: None, smtp: Mailbox) -> Flask:
    """The app sending e-mail to the test server; the demo people have addresses."""
    app.config["EDOC"] = dataclasses.replace(
        app.config["EDOC"],
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        smtp_from="edoc@ubnd.demo.gov.vn",
        public_url="https://edoc.demo.gov.vn",
    )
    with app.app_context():
        for username, address in ADDRESSES.items():
            user = users.find_user(username)
            users.update_user(
                user.id,
                full_name=user.full_name,
                title=user.title,
                email=address,
                roles=user.roles,
                unit_id=user.unit_id,
                clearance=user.clearance_level,
                active=user.active,
                actor=Operator.cli("test"),
            )
        db.session.commit()
    return app


@pytest.fixture
def leader(client: FlaskClient, demo: None) -> dict[str, str]:
    return bearer(client, "lanhdao")


@pytest.fixture
def specialist(client: FlaskClient, demo: None) -> dict[str, str]:
    return bearer(client, "chuyenvien")
