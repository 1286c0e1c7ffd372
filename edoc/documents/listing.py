"""A page of a document list: the filters every list shares (status, free text), the count and
the page of rows, so the incoming and outgoing lists (pages and API) page and search alike."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields
from sqlalchemy import Select, or_

from edoc.core import paging
from edoc.core.params import page_field, per_page_field
from edoc.documents.models import Document


class ListArgs(Schema):
    """The filters of every document list (``?status=&q=&page=&per_page=``)."""

    status = fields.String(load_default=None)
    q = fields.String(load_default="")
    page = page_field()
    per_page = per_page_field()


@dataclass
class ListFilter:
    status: str | None = None
    q: str = ""
    page: int = 1
    per_page: int = 50


def filtered(query: Select, flt: ListFilter) -> Select:
    """``query`` (joined to ``Document``) narrowed to a status and to a text found in the
    subject or the number."""
    if flt.status:
        query = query.where(Document.status == flt.status)
    if flt.q.strip():
        like = f"%{flt.q.strip()}%"
        query = query.where(or_(Document.subject.ilike(like), Document.number_notation.ilike(like)))
    return query


def one_page(query: Select, flt: ListFilter, *order_by: Any) -> tuple[int, list[Any]]:
    """How many rows ``query`` finds, and the rows of the filter's page in ``order_by``."""
    return paging.one_page(query, flt.page, flt.per_page, *order_by)
