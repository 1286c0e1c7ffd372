"""Bench-only set-up for ``bench/exchange.py``: N issued documents on the district in seconds.

Issuing a document the real way (draft upload, the leader's signature, the clerk's number and
seal, each result validated in a bounded child) costs 5–15 s on the 2-core machine, so 1,000 of
them would take hours before the measure even starts. ``bench/exchange.py`` therefore issues a
few documents the real way and runs this script in the district's own environment (its
``EDOC_*`` settings, its database) to copy their records — ``documents``, ``document_files``,
``outgoing_documents`` — under new numbers and subjects. A copy points at the same signed PDF
blob (the same bytes, signatures valid), so what is measured afterwards — the send, the package
built and sealed per document, the hub's check and forward, the department's seal and PDF
signature validation, the status 01 back — is exactly the product's path for each copy.

What differs from N really issued documents: only ``--distinct`` different PDFs travel, so the
department's content-addressed blob store writes each PDF once (the later copies cost one
existence check instead of a 1 MB write; every package is still stored whole at the hub and
the department and every PDF still validated).

    python -m bench.exchange_copies SOURCE_ID[,SOURCE_ID…] COUNT FIRST_NUMBER
"""

from __future__ import annotations

import sys

from sqlalchemy import MetaData, Table, insert, select

from edoc.app import create_app  # the district's PYTHONPATH and EDOC_* settings
from edoc.core.extensions import db

COPIED = ("documents", "document_files", "outgoing_documents")


def copy_documents(sources: list[int], count: int, first_number: int) -> list[int]:
    """``count`` copies of the issued ``sources`` (round robin), numbered from
    ``first_number``; returns the new documents' ids, in order."""
    metadata = MetaData()
    metadata.reflect(db.engine, only=COPIED)
    documents, files, outgoing = (metadata.tables[name] for name in COPIED)
    made: list[int] = []
    with db.engine.begin() as connection:
        originals = {
            source: (
                connection.execute(select(documents).where(documents.c.id == source)).one(),
                connection.execute(select(files).where(files.c.document_id == source)).all(),
                connection.execute(select(outgoing).where(outgoing.c.document_id == source)).one(),
            )
            for source in sources
        }
        for n in range(count):
            document, its_files, its_outgoing = originals[sources[n % len(sources)]]
            _number, _sep, notation = document.number_notation.partition("/")
            number = first_number + n
            row = _without_id(documents, document._mapping)
            row["number_notation"] = f"{number}/{notation}"
            row["subject"] = f"Văn bản đo liên thông số {number}"
            new_id = int(connection.execute(insert(documents).values(row)).inserted_primary_key[0])
            for file in its_files:
                values = {**_without_id(files, file._mapping), "document_id": new_id}
                connection.execute(insert(files).values(values))
            connection.execute(
                insert(outgoing).values({**dict(its_outgoing._mapping), "document_id": new_id})
            )
            made.append(new_id)
    return made


def _without_id(table: Table, row: object) -> dict[str, object]:
    values = dict(row)  # type: ignore[call-overload]
    if "id" in table.c and table.c.id.primary_key:
        values.pop("id", None)
    return values


def main() -> None:
    sources = [int(s) for s in sys.argv[1].split(",")]
    count, first_number = int(sys.argv[2]), int(sys.argv[3])
    with create_app().app_context():
        print(",".join(str(i) for i in copy_documents(sources, count, first_number)))


if __name__ == "__main__":
    main()
