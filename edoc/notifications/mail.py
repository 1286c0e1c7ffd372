"""E-mail: written to an outbox in the transaction that made its reason, sent by the worker.

Nothing is sent inside a request's transaction: the request (or task) only adds an
:class:`OutgoingEmail` row, and :func:`drain` sends after it committed (kicked at the end of
the request, and every minute for retries). A drain claims rows with a lease
(:mod:`edoc.core.leases`: a short committed transaction stamps ``claimed_by``/``claimed_until``),
then for each message renews its
lease (committed), talks to the SMTP server with no transaction open and records the answer;
a drain that lost a lease leaves that message to the drain that took it, so none goes twice,
and a drain that dies only delays its rows until the lease expires. A refused or failed
attempt waits 1 min, 5 min, 15 min, 1 h, then every 2 h, up to ``EDOC_SMTP_MAX_ATTEMPTS``.

Secret documents: an e-mail leaves the agency's network, so for a document with secrecy > 0
it never carries the subject, number, sender or any note: only that a secret document is
waiting, and the link.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from edoc.config import Settings
from edoc.core import leases
from edoc.core.extensions import db
from edoc.core.metrics import DELIVERY_FAILURES
from edoc.core.transactions import outside_transaction
from edoc.notifications.models import KIND_LABELS, EmailStatus, Notification, OutgoingEmail
from edoc.notifications.wording import describe, note_of, title
from edoc.users.models import User

log = logging.getLogger(__name__)

#: Set on the session when e-mails were queued: the request asks for a drain at its end.
FLAG = "emails_queued"
LEASE = timedelta(minutes=5)
BATCH = 50
BACKOFF = leases.Backoff(
    (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1)),
    cap=timedelta(hours=2),
)
wall_clock = leases.wall_clock


def settings() -> Settings:
    return current_app.config["EDOC"]  # type: ignore[no-any-return]


def configured() -> bool:
    """Whether an SMTP server is configured (no host: notifications stay in the app)."""
    return bool(settings().smtp_host)


def link(path: str) -> str:
    """An address people can open: ``EDOC_PUBLIC_URL`` + path (else the server's own)."""
    base = settings().public_url or f"http://{settings().host}:{settings().port}"
    return base + path


def queue(to: str, subject: str, body: str, *, user_id: int | None, dedup_key: str) -> bool:
    """One e-mail in the caller's transaction (none twice for one ``dedup_key``)."""
    if db.session.scalar(select(OutgoingEmail.id).where(OutgoingEmail.dedup_key == dedup_key)):
        return False
    db.session.add(
        OutgoingEmail(
            user_id=user_id,
            to_address=to,
            subject=" ".join(subject.split())[:255],  # a subject typed on two lines: one
            body=body,
            dedup_key=dedup_key,
            status=EmailStatus.PENDING,
        )
    )
    db.session.info[FLAG] = True
    return True


def footer() -> str:
    return "\n\n--\n" + _(
        "edoc — thư tự động, vui lòng không trả lời. Đổi cách nhận thông báo: %(url)s",
        url=link("/notifications/preferences"),
    )


def notification_mail(notification: Notification, user: User) -> tuple[str, str]:
    """Subject and body of the e-mail for one notification (secret: nothing of the text)."""
    document = notification.document
    kind = str(KIND_LABELS[notification.kind])  # type: ignore[index]
    secret = document.secrecy > 0
    named = _("một văn bản mật") if secret else title(document)
    subject = f"[edoc] {kind}: {named}"
    lines = [_("Kính gửi %(name)s,", name=user.full_name), "", describe(notification)]
    if secret:
        lines.append(_("Đây là văn bản mật: nội dung chỉ xem được khi đăng nhập edoc."))
    else:
        lines.append(_("Văn bản: %(title)s", title=named))
        if note_of(notification):
            lines += ["", note_of(notification)]
    lines += ["", _("Xem: %(url)s", url=link(f"/notifications/{notification.id}/open"))]
    return subject, "\n".join(lines) + footer()


def queue_notification(notification: Notification, user: User) -> None:
    subject, body = notification_mail(notification, user)
    queue(user.email, subject, body, user_id=user.id, dedup_key=f"n:{notification.id}")


def take_flag() -> bool:
    """Whether this session queued e-mails since the last call."""
    return bool(db.session.info.pop(FLAG, False))


@dataclass(frozen=True)
class Letter:
    id: int
    to: str
    subject: str
    body: str


def lease(config: Settings) -> timedelta:
    """How long one drain holds a row: enough for the slowest send of one message the SMTP
    timeout allows (each of its half-dozen exchanges may wait up to the timeout). The lease is
    renewed before each message, so a batch of slow sends never outlives it."""
    return LEASE + 6 * timedelta(seconds=config.smtp_timeout)


def claim(now: datetime, held: timedelta) -> tuple[str, list[Letter]]:
    """Due rows, leased to this drain. Commits (the lease must be seen by other drains)."""
    due = list(
        db.session.scalars(
            select(OutgoingEmail.id)
            .where(
                OutgoingEmail.status == EmailStatus.PENDING,
                leases.due(OutgoingEmail.next_attempt_at, now),
                leases.free(OutgoingEmail, now),
            )
            .order_by(OutgoingEmail.id)
            .limit(BATCH)
        )
    )
    holder = leases.new_holder()
    if not due:
        db.session.commit()
        return holder, []
    leases.take(  # a row another drain leased meanwhile keeps its holder
        OutgoingEmail,
        holder,
        now + held,
        OutgoingEmail.id.in_(due),
        OutgoingEmail.status == EmailStatus.PENDING,
        leases.free(OutgoingEmail, now),
    )
    rows = db.session.scalars(
        select(OutgoingEmail).where(OutgoingEmail.claimed_by == holder).order_by(OutgoingEmail.id)
    )
    letters = [Letter(r.id, r.to_address, r.subject, r.body) for r in rows]
    db.session.commit()
    return holder, letters


def _renew(email_id: int, holder: str, held: timedelta) -> bool:
    """Extend this drain's lease on one row just before sending it; False when the lease ran
    out and another drain took the row (that one sends it). Commits, so every other drain sees
    the renewed lease before the message goes."""
    return leases.renew(
        OutgoingEmail,
        holder,
        held,
        OutgoingEmail.id == email_id,
        OutgoingEmail.status == EmailStatus.PENDING,
    )


def _release(holder: str) -> None:
    """Give back the rows this drain claimed and did not attempt (the connection was lost, or
    it lost a lease): the next drain takes them without waiting for the lease to run out."""
    leases.release(OutgoingEmail, holder)
    db.session.commit()


def _message(config: Settings, letter: Letter) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=config.smtp_from.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.body)
    return message


def _connect(config: Settings) -> smtplib.SMTP:
    if config.smtp_security == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            config.smtp_host,
            config.smtp_port,
            timeout=config.smtp_timeout,
            context=ssl.create_default_context(),
        )
    else:
        server = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.smtp_timeout)
        if config.smtp_security == "starttls":
            server.starttls(context=ssl.create_default_context())
    if config.smtp_username:
        server.login(config.smtp_username, config.smtp_password)
    return server


def _send_one(config: Settings, server: smtplib.SMTP, letter: Letter) -> tuple[str, bool]:
    """Send one letter: its error ('' when sent), and whether the connection is gone."""
    try:
        server.send_message(_message(config, letter))
    except ValueError as error:  # an address or header no server would take
        return f"invalid message: {error}"[:1000], False
    except (OSError, smtplib.SMTPException) as error:
        gone = isinstance(error, OSError | smtplib.SMTPServerDisconnected)
        return f"SMTP: {error}"[:1000], gone
    return "", False


def _record(results: dict[int, str], holder: str, max_attempts: int) -> None:
    """Write each attempt's answer on the rows this drain still holds. Commits."""
    now = wall_clock()
    for email_id, error in results.items():
        row = db.session.get(OutgoingEmail, email_id)
        if row is None or row.claimed_by != holder:
            continue
        row.attempts += 1
        leases.give_back(row)
        if not error:
            row.status = EmailStatus.SENT
            row.sent_at = now
            row.last_error = ""
            continue
        row.last_error = error
        DELIVERY_FAILURES.labels("email").inc()
        if row.attempts >= max_attempts:
            row.status = EmailStatus.FAILED
            log.warning("e-mail %s failed after %s attempts: %s", row.id, row.attempts, error)
        else:
            row.next_attempt_at = now + BACKOFF.after(row.attempts)
    db.session.commit()


def deliver(config: Settings, holder: str, letters: list[Letter]) -> tuple[int, bool]:
    """Send the letters this drain claimed over one connection, renewing the lease before each
    and recording each answer at once; how many were sent, and whether one failed.

    A letter whose lease was lost (another drain took it after it ran out) is not sent: it
    and what follows are left to that drain, so no e-mail goes twice."""
    held = lease(config)
    try:
        with outside_transaction():
            server = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        _record(
            {letter.id: f"SMTP: {error}"[:1000] for letter in letters},
            holder,
            config.smtp_max_attempts,
        )
        return 0, True
    sent, failed = 0, False
    try:
        for letter in letters:
            if not _renew(letter.id, holder, held):
                break
            with outside_transaction():
                error, gone = _send_one(config, server, letter)
            _record({letter.id: error}, holder, config.smtp_max_attempts)
            sent += 0 if error else 1
            failed = failed or bool(error)
            if gone:
                break  # the rest wait for the next drain
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
        _release(holder)
    return sent, failed


def drain(rounds: int = 20) -> int:
    """Send what is due, batch after batch; how many were sent. Commits."""
    config = settings()
    if not config.smtp_host:
        return 0
    sent = 0
    for _round in range(rounds):
        holder, letters = claim(wall_clock(), lease(config))
        if not letters:
            break
        done, failed = deliver(config, holder, letters)
        sent += done
        if failed:
            break  # the server refuses or is gone: the rest wait for their back-off
    return sent
