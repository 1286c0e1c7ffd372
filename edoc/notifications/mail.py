"""E-mail: written to an outbox in the transaction that made its reason, sent by the worker.

Nothing is sent inside a request's transaction: the request (or task) only adds an
:class:`OutgoingEmail` row, and :func:`drain` sends after it committed (kicked at the end of
the request, and every minute for retries). A drain claims rows with a lease (a short
committed transaction: ``claimed_by``/``claimed_until``), talks to the SMTP server with no
transaction open, then records each answer; a drain that dies only delays its rows until the
lease expires. A refused or failed attempt waits 1 min, 5 min, 15 min, 1 h, then every 2 h,
up to ``EDOC_SMTP_MAX_ATTEMPTS``.

Secret documents: an e-mail leaves the agency's network, so for a document with secrecy > 0
it never carries the subject, number, sender or any note: only that a secret document is
waiting, and the link.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from edoc.config import Settings
from edoc.core.extensions import db
from edoc.core.transactions import outside_transaction
from edoc.notifications.models import KIND_LABELS, EmailStatus, Notification, OutgoingEmail
from edoc.notifications.wording import describe, note_of, title
from edoc.users.models import User

log = logging.getLogger(__name__)

#: Set on the session when e-mails were queued: the request asks for a drain at its end.
FLAG = "emails_queued"
LEASE = timedelta(minutes=5)
BATCH = 50
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
)
BACKOFF_CAP = timedelta(hours=2)


def settings() -> Settings:
    return current_app.config["EDOC"]  # type: ignore[no-any-return]


def configured() -> bool:
    """Whether an SMTP server is configured (no host: notifications stay in the app)."""
    return bool(settings().smtp_host)


def wall_clock() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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


def backoff(failed_attempts: int) -> timedelta:
    index = failed_attempts - 1
    return BACKOFF[index] if index < len(BACKOFF) else BACKOFF_CAP


@dataclass(frozen=True)
class Letter:
    id: int
    to: str
    subject: str
    body: str


def _claim(now: datetime) -> list[Letter]:
    """Due rows, leased to this drain. Commits (the lease must be seen by other drains)."""
    due = list(
        db.session.scalars(
            select(OutgoingEmail.id)
            .where(
                OutgoingEmail.status == EmailStatus.PENDING,
                or_(OutgoingEmail.next_attempt_at.is_(None), OutgoingEmail.next_attempt_at <= now),
                or_(OutgoingEmail.claimed_until.is_(None), OutgoingEmail.claimed_until <= now),
            )
            .order_by(OutgoingEmail.id)
            .limit(BATCH)
        )
    )
    if not due:
        db.session.commit()
        return []
    holder = str(uuid.uuid4())
    db.session.execute(  # a row another drain leased meanwhile keeps its holder
        update(OutgoingEmail)
        .where(
            OutgoingEmail.id.in_(due),
            OutgoingEmail.status == EmailStatus.PENDING,
            or_(OutgoingEmail.claimed_until.is_(None), OutgoingEmail.claimed_until <= now),
        )
        .values(claimed_by=holder, claimed_until=now + LEASE)
    )
    rows = db.session.scalars(
        select(OutgoingEmail).where(OutgoingEmail.claimed_by == holder).order_by(OutgoingEmail.id)
    )
    letters = [Letter(r.id, r.to_address, r.subject, r.body) for r in rows]
    db.session.commit()
    return letters


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


def _send(config: Settings, letters: list[Letter]) -> dict[int, str]:
    """Send each letter over one connection; the error of each that failed ('' when sent)."""
    results: dict[int, str] = {}
    try:
        server = _connect(config)
    except (OSError, smtplib.SMTPException) as error:
        return {letter.id: f"SMTP: {error}"[:1000] for letter in letters}
    try:
        for letter in letters:
            try:
                server.send_message(_message(config, letter))
                results[letter.id] = ""
            except ValueError as error:  # an address or header no server would take
                results[letter.id] = f"invalid message: {error}"[:1000]
            except (OSError, smtplib.SMTPException) as error:
                results[letter.id] = f"SMTP: {error}"[:1000]
                if isinstance(error, OSError | smtplib.SMTPServerDisconnected):
                    break  # the connection is gone: the rest wait for the next attempt
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    for letter in letters:
        results.setdefault(letter.id, "SMTP: not attempted, connection lost")
    return results


def _record(results: dict[int, str], max_attempts: int) -> None:
    now = wall_clock()
    for email_id, error in results.items():
        row = db.session.get(OutgoingEmail, email_id)
        if row is None:
            continue
        row.attempts += 1
        row.claimed_by = None
        row.claimed_until = None
        if not error:
            row.status = EmailStatus.SENT
            row.sent_at = now
            row.last_error = ""
            continue
        row.last_error = error
        if row.attempts >= max_attempts:
            row.status = EmailStatus.FAILED
            log.warning("e-mail %s failed after %s attempts: %s", row.id, row.attempts, error)
        else:
            row.next_attempt_at = now + backoff(row.attempts)
    db.session.commit()


def drain(rounds: int = 20) -> int:
    """Send what is due, batch after batch; how many were sent. Commits."""
    config = settings()
    if not config.smtp_host:
        return 0
    sent = 0
    for _round in range(rounds):
        letters = _claim(wall_clock())
        if not letters:
            break
        with outside_transaction():
            results = _send(config, letters)
        _record(results, config.smtp_max_attempts)
        sent += sum(1 for error in results.values() if not error)
        if any(results.values()):
            break  # the server refuses or is gone: the rest wait for their back-off
    return sent
