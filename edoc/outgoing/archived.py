"""Issued outgoing documents that come back from an archive package (``edoc import-package``).

Documents of an old system's outgoing register (``edoc import-legacy``) come back the same
way, through :func:`record_historic`: their number is the one they were issued under, kept as
written, never a number of this installation's register.

Such a document was numbered, signed and issued by the installation that exported it; here it
is a record of the archive, not a draft to work on, so it is kept as the document row and its
stored files only (no draft history, no register entry of this installation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import extract, select

from edoc.audit.services import Actor
from edoc.core.errors import Conflict
from edoc.core.extensions import db
from edoc.documents.files import CheckedFile
from edoc.documents.models import Direction, Document
from edoc.documents.records import add_file, audit, new_document
from edoc.outgoing.models import OutgoingStatus


def record_issued(fields: dict[str, Any], files: Sequence[tuple[str, CheckedFile]]) -> Document:
    """The issued document described by ``fields`` (Document columns: number, subject, dates,
    signer…) with its checked, stored ``files`` as (role, file). Flushes; the caller commits."""
    document = new_document(Direction.OUTGOING, OutgoingStatus.ISSUED, **fields)
    for role, stored in files:
        add_file(document, role, stored)
    db.session.flush()
    return document


def notation_taken(number_notation: str, year: int | None) -> int | None:
    """An outgoing document already recorded with this exact number in that year."""
    query = select(Document.id).where(
        Document.direction == Direction.OUTGOING,
        Document.number_notation == number_notation.strip(),
    )
    if year is not None:
        query = query.where(extract("year", Document.issued_date) == year)
    return db.session.scalar(query.limit(1))


def record_historic(
    fields: dict[str, Any],
    files: Sequence[tuple[str, CheckedFile]],
    actor: Actor,
    *,
    source: str,
    provenance: dict[str, Any] | None = None,
) -> Document:
    """An issued document of an old system's register, its number kept as it was issued.

    Refuses (409) a number already recorded here for the same year rather than renumbering:
    the caller reports the clash. Flushes and audits (``provenance``: what the entry records
    besides, such as the register row it came from); the caller commits."""
    issued = fields.get("issued_date")
    if notation_taken(fields["number_notation"], issued.year if issued else None):
        raise Conflict(
            "outgoing_number_taken",
            _("Số, ký hiệu %(n)s đã có trong sổ văn bản đi.", n=fields["number_notation"]),
        )
    document = record_issued(fields, files)
    main = next((f for role, f in files if role == "main"), None)
    audit(
        "outgoing.recorded",
        actor,
        document.id,
        source=source,
        number=document.number_notation,
        sha256=main.sha256 if main else None,
        signatures=main.signature_verdict if main else None,
        **(provenance or {}),
    )
    return document
