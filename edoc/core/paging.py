"""One page of a list query: how many rows it finds, and the rows of the page asked for.

Every list (documents, exchange messages, agencies, notifications, audit events, search with
no index) counts and pages the same way: count over the filtered query as a subquery, then
the page in the list's order. Here once, so a list cannot count one query and page another.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from edoc.core.extensions import db


def count_rows(query: Select) -> int:
    """How many rows ``query`` finds (its own filters, joins and distinct kept)."""
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def offset_of(page: int, per_page: int) -> int:
    """The rows before page ``page`` (pages count from 1; a lower number is the first page)."""
    return (max(page, 1) - 1) * per_page


def one_page(query: Select, page: int, per_page: int, *order_by: Any) -> tuple[int, list[Any]]:
    """How many rows ``query`` finds, and the rows of page ``page`` in ``order_by``."""
    total = count_rows(query)
    rows = db.session.scalars(
        query.order_by(*order_by).limit(per_page).offset(offset_of(page, per_page))
    ).all()
    return total, list(rows)


def page_count(total: int, per_page: int) -> int:
    """Pages a pager offers: at least one, even for an empty list."""
    return max(1, -(-total // per_page))
