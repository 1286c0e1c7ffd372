"""``edoc notifications digest|reminders|send``: the daily work by hand (operators, cron, tests)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext

from edoc.core.clock import parse_user_date
from edoc.core.extensions import db
from edoc.notifications import digest, mail, reminders


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if not value:
        return None
    parsed = parse_user_date(value)
    if parsed is None:
        raise click.BadParameter(f"expected a date as dd/mm/yyyy, got {value!r}")
    return parsed


@click.group("notifications")
def notifications_group() -> None:
    """Notifications: the daily digest, deadline reminders, the e-mail outbox."""


@notifications_group.command("digest")
@click.option("--day", callback=_day, help="The day (dd/mm/yyyy) whose digest to queue; today.")
@with_appcontext
def digest_command(day: date | None) -> None:
    """Queue the daily digest e-mails (once per person and day), then send them."""
    if not mail.configured():
        raise click.ClickException("EDOC_SMTP_HOST is not set: no e-mail can be sent")
    queued = digest.queue_digests(day)
    db.session.commit()
    sent = mail.drain()
    click.echo(f"digests queued: {queued}, e-mails sent: {sent}")


@notifications_group.command("reminders")
@with_appcontext
def reminders_command() -> None:
    """Today's deadline reminders (due tomorrow, overdue), once per person and document."""
    made = reminders.notify_deadlines()
    db.session.commit()
    sent = mail.drain()
    click.echo(f"reminders made: {made}, e-mails sent: {sent}")


@notifications_group.command("send")
@with_appcontext
def send_command() -> None:
    """Send the e-mails that are due now."""
    click.echo(f"e-mails sent: {mail.drain()}")
