"""``edoc webhooks list|deliver``: what is subscribed, and delivering now (operators, tests)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from edoc.integrations import delivery, services


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhooks: subscriptions and their deliveries."""


@webhooks_group.command("list")
@with_appcontext
def list_command() -> None:
    """Every subscription, its state and how many deliveries wait or failed."""
    for subscription in services.list_subscriptions():
        waiting, _total = services.list_deliveries(
            services.DeliveryFilter(subscription_id=subscription.id, status="pending", per_page=1)
        )
        failed, _total = services.list_deliveries(
            services.DeliveryFilter(subscription_id=subscription.id, status="failed", per_page=1)
        )
        state = "active" if subscription.active else "disabled"
        if services.blocked_by(subscription) is not None:
            state = "stopped (a delivery failed)"
        click.echo(
            f"{subscription.id}\t{subscription.name}\t{subscription.url}\t{state}\t"
            f"waiting={waiting} failed={failed}\t{','.join(subscription.events)}"
        )


@webhooks_group.command("deliver")
@click.option(
    "--now", "now", is_flag=True, help="Also send what waits out its back-off (receiver is back)."
)
@with_appcontext
def deliver_command(now: bool) -> None:
    """Deliver every due webhook event now, in order."""
    if now:
        delivery.make_waiting_due()
    sent = delivery.drain()
    click.echo(f"webhooks: {sent} delivered")
