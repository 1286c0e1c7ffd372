"""The clock every service reads: local time for people, naive UTC for the database.

Services never take "today" or "now" as a parameter: they ask :func:`utcnow` or
:func:`local_today`. Loading historical records (the demo's past weeks) sets the clock with
:func:`set_clock` for the duration of a block, so production services carry no parameter that
only the demo uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

_fixed_now: ContextVar[datetime | None] = ContextVar("edoc_fixed_now", default=None)


def utcnow() -> datetime:
    """Naive UTC: stored the same way on SQLite and PostgreSQL, so hashes over rows agree."""
    fixed = _fixed_now.get()
    return fixed if fixed is not None else datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def set_clock(moment: datetime) -> Iterator[None]:
    """Within the block, :func:`utcnow` answers ``moment`` (naive UTC)."""
    token = _fixed_now.set(moment)
    try:
        yield
    finally:
        _fixed_now.reset(token)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["EDOC"].timezone)


def to_local(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(local_zone())


def local_today() -> date:
    """The agency's calendar day now, by the clock."""
    return to_local(utcnow()).date()


def local_day_start_utc(day: date) -> datetime:
    """The UTC instant (naive) at which ``day`` begins in the agency's time zone."""
    return datetime.combine(day, time.min, local_zone()).astimezone(UTC).replace(tzinfo=None)


def local_day_end_utc(day: date) -> datetime:
    return local_day_start_utc(day + timedelta(days=1))


# Agency records start well after 1900; 2999 leaves room for any deadline. Both ends stay far
# from date.min/date.max so local-day arithmetic (±1 day, time zones) cannot overflow.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)


def parse_user_date(raw: str | None) -> date | None:
    """Accept dd/mm/yyyy (what users type) and ISO yyyy-mm-dd (what date inputs send).

    A date outside MIN_DATE..MAX_DATE is not a date anyone means: it is refused like a typo.
    """
    if not raw:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
        return parsed if MIN_DATE <= parsed <= MAX_DATE else None
    return None
