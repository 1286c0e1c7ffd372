"""The worker delivers what its own checks queue without waiting for the minute's drain, and
each package leaves by the transport its next hop's peer is configured with."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from edoc.audit.services import Operator
from edoc.core.errors import ValidationError
from edoc.core.extensions import db
from edoc.exchange import files, transport
from edoc.exchange.delivery import http_transport
from edoc.exchange.models import ExchangeMessage
from edoc.exchange.transport import Route
from edoc.exchange.worker import drain
from edoc.incoming.models import IncomingDocument
from edoc.jobs.queue import huey
from tests.fixtures.exchange import Installation, change_peer, exported
from tests.fixtures.pki import Tokens


class CountingTransport:
    """HTTP, noting how many received packages were still unchecked at each delivery (read on
    a connection of its own: a transport runs with no session transaction open)."""

    seen: list[int] = []

    def __init__(self) -> None:
        self._http = http_transport()

    def deliver(self, route: Route, package: bytes, message_id: str) -> None:
        with db.engine.connect() as connection:
            unchecked = connection.scalar(
                select(func.count())
                .select_from(ExchangeMessage)
                .where(ExchangeMessage.direction == "in", ExchangeMessage.state == "received")
            )
        CountingTransport.seen.append(unchecked or 0)
        self._http.deliver(route, package, message_id)


def use_transport(installation: Installation, organ_code: str, name: str) -> None:
    """Configure ``installation``'s peer ``organ_code`` with the transport ``name``."""
    change_peer(installation, organ_code, transport=name)


def statuses_back(installation: Installation) -> int:
    with installation.app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(ExchangeMessage)
            .where(ExchangeMessage.direction == "in", ExchangeMessage.kind == "status")
        )


def test_the_01_a_check_queues_leaves_before_the_next_package_is_checked_by_the_peer_transport(
    pair: dict[str, Installation],
    softhsm_tokens: Tokens,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    monkeypatch.setitem(transport.TRANSPORTS, "counting", CountingTransport)
    monkeypatch.setattr(CountingTransport, "seen", [])
    use_transport(stc, tinh.organ_id, "counting")
    first = exported(tinh, stc, softhsm_tokens, tmp_path / "first.edxml")
    second = exported(tinh, stc, softhsm_tokens, tmp_path / "second.edxml")
    with stc.app.app_context():
        for package in (first, second):  # received, not yet checked (no request, no task)
            files.import_package(package, Operator.cli("test"))
        report = drain()
        assert report.checked == 2 and report.delivered == 2
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 2
    # the first 01 left while the second package still waited for its check: checking and
    # delivering take turns in one run; both left by the transport stc's peer tinh names
    assert CountingTransport.seen == [1, 0]
    assert statuses_back(tinh) == 2


@huey.task()
def import_in_a_task(package: bytes) -> None:
    """Work done by a queued task (not a web request) that accepts a package."""
    files.import_package(package, Operator.cli("test task"))


def test_a_task_that_queued_packages_gets_them_delivered_without_the_periodic_drain(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    package = exported(tinh, stc, softhsm_tokens, tmp_path / "one.edxml")
    with stc.app.app_context():
        import_in_a_task(package)  # the queue runs tasks inline in tests: its end asks for a drain
        assert db.session.scalar(select(func.count()).select_from(IncomingDocument)) == 1
        [status] = db.session.scalars(
            select(ExchangeMessage).where(ExchangeMessage.kind == "status")
        ).all()
        assert status.state == "delivered"
    assert statuses_back(tinh) == 1


def test_a_peer_with_a_transport_nobody_registered_is_refused(
    pair: dict[str, Installation],
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    with pytest.raises(ValidationError) as refused:
        use_transport(stc, tinh.organ_id, "truc-quoc-gia")
    assert "transport" in refused.value.details
