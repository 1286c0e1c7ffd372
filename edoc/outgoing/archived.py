"""Issued outgoing documents that come back from an archive package (``edoc import-package``).

Such a document was numbered, signed and issued by the installation that exported it; here it
is a record of the archive, not a draft to work on, so it is kept as the document row and its
stored files only (no draft history, no register entry of this installation).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edoc.core.extensions import db
from edoc.documents.files import CheckedFile
from edoc.documents.models import Direction, Document
from edoc.documents.records import add_file, new_document
from edoc.outgoing.models import OutgoingStatus


def record_issued(fields: dict[str, Any], files: Sequence[tuple[str, CheckedFile]]) -> Document:
    """The issued document described by ``fields`` (Document columns: number, subject, dates,
    signer…) with its checked, stored ``files`` as (role, file). Flushes; the caller commits."""
    document = new_document(Direction.OUTGOING, OutgoingStatus.ISSUED, **fields)
    for role, stored in files:
        add_file(document, role, stored)
    db.session.flush()
    return document
