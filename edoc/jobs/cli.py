from __future__ import annotations

import click


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
def worker_command(workers: int) -> None:
    """Run the background worker (Huey consumer): indexing, OCR, exports, reminders."""
    from huey.consumer import Consumer

    import edoc.jobs.registry  # noqa: F401 - registers every task with the queue
    from edoc.jobs.queue import huey

    click.echo(f"edoc worker: {workers} threads on {type(huey).__name__}")
    Consumer(huey, workers=workers, worker_type="thread", periodic=True).run()
