"""``edoc worker``: the Huey consumer, running every task inside the app this command built."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from huey.consumer import Consumer

import edoc.jobs.registry  # noqa: F401 - registers every task with the queue
from edoc.jobs.queue import huey
from edoc.jobs.tasks import requeue_lost_jobs


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@with_appcontext
def worker_command(workers: int) -> None:
    """Run the background worker (Huey consumer): indexing, OCR, exports, audit checkpoints.

    The app is built once, by this command (``create_app`` binds it to the queue); each task
    runs in a fresh app context of it.
    """
    if "edoc.jobs" not in current_app.extensions:
        raise click.ClickException("the app was built without init_jobs(app)")
    click.echo(f"edoc worker: {workers} threads on {type(huey).__name__}")
    # the queue may have lost jobs while we were down, and a killed worker left jobs running
    requeued = requeue_lost_jobs(confirmed=True)
    if requeued:
        click.echo(f"edoc worker: {len(requeued)} lost or interrupted job(s) queued again")
    Consumer(huey, workers=workers, worker_type="thread", periodic=True).run()
