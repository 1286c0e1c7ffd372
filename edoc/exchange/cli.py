"""``edoc exchange``: peers, the queue, files — scriptable (exit code 0 on success, messages on
stderr for refusals)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from edoc.audit.services import Operator
from edoc.core.atomic import write_atomically
from edoc.core.errors import AppError
from edoc.core.extensions import db
from edoc.exchange import files, keys, operations, peers, queueing, worker
from edoc.exchange.models import PeerKind


@click.group("exchange")
def exchange_group() -> None:
    """Liên thông văn bản (edXML): kết nối, hàng đợi, tệp .edxml."""


@exchange_group.group("peers")
def peers_group() -> None:
    """Other agencies' systems this installation exchanges with."""


def _refused(error: AppError) -> click.ClickException:
    details = getattr(error, "details", None)
    if isinstance(details, dict):  # per field: "organ_code: …"
        details = "; ".join(f"{field}: {problem}" for field, problem in details.items())
    return click.ClickException(
        f"{error.code}: {error.message}" + (f" ({details})" if details else "")
    )


@peers_group.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--endpoint", default="", help="base URL of the peer's edoc, e.g. https://…")
@click.option(
    "--certificate",
    "certificate",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="PEM of the peer agency's key certificate",
)
@click.option("--kind", type=click.Choice([k.value for k in PeerKind]), default="peer")
@click.option(
    "--transport",
    default=None,
    help="the registered transport that carries packages to it (default: http, or unchanged)",
)
@click.option("--inactive", is_flag=True, help="keep it configured but unused")
@with_appcontext
def peers_add(
    code: str,
    name: str,
    endpoint: str,
    certificate: Path,
    kind: str,
    transport: str | None,
    inactive: bool,
) -> None:
    """Add or update peer CODE (its organ code)."""
    try:
        peer = peers.save_peer(
            code,
            name=name,
            endpoint=endpoint,
            certificate_pem=certificate.read_text(encoding="ascii", errors="replace"),
            kind=kind,
            transport=transport,
            active=not inactive,
            actor=Operator.cli("edoc exchange peers add"),
        )
        queueing.release_held()
    except AppError as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(f"{peer.organ_code} {peer.kind} {peer.transport} {peer.endpoint or '-'}")


@peers_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def peers_list(as_json: bool) -> None:
    rows = [
        {
            "organ_code": p.organ_code,
            "name": p.name,
            "kind": p.kind,
            "transport": p.transport,
            "endpoint": p.endpoint,
            "active": p.active,
        }
        for p in peers.peers()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        state = "" if row["active"] else " (inactive)"
        click.echo(
            f"{row['organ_code']}\t{row['kind']}\t{row['endpoint'] or '-'}\t{row['name']}{state}"
        )


@exchange_group.command("certificate")
@with_appcontext
def certificate() -> None:
    """Print this installation's agency certificate (PEM), to give to its peers."""
    try:
        click.echo(keys.certificate_pem(), nl=False)
    except AppError as error:
        raise _refused(error) from None


@exchange_group.command("status")
@click.option("--json", "as_json", is_flag=True)
@with_appcontext
def status(as_json: bool) -> None:
    """Queues per next hop: pending, failed and held packages, the oldest, the last error."""
    lines = operations.queue_report()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "hop": line.hop,
                        "pending": line.pending,
                        "failed": line.failed,
                        "held": line.held,
                        "oldest": line.oldest.isoformat() if line.oldest else None,
                        "last_error": line.last_error,
                    }
                    for line in lines
                ],
                ensure_ascii=False,
            )
        )
        return
    if not lines:
        click.echo("nothing waiting")
    for line in lines:
        click.echo(
            f"{line.hop}\tpending={line.pending}\tfailed={line.failed}\theld={line.held}\t"
            f"oldest={line.oldest.isoformat() if line.oldest else '-'}\t{line.last_error}"
        )


TO_HELP = "the addressee's organ code, when the package names several (a hub forwards it once each)"


@exchange_group.command("retry")
@click.argument("message_id", required=False)
@click.option("--to", "to_organ", help=TO_HELP)
@click.option("--all-failed", is_flag=True, help="every failed package, and those waiting")
@with_appcontext
def retry(message_id: str | None, to_organ: str | None, all_failed: bool) -> None:
    """Send a failed or waiting package again now (then run ``deliver`` or let the worker)."""
    actor = Operator.cli("edoc exchange retry")
    try:
        if all_failed:
            count = operations.retry_all_failed(actor)
        elif message_id:
            operations.retry(operations.sent_message(message_id, to_organ), actor)
            count = 1
        else:
            raise click.UsageError("give MESSAGE_ID or --all-failed")
    except AppError as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(f"{count} package(s) queued again")


@exchange_group.command("give-up")
@click.argument("message_id")
@click.option("--to", "to_organ", help=TO_HELP)
@click.option("--reason", required=True)
@with_appcontext
def give_up(message_id: str, to_organ: str | None, reason: str) -> None:
    """Stop trying to deliver a package, with the reason."""
    try:
        message = operations.sent_message(message_id, to_organ)
        operations.give_up(message, reason, Operator.cli("edoc exchange give-up"))
    except AppError as error:
        raise _refused(error) from None
    db.session.commit()
    click.echo(f"{message_id} to {message.to_organ} given up")


@exchange_group.command("deliver")
@with_appcontext
def deliver() -> None:
    """Run the worker's drain once now: check what came in, apply it, deliver what is due."""
    report = worker.drain()
    click.echo(
        f"checked={report.checked} applied={report.applied} delivered={report.delivered} "
        f"failed={report.failed}"
    )
    for error in report.errors:
        click.echo(error, err=True)


@exchange_group.command("export")
@click.argument("document_id", type=int)
@click.option("--to", "to_organ", required=True, help="the recipient's organ code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export(document_id: int, to_organ: str, output: Path) -> None:
    """Write the sealed package of issued DOCUMENT_ID for TO as a .edxml file."""
    try:
        data = files.export_package(document_id, to_organ, Operator.cli("edoc exchange export"))
    except AppError as error:
        raise _refused(error) from None
    write_atomically(output, data)
    click.echo(f"{output} ({len(data)} bytes)")


@exchange_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_(file: Path) -> None:
    """Receive a .edxml file as if it had come to the inbox (then it is checked at once)."""
    try:
        accepted = files.import_package(file.read_bytes(), Operator.cli("edoc exchange import"))
    except AppError as error:
        raise _refused(error) from None
    report = worker.drain()
    result = "already_received" if accepted.already_received else "accepted"
    click.echo(f"{accepted.message_id} {result} checked={report.checked}")
