"""The back-off schedules the worker's queues wait out between attempts (``core.leases``)."""

from __future__ import annotations

from datetime import timedelta

from edoc.core.leases import Backoff
from edoc.integrations.delivery import BACKOFF as WEBHOOK_BACKOFF
from edoc.notifications.mail import BACKOFF as MAIL_BACKOFF


def test_fixed_steps_then_the_cap() -> None:
    assert [WEBHOOK_BACKOFF.after(n) for n in (1, 2, 7, 8, 30)] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(hours=4),
        timedelta(hours=6),
        timedelta(hours=6),
    ]
    assert [MAIL_BACKOFF.after(n) for n in (1, 4, 5)] == [
        timedelta(minutes=1),
        timedelta(hours=1),
        timedelta(hours=2),
    ]


def test_doubling_from_the_first_wait_up_to_the_cap() -> None:
    schedule = Backoff.doubling(timedelta(seconds=30), timedelta(seconds=3600))
    waits = [schedule.after(n).total_seconds() for n in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert schedule.after(0) == timedelta(seconds=30)  # no failure yet: the first wait


def test_a_first_wait_past_the_cap_is_the_cap() -> None:
    schedule = Backoff.doubling(timedelta(seconds=10), timedelta(seconds=5))
    assert schedule.after(1) == schedule.after(4) == timedelta(seconds=5)
