"""Working days: deadlines ("within 5 working days") skip weekends and public holidays.

Vietnamese public holidays move every year (Tết and the Hùng Kings' day follow the lunar
calendar, and the government shifts days to make bridges), so the list is data, not a rule:
:data:`DEFAULT_HOLIDAYS` holds the days off of 2026–2027 as announced or, where not yet
announced, as the Labour Code gives them; an installation replaces it with its own file
(``EDOC_HOLIDAYS_FILE``: one date a line, ``dd/mm/yyyy`` or ``yyyy-mm-dd``, ``#`` starts a
comment) when the Prime Minister's decision for a year comes out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from flask import current_app

from edoc.core.clock import parse_user_date

#: Days off for civil servants besides weekends (the installation may replace the list).
DEFAULT_HOLIDAYS_TEXT = """
# 2026
01/01/2026  # Tết Dương lịch
16/02/2026  # Tết Nguyên đán Bính Ngọ (14/02–22/02, weekends included)
17/02/2026
18/02/2026
19/02/2026
20/02/2026
27/04/2026  # Giỗ Tổ Hùng Vương (10/3 âm lịch = Chủ nhật 26/04), nghỉ bù
30/04/2026  # Ngày Giải phóng miền Nam
01/05/2026  # Quốc tế Lao động
01/09/2026  # Quốc khánh (hai ngày)
02/09/2026
# 2027
01/01/2027  # Tết Dương lịch
04/02/2027  # Tết Nguyên đán Đinh Mùi (mùng 1 = 06/02/2027)
05/02/2027
08/02/2027
09/02/2027
10/02/2027
16/04/2027  # Giỗ Tổ Hùng Vương (10/3 âm lịch)
30/04/2027  # Ngày Giải phóng miền Nam
03/05/2027  # Quốc tế Lao động (01/05 là thứ Bảy), nghỉ bù
02/09/2027  # Quốc khánh (hai ngày)
03/09/2027
"""


def parse_holidays(text: str) -> frozenset[date]:
    """The dates of a holidays file; a line that is not a date is an error naming it."""
    days: set[date] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        day = parse_user_date(value)
        if day is None:
            raise ValueError(f"line {number}: {value!r} is not a date (dd/mm/yyyy)")
        days.add(day)
    return frozenset(days)


DEFAULT_HOLIDAYS = parse_holidays(DEFAULT_HOLIDAYS_TEXT)


def is_working_day(day: date, holidays: Iterable[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def working_days_after(start: date, n: int, holidays: Iterable[date]) -> date:
    """The day ``n`` working days after ``start`` (which itself does not count): Monday to
    Friday, not a holiday. ``n = 0`` is ``start`` itself."""
    if n < 0:
        raise ValueError("n must be zero or more")
    off = holidays if isinstance(holidays, set | frozenset) else frozenset(holidays)
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day, off):
            n -= 1
    return day


def installation_holidays() -> frozenset[date]:
    """The installation's holidays: its ``EDOC_HOLIDAYS_FILE``, else the defaults."""
    path: Path | None = current_app.config["EDOC"].holidays_file
    if path is None:
        return DEFAULT_HOLIDAYS
    return parse_holidays(path.read_text(encoding="utf-8"))


#: The quick deadlines a direction offers, in working days.
QUICK_DEADLINES = (3, 5, 7, 10)


def quick_deadlines(today: date) -> list[tuple[int, date]]:
    """(n, the date n working days after ``today``) for each quick deadline."""
    off = installation_holidays()
    return [(n, working_days_after(today, n, off)) for n in QUICK_DEADLINES]
