"""Arrival numbers: one gapless sequence per register per year, even under concurrency."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select

from edoc.core.extensions import db
from edoc.documents.files import CheckedFile
from edoc.documents.models import Register
from edoc.documents.numbering import next_number
from edoc.incoming import services
from edoc.incoming.models import IncomingDocument
from edoc.users.models import User
from tests.fixtures.threads import in_parallel

SCAN = CheckedFile(filename="scan.pdf", content_type="application/pdf", sha256="a" * 64, size=10)


def _fields(**overrides: object) -> services.IncomingFields:
    values: dict[str, object] = {
        "sender_org": "Sở Tài chính tỉnh Demo",
        "number_notation": "15/STC-NS",
        "doc_type": "CV",
        "subject": "Về việc báo cáo quyết toán ngân sách năm 2025",
        "received_via": "paper",
    }
    values.update(overrides)
    return services.IncomingFields(**values)  # type: ignore[arg-type]


def _clerk() -> User:
    return db.session.scalar(select(User).where(User.username == "vanthu"))


def _register_many(app: Flask, count: int, results: list[int]) -> None:
    with app.app_context():
        clerk = _clerk()
        for _ in range(count):
            incoming = services.receive(_fields(), SCAN, clerk)
            db.session.commit()
            results.append(incoming.arrival_number)


def test_fifty_concurrent_registrations_get_one_to_fifty(app: Flask, demo: None) -> None:
    results: list[int] = []
    errors = in_parallel(_register_many, [(app, 5, results)] * 10)
    assert errors == []
    assert sorted(results) == list(range(1, 51))


def test_secret_documents_use_their_own_register(app: Flask, demo: None) -> None:
    with app.app_context():
        clerk = _clerk()  # cleared for "Mật"
        first = services.receive(_fields(), SCAN, clerk)
        secret = services.receive(_fields(secrecy=1), SCAN, clerk)
        second = services.receive(_fields(), SCAN, clerk)
        assert (first.arrival_number, second.arrival_number) == (1, 2)
        assert secret.arrival_number == 1
        assert secret.register.code == "DEN-MAT"


def test_numbers_restart_each_year(app: Flask, demo: None) -> None:
    with app.app_context():
        clerk = _clerk()
        last_year = services.receive(_fields(received_at=datetime(2025, 12, 31, 9, 0)), SCAN, clerk)
        this_year = services.receive(_fields(received_at=datetime(2026, 1, 1, 9, 0)), SCAN, clerk)
        assert (last_year.arrival_year, last_year.arrival_number) == (2025, 1)
        assert (this_year.arrival_year, this_year.arrival_number) == (2026, 1)


def test_a_failed_registration_gives_its_number_back(app: Flask, demo: None) -> None:
    with app.app_context():
        register_id = db.session.scalar(select(Register.id).where(Register.code == "DEN"))
        assert next_number(register_id, 2030) == 1
        db.session.rollback()
        assert next_number(register_id, 2030) == 1
        db.session.commit()
        assert next_number(register_id, 2030) == 2


def test_unknown_type_consumes_no_number(app: Flask, demo: None) -> None:
    with app.app_context():
        clerk = _clerk()
        try:
            services.receive(_fields(doc_type="XX"), SCAN, clerk)
        except services.ValidationError as error:
            assert error.details == {"doc_type": "Loại văn bản không hợp lệ: XX."}
        else:
            raise AssertionError("an unknown document type must be refused")
        db.session.rollback()
        assert db.session.scalars(select(IncomingDocument)).all() == []
        assert services.receive(_fields(), SCAN, clerk).arrival_number == 1
