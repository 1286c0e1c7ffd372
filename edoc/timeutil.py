"""Local time for people, naive UTC for the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["EDOC"].timezone)


def to_local(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(local_zone())


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
