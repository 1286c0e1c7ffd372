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


def parse_user_date(raw: str | None) -> date | None:
    """Accept dd/mm/yyyy (what users type) and ISO yyyy-mm-dd (what date inputs send)."""
    if not raw:
        return None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None
