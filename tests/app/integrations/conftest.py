"""A real webhook receiver (see tests/fixtures/webhooks.py) and an app allowed to deliver to
loopback."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures.app import bearer
from tests.fixtures.webhooks import Receiver, running_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


@pytest.fixture
def loopback(app: Flask) -> Flask:
    """The app with EDOC_WEBHOOK_ALLOW_PRIVATE on: the receiver is on this machine."""
    app.config["EDOC"] = dataclasses.replace(app.config["EDOC"], webhook_allow_private=True)
    return app


@pytest.fixture
def admin(client: FlaskClient, demo: None) -> dict[str, str]:
    return bearer(client, "quantri")
