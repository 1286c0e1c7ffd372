"""Twenty clerks issuing at the same instant get twenty distinct, consecutive numbers."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from edoc.core.extensions import db
from edoc.outgoing import services
from edoc.outgoing.models import NumberAllocation, OutgoingDocument
from edoc.users.models import User
from tests.fixtures.drafts import draft_pdf
from tests.fixtures.threads import in_parallel


def _drafts(app: Flask, count: int) -> list[int]:
    with app.app_context():
        drafter = db.session.scalar(select(User).where(User.username == "chuyenvien"))
        ids = []
        for index in range(count):
            upload = FileStorage(
                io.BytesIO(draft_pdf()), filename=f"d{index}.pdf", content_type="application/pdf"
            )
            ids.append(
                services.create_draft(
                    services.DraftFields(doc_type="QĐ", subject=f"Quyết định {index}"),
                    upload,
                    drafter,
                ).document_id
            )
            db.session.commit()  # services flush; the caller commits (the next draft's check
            # of its file runs with no transaction open)
        return ids


def test_twenty_concurrent_allocations(app: Flask, demo: None) -> None:
    ids = _drafts(app, 20)
    numbers: list[int] = []

    def allocate(document_id: int) -> None:
        with app.app_context():
            outgoing = db.session.get(OutgoingDocument, document_id)
            clerk = db.session.scalar(select(User).where(User.username == "vanthu"))
            numbers.append(services.allocate_number(outgoing, clerk).number)

    errors = in_parallel(allocate, [(i,) for i in ids])
    assert errors == []
    assert sorted(numbers) == list(range(1, 21))
    with app.app_context():
        rows = db.session.scalars(select(NumberAllocation.document_id)).all()
        assert sorted(rows) == sorted(ids)  # one number per document, none lost


def test_notation_follows_nd30(app: Flask, demo: None) -> None:
    [document_id] = _drafts(app, 1)
    with app.app_context():
        outgoing = db.session.get(OutgoingDocument, document_id)
        assert services.format_notation(5, outgoing) == "05/QĐ-UBND"
        assert services.format_notation(125, outgoing) == "125/QĐ-UBND"
        outgoing.document.doc_type_code = "CV"
        db.session.flush()
        db.session.refresh(outgoing.document)
        assert (
            services.format_notation(7, outgoing) == "07/UBND-TH"
        )  # công văn: body - drafting unit
