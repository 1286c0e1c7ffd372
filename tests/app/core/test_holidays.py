"""Deadlines in working days skip weekends and Vietnamese public holidays, from a list the
installation may replace (EDOC_HOLIDAYS_FILE)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from edoc.config import ConfigError, Settings
from edoc.core.holidays import DEFAULT_HOLIDAYS, parse_holidays, working_days_after


def test_weekends_do_not_count() -> None:
    friday = date(2026, 3, 6)
    assert working_days_after(friday, 1, ()) == date(2026, 3, 9)  # Monday
    assert working_days_after(friday, 5, ()) == date(2026, 3, 13)
    assert working_days_after(date(2026, 3, 7), 1, ()) == date(2026, 3, 9)  # from a Saturday
    assert working_days_after(friday, 0, ()) == friday


def test_tet_is_skipped() -> None:
    # Friday 13/02/2026, the last working day before Tết Bính Ngọ (days off 14/02–22/02)
    assert working_days_after(date(2026, 2, 13), 3, DEFAULT_HOLIDAYS) == date(2026, 2, 25)
    assert working_days_after(date(2026, 2, 13), 3, ()) == date(2026, 2, 18)


def test_the_defaults_cover_2026_and_2027() -> None:
    for day in (date(2026, 1, 1), date(2026, 4, 30), date(2026, 9, 2), date(2027, 2, 8)):
        assert day in DEFAULT_HOLIDAYS
    assert working_days_after(date(2026, 4, 29), 1, DEFAULT_HOLIDAYS) == date(2026, 5, 4)


def test_a_holidays_file_is_read_and_checked(tmp_path: Path) -> None:
    assert parse_holidays("# x\n02/01/2026  # bridge\n2026-01-05\n\n") == {
        date(2026, 1, 2),
        date(2026, 1, 5),
    }
    with pytest.raises(ValueError, match="line 2"):
        parse_holidays("02/01/2026\n31/02/2026\n")
    bad = tmp_path / "nghi-le.txt"
    bad.write_text("hôm nay\n", encoding="utf-8")
    env = {"EDOC_DATA_DIR": str(tmp_path), "EDOC_HOLIDAYS_FILE": str(bad)}
    with pytest.raises(ConfigError, match="EDOC_HOLIDAYS_FILE"):
        Settings.from_env(env)
    good = tmp_path / "ok.txt"
    good.write_text("02/01/2026\n", encoding="utf-8")
    settings = Settings.from_env({**env, "EDOC_HOLIDAYS_FILE": str(good)})
    assert settings.holidays_file == good.resolve()
