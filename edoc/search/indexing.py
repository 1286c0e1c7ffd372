"""Keeping the index in step with the database: the outbox, the worker's drain, and reindex.

Every change to a document, its files, its handling or its dossier writes an outbox row in the
same transaction (see ``outbox.py``), so the index can be down for a day and lose nothing:
``drain`` indexes what the rows name and deletes only the rows it indexed. The text of files is
read once per blob and kept in ``text_extracts``; OCR of scanned pages runs as its own task so a
long scan never holds back the indexing of everything else.

Outgoing documents enter the index only once issued: a draft's readers are a few named people
(:mod:`edoc.outgoing.access`), which the index's secrecy filter cannot express, and its totals
and facets would count drafts for everyone. Issuing a draft indexes it; drafts indexed by an
earlier version are queued for removal by the migration ``b3d81c4e6f02``.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from edoc.blobs.service import blob_store
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.documents.agency import agency_name
from edoc.documents.models import Direction, Document, DocumentFile, Urgency
from edoc.incoming.models import IncomingDocument
from edoc.jobs import outbox
from edoc.outgoing.access import is_unissued, unissued_condition
from edoc.outgoing.models import OutgoingDocument
from edoc.search.backend import schema_current, search_backend
from edoc.search.models import TextExtract
from edoc.search.outbox import TOPIC
from search import IndexDocument, SearchError
from search.extract import ExtractedText, ExtractionError, extract_pdf_text
from storage import BlobStore

log = logging.getLogger(__name__)

BATCH = 200  # documents per claim: one engine call each
INDEXED_FILE_ROLES = ("main", "appendix", "attachment")

#: What areas above search add to a document's index entry (the dossiers area: the dossier
#: holding it), registered by them at start-up so search never imports them.
IndexFields = Callable[[Document], dict[str, Any]]
_field_providers: dict[str, IndexFields] = {}


def add_index_fields(name: str, provider: IndexFields) -> None:
    """``provider(document)`` gives IndexDocument fields (e.g. ``{"dossier": "12"}``)."""
    _field_providers[name] = provider


def index_document(document: Document, texts: dict[str, str]) -> IndexDocument:
    """What the index holds about one document (``texts``: extracted text by blob address)."""
    incoming = db.session.get(IncomingDocument, document.id)
    outgoing = db.session.get(OutgoingDocument, document.id)
    body = [texts.get(f.sha256, "") for f in document.files if f.role in INDEXED_FILE_ROLES]
    unit = ""
    arrival = None
    sender = document.issuer_org
    signer = document.signer_name
    if incoming is not None:
        arrival = incoming.received_at.date() if incoming.received_at else None
        routings = list(incoming.routings)
        body += [r.direction_text for r in routings]
        if routings and routings[-1].lead_unit is not None:
            unit = routings[-1].lead_unit.name
    if outgoing is not None:
        sender = sender or agency_name()
        signer = signer or (outgoing.signer.full_name if outgoing.signer else "")
        if outgoing.drafter.unit is not None:
            unit = outgoing.drafter.unit.name
    urgency = Urgency(document.urgency)
    indexed = IndexDocument(
        id=str(document.id),
        direction=Direction(document.direction).value,  # type: ignore[arg-type]
        subject=document.subject,
        number_notation=document.number_notation or None,
        body="\n".join(part for part in body if part),
        doc_type=document.doc_type.name if document.doc_type else None,
        sender=sender or None,
        signer=signer or None,
        unit=unit or None,
        urgency=urgency.label if urgency is not Urgency.NORMAL else None,
        secrecy=document.secrecy,
        status=document.status,
        issued_date=document.issued_date,
        arrival_date=arrival,
        created_at=document.created_at,
    )
    extra: dict[str, Any] = {}
    for provider in _field_providers.values():
        extra |= provider(document)
    return replace(indexed, **extra) if extra else indexed


def _load(document_ids: Sequence[int]) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.id.in_(document_ids))
            .options(selectinload(Document.files))
        )
    )


def _texts(documents: Iterable[Document]) -> tuple[dict[str, str], set[str]]:
    """Extracted texts of these documents' PDFs, and the blobs still waiting for extraction."""
    wanted = {
        f.sha256
        for d in documents
        for f in d.files
        if f.role in INDEXED_FILE_ROLES and f.content_type == "application/pdf"
    }
    if not wanted:
        return {}, set()
    rows = db.session.execute(
        select(TextExtract.sha256, TextExtract.text).where(TextExtract.sha256.in_(wanted))
    ).all()
    texts = {sha: text for sha, text in rows}
    return texts, wanted - texts.keys()


def _index(document_ids: Sequence[int]) -> set[str]:
    """Index (or remove) these documents; returns the blobs whose text is not read yet."""
    documents = [d for d in _load(document_ids) if not is_unissued(d)]
    texts, missing = _texts(documents)
    found = {d.id for d in documents}
    batch = [index_document(d, texts) for d in documents]
    gone = [str(i) for i in document_ids if i not in found]
    with outside_transaction():  # SQLite's writer lock must be free for an index in its file
        backend = search_backend()
        if batch:
            backend.index(batch)
        if gone:
            backend.delete(gone)
    return missing


def drain(limit: int = 5000, schedule_extraction: Callable[[str], None] | None = None) -> int:
    """Index what the outbox names, oldest first; returns how many documents were indexed.

    Each batch is claimed first (:func:`edoc.jobs.outbox.claim`), so drains running at once
    share the work and never index one document twice at a time. A row is deleted only after
    its document was indexed and the reading of its unread PDFs was scheduled, so a worker
    killed between two batches leaves no indexed document waiting for the hourly check to
    have its text read. When the index is unavailable the rows are released with their error
    and the next drain retries them; any other failure is recorded on the rows, which keep
    their lease (the documents after them go on being indexed), and propagates.
    """
    indexed = 0
    scheduled: set[str] = set()
    while indexed < limit:
        taken = outbox.claim(TOPIC, BATCH)
        if taken is None:
            break
        try:
            unread = _index(taken.document_ids)
            if schedule_extraction is not None:
                for sha256 in sorted(unread - scheduled):
                    schedule_extraction(sha256)
                scheduled |= unread
        except SearchError as exc:
            outbox.release(taken, str(exc))
            log.warning(
                "search index unavailable, %d documents kept: %s", len(taken.document_ids), exc
            )
            break
        except Exception as exc:
            db.session.rollback()
            outbox.fail(taken, f"{type(exc).__name__}: {exc}")
            raise
        outbox.complete(taken)
        indexed += len(taken.document_ids)
    return indexed


def _read(store: BlobStore, sha256: str, memory_limit_mb: int) -> ExtractedText | ExtractionError:
    """The slow, database-free part (read the blob, extract, OCR): safe to run in threads."""
    with store.open(sha256) as stream:
        data = stream.read()
    try:
        return extract_pdf_text(data, memory_limit_mb=memory_limit_mb)
    except ExtractionError as exc:
        return exc


def _save(
    store: BlobStore, sha256: str, result: ExtractedText | ExtractionError, queue: bool
) -> TextExtract:
    row = TextExtract(sha256=sha256, status="ok")
    if isinstance(result, ExtractionError):
        row.status = "failed"
        row.error_code = result.code
        row.error = str(result)[:2000]
        log.warning("text of blob %s not read: %s", sha256, result)
    else:
        row.text = result.text
        row.pages = len(result.pages)
        row.ocr_pages = len(result.ocr_pages)
        if result.ocr_pdf is not None:
            row.ocr_sha256 = store.put(io.BytesIO(result.ocr_pdf)).sha256
    db.session.merge(row)
    if queue:
        document_ids = db.session.scalars(
            select(DocumentFile.document_id).where(DocumentFile.sha256 == sha256).distinct()
        ).all()
        outbox.queue(TOPIC, document_ids)
    db.session.commit()  # one extract per commit: a long batch keeps what it has read
    return row


def extract(sha256: str, *, queue: bool = True) -> TextExtract:
    """Read (and OCR where needed) one stored PDF, keep its text, and queue its documents."""
    existing = db.session.get(TextExtract, sha256)
    if existing is not None:
        return existing
    store = blob_store()
    memory_limit_mb = current_app.config["EDOC"].file_tool_memory_mb
    with outside_transaction():  # pdftotext and OCR may take minutes on a hostile file
        result = _read(store, sha256, memory_limit_mb)
    return _save(store, sha256, result, queue)


def unread_pdfs(limit: int = 2000) -> list[str]:
    """Stored PDFs of indexed documents whose text was never read (no ``text_extracts`` row):
    their extraction task was lost with the worker running it (killed mid-OCR) or with the
    queue. The drain schedules extraction once per blob; this finds the ones it never got."""
    read = select(TextExtract.sha256).where(TextExtract.sha256 == DocumentFile.sha256)
    return list(
        db.session.scalars(
            select(DocumentFile.sha256)
            .join(Document, Document.id == DocumentFile.document_id)
            .where(
                DocumentFile.role.in_(INDEXED_FILE_ROLES),
                DocumentFile.content_type == "application/pdf",
                ~unissued_condition(),
                ~read.exists(),
            )
            .distinct()
            .limit(limit)
        )
    )


def extract_many(sha256s: Sequence[str]) -> None:
    """Read several blobs at once, one per core: OCR is one single-threaded Tesseract each."""
    store = blob_store()
    memory_limit_mb = current_app.config["EDOC"].file_tool_memory_mb
    with outside_transaction(), ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        results = list(pool.map(lambda sha: _read(store, sha, memory_limit_mb), sha256s))
    for sha256, result in zip(sha256s, results, strict=True):
        _save(store, sha256, result, queue=False)


def _batches(
    batch: int, read_missing_text: bool, progress: Callable[[int, int], None] | None
) -> Iterator[list[IndexDocument]]:
    """Every indexed document, in id order, as index documents; reads text not read yet on the
    way."""
    total = db.session.scalar(select(func.count(Document.id)).where(~unissued_condition())) or 0
    done = 0
    last_id = 0
    while True:
        ids = list(
            db.session.scalars(
                select(Document.id)
                .where(Document.id > last_id, ~unissued_condition())
                .order_by(Document.id)
                .limit(batch)
            )
        )
        if not ids:
            return
        last_id = ids[-1]
        documents = _load(ids)
        texts, missing = _texts(documents)
        if read_missing_text and missing:
            extract_many(sorted(missing))
            texts, _ = _texts(documents)
        prepared = [index_document(d, texts) for d in documents]
        db.session.commit()  # hold no lock while the engine writes
        yield prepared
        done += len(ids)
        if progress:
            progress(done, total)


def reindex(
    progress: Callable[[int, int], None] | None = None,
    *,
    read_missing_text: bool = True,
    batch: int = 500,
) -> int:
    """Rebuild the index from the database.

    An engine that can (Elasticsearch) fills a new index and swaps it in, so searches keep
    answering meanwhile; the database backends are emptied and refilled. Text not read yet is
    read on the way (``read_missing_text``), so the rebuilt index is complete. Changes made
    during the rebuild still go through the outbox, so none is missed.
    """
    covered = outbox.last_entry(TOPIC)
    db.session.commit()  # end the read before the long rebuild
    backend = search_backend(check_schema=False)
    batches = _batches(batch, read_missing_text, progress)
    rebuild = getattr(backend, "rebuild", None)
    if rebuild is not None:
        count = rebuild(doc for prepared in batches for doc in prepared)
    else:
        backend.reset()
        count = sum(backend.index(prepared) for prepared in batches)
        optimize = getattr(backend, "optimize", None)
        if optimize is not None:
            db.session.commit()  # the last batch's read ends: SQLite allows one writer
            optimize()
    schema_current()
    if covered is not None:  # changes made before the rebuild began are in it now
        outbox.forget_through(TOPIC, covered)
        db.session.commit()  # the rebuild's one write: the rows it made unnecessary
    return count
