"""Gapless, per-register, per-year numbers.

The counter row is incremented with ``UPDATE … RETURNING`` inside the caller's transaction: the
row lock makes concurrent registrations queue (PostgreSQL row lock; SQLite's write lock, taken
at BEGIN IMMEDIATE), and a transaction that rolls back gives its number back, so no gap and no
duplicate can appear.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from edoc.core.extensions import db
from edoc.documents.models import RegisterCounter


def next_number(register_id: int, year: int) -> int:
    number = _increment(register_id, year)
    if number is not None:
        return number
    try:
        with db.session.begin_nested():
            db.session.add(RegisterCounter(register_id=register_id, year=year, last_number=0))
    except IntegrityError:
        pass  # another transaction created this year's counter first; its lock orders us
    number = _increment(register_id, year)
    assert number is not None
    return number


def _increment(register_id: int, year: int) -> int | None:
    return db.session.execute(
        update(RegisterCounter)
        .where(RegisterCounter.register_id == register_id, RegisterCounter.year == year)
        .values(last_number=RegisterCounter.last_number + 1)
        .returning(RegisterCounter.last_number)
    ).scalar_one_or_none()


def last_number(register_id: int, year: int) -> int:
    value = db.session.scalar(
        select(RegisterCounter.last_number).where(
            RegisterCounter.register_id == register_id, RegisterCounter.year == year
        )
    )
    return value or 0
