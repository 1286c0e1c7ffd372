"""The demo's year of work, scene by scene, through the same services the pages and the API call.

Each scene is one function (a letter arrives and is handled; a reply is drafted; the leader
signs the batch; the clerk issues and sends; the archivist files), so the demo also exercises
receive, return_to_sender, present, route, report_progress, create_draft, submit,
prepare_batch/finish_batch with the leader's token, issue with the agency token, send_document,
recall and the dossier services. :func:`steps` lists the scenes for the command's progress bar.

Dates are spread over the current year, some deadlines already passed. Where a service reads
the date itself (the leader's direction, the issue), the scene sets the clock to its day
(:func:`edoc.core.clock.set_clock`). Incoming mail: signed PDFs from three other demo agencies
(their certificates come from the demo CA), a few altered after signing and returned to the
sender; paper originals scanned to image-only PDFs (only OCR reads them); urgent and secret
ones. The texts are in :mod:`edoc.demo.letters`.
"""

from __future__ import annotations

import base64
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, partial

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, utils
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from edoc.core.clock import local_today, local_zone, set_clock
from edoc.core.extensions import db
from edoc.demo import agency
from edoc.demo import documents as layout
from edoc.demo.keys import DemoKeys
from edoc.demo.letters import (
    AGENCY_HEADER,
    CLOSING,
    DIRECTIONS,
    DONE_NOTES,
    DRAFTS,
    ELECTRONIC,
    IN_REVIEW,
    ISSUED,
    KRONG,
    PAPER,
    RECALL_REASON,
    RECALLED_INDEX,
    REVIEW_COMMENT,
    SENDERS,
    SIGNED_WAITING,
    Incoming,
    Outgoing,
    Sender,
    date_line,
    fill,
    mark,
)
from edoc.directory import services as directory
from edoc.documents import files
from edoc.documents.models import Document, DocumentType
from edoc.dossiers import services as dossiers
from edoc.incoming import services as incoming
from edoc.outgoing import issuing, sending, signing
from edoc.outgoing import services as outgoing
from edoc.users.models import Unit
from signing import pki as labels
from signing.appearance import AgencySealAppearance, draw_seal_image, seal_box_over
from signing.batch import DigestItem, sign_digests
from signing.remote import SignatureFieldSpec, SignatureOptions, sign_with_digest_signer
from signing.tokens import CertificateSelector, select_certificate

Step = tuple[str, Callable[[], None]]


@dataclass
class DemoYear:
    """What the scenes share: the people, the calendar, the random choices, what was made.

    Without ``keys`` (no tokens: the paperwork only) nothing is signed: incoming mail is all
    scans and the outgoing documents stay drafts.
    """

    count: int
    keys: DemoKeys | None
    tsa_url: str | None
    cast: agency.DemoCast
    today: date
    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    received: list[int] = field(default_factory=list)
    outgoing_ids: list[int] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)  # last number per sending agency

    @property
    def start(self) -> date:
        return date(self.today.year, 1, 2)

    @property
    def span(self) -> int:
        return max((self.today - self.start).days, 1)

    def arrival_day(self, index: int) -> date:
        return working_day(self.start + timedelta(days=int(self.span * index / self.count)))

    def issue_day(self, position: int) -> date:
        days = int(self.span * (position + 0.5) / (len(ISSUED) + 1))
        return working_day(self.start + timedelta(days=days))

    def number_for(self, sender: Sender, doc_type: str) -> str:
        """The sender's next number: its counters start anywhere and skip a few each time."""
        first = self.rng.randint(3, 40)  # drawn every time, so the sequence stays the same
        self.numbers[sender.name] = self.numbers.get(sender.name, first) + self.rng.randint(1, 9)
        n = self.numbers[sender.name]
        if doc_type == "CV":
            return f"{n:02d}/{sender.letter_code}"
        return f"{n:02d}/{doc_type}-{sender.abbreviation}"


def steps(
    count: int = 60,
    keys: DemoKeys | None = None,
    tsa_url: str | None = None,
    paperwork: bool = True,
) -> list[Step]:
    """The scenes in order, labelled for the command's progress bar; without ``paperwork`` only
    the directory of agencies (an installation ready to work, with nothing done yet)."""
    year = DemoYear(count, keys, tsa_url, agency.cast(), local_today())
    if not paperwork:
        return [("danh bạ cơ quan nhận", partial(agency.create_directory, year.cast.clerk))]
    plan: list[Step] = [
        (f"văn bản đến {index + 1}", partial(receive_letter, year, index)) for index in range(count)
    ]
    plan.append(("danh bạ cơ quan nhận", partial(agency.create_directory, year.cast.clerk)))
    if keys is not None:
        for position, item in enumerate(ISSUED):
            day = year.issue_day(position)
            plan.append((f"dự thảo {position + 1}", partial(draft_for_signing, year, item, day)))
        plan.append(
            ("dự thảo chờ văn thư", partial(draft_for_signing, year, SIGNED_WAITING, year.today))
        )
        plan.append(("lãnh đạo ký số", partial(leader_signs, year)))
        for position in range(len(ISSUED)):
            plan.append((f"phát hành {position + 1}", partial(issue_and_send, year, position)))
    for position, item in enumerate(DRAFTS):  # submitted, waiting for the leader's signature
        draft = partial(write_draft, year, item, year.today)
        plan.append((f"dự thảo chờ ký {position + 1}", draft))
    plan.append(("dự thảo đang sửa", partial(draft_in_review, year)))
    plan.append(("danh mục hồ sơ", partial(file_dossiers, year)))
    return plan


def receive_letter(year: DemoYear, index: int) -> None:
    """A letter arrives (a scan, or a signed PDF) and the clerk registers it; a tampered one goes
    back to its sender, the others go as far as their stage (:func:`handle_letter`)."""
    kind = incoming_kind(index, year.count)
    if year.keys is None and kind in {"signed", "broken"}:
        kind = "scan"
    item = _incoming_item(kind, index)
    sender = SENDERS[item.sender]
    day = year.arrival_day(index)
    issued = working_day(day - timedelta(days=year.rng.randint(1, 3)))
    number = year.number_for(sender, item.doc_type)
    urgency = item.urgency or (1 if index % 7 == 0 else 0)
    subject = _subject(item, day)
    letter = layout.Letter(
        parent=sender.parent,
        issuer=sender.issuer,
        subject=subject,
        body=[fill(item.body, day), CLOSING[index % len(CLOSING)]],
        type_title=None if item.doc_type == "CV" else _type_name(item.doc_type).upper(),
        number=number,
        date_line=date_line(sender.place, issued),
        addressee="Kính gửi: Ủy ban nhân dân tỉnh Demo." if item.doc_type == "CV" else "",
        mark=mark(urgency, item.secrecy),
        recipients=["Như trên" if item.doc_type == "CV" else "UBND tỉnh Demo", "Lưu: VT"],
        signer_title=sender.signer_title,
        signer_name=sender.signer_name,
    )
    slug = number.replace("/", "-")
    if kind in {"scan", "krong"}:
        jpeg = layout.scan_jpeg(letter, seed=index)
        main = files.accept_scan([_upload(jpeg, f"scan-{slug}.jpg", "image/jpeg")])
        via = "paper"
    else:
        assert year.keys is not None
        signed = _sender_signed(layout.pdf(letter), sender, year.keys, year.tsa_url)
        if kind == "broken":
            signed = tamper(signed)
        main = files.accept_pdf(
            _upload(signed, f"{slug}.pdf", "application/pdf"), validate_signatures=True
        )
        via = "electronic"
    fields = incoming.IncomingFields(
        sender_org=sender.name,
        number_notation=number,
        doc_type=item.doc_type,
        subject=subject,
        received_via=via,
        issued_date=issued,
        signer_name=sender.signer_name,
        urgency=urgency,
        secrecy=item.secrecy,
        received_at=_utc(day, time(8, 30)),
        page_count=1,
    )
    document = incoming.receive(fields, main, year.cast.clerk)
    db.session.flush()
    if kind == "broken":
        incoming.return_to_sender(
            document.document_id,
            "Chữ ký số không hợp lệ: nội dung tệp đã bị thay đổi sau khi ký. "
            "Đề nghị quý cơ quan kiểm tra và gửi lại văn bản.",
            year.cast.clerk,
        )
        return
    year.received.append(document.document_id)
    handle_letter(year, document.document_id, index, day, secret=item.secrecy > 0)


def handle_letter(year: DemoYear, document_id: int, index: int, day: date, secret: bool) -> None:
    """Registered letters wait, or are presented to the leader, directed (on the day they
    arrived) and, for most, reported done by the specialist."""
    cast = year.cast
    stage = index % 5
    if stage == 0:
        return  # registered, waiting to be presented
    incoming.present(document_id, cast.leader.id, cast.clerk)
    if stage == 1:
        return  # waiting for the leader's direction
    deadline = day + timedelta(days=year.rng.choice([7, 10, 15, 30]))
    office = db.session.scalar(select(Unit).where(Unit.code == "VP"))
    economy = db.session.scalars(select(Unit).where(Unit.code == "KT"))
    with set_clock(_utc(day, time(9, 0))):
        incoming.route(
            document_id,
            cast.leader,
            direction_text=DIRECTIONS[index % len(DIRECTIONS)],
            lead_user_id=None if secret else cast.specialist.id,
            lead_unit_id=office.id if secret else None,
            cooperating_unit_ids=[unit.id for unit in economy],
            deadline=deadline,
        )
    long_past = deadline < year.today - timedelta(days=20)
    if not secret and (stage >= 3 or long_past) and index % 9 != 2:
        task = next(t for t in incoming.tasks_for(cast.specialist) if t.document_id == document_id)
        incoming.report_progress(
            task.id, cast.specialist, DONE_NOTES[index % len(DONE_NOTES)], done=True
        )


def draft_for_signing(year: DemoYear, item: Outgoing, day: date) -> None:
    """A reply drafted and submitted, kept for the leader's batch and the clerk's issue."""
    year.outgoing_ids.append(write_draft(year, item, day))


def write_draft(year: DemoYear, item: Outgoing, day: date, submit: bool = True) -> int:
    """The specialist drafts (a text PDF with the number and date left empty) and submits."""
    subject = _subject(item, day)
    letter = layout.Letter(
        parent="",
        issuer=AGENCY_HEADER[1],
        subject=subject,
        body=[fill(item.body, day), CLOSING[len(year.outgoing_ids) % 2]],
        type_title=None if item.doc_type == "CV" else _type_name(item.doc_type).upper(),
        addressee="Kính gửi: " + item.recipients[0] + "." if item.doc_type == "CV" else "",
        mark=mark(item.urgency, 0),
        recipients=[*item.recipients, "Lưu: VT, TH"],
    )
    created = outgoing.create_draft(
        outgoing.DraftFields(
            doc_type=item.doc_type,
            subject=subject,
            authority_prefix=item.authority,
            urgency=item.urgency,
            recipients="\n".join([*item.recipients, "Lưu: VT, TH"]),
            signer_id=year.cast.leader.id,
        ),
        _upload(layout.pdf(letter), "du-thao.pdf", "application/pdf"),
        year.cast.specialist,
    )
    if submit:
        outgoing.submit(created.document_id, year.cast.specialist)
    return created.document_id


def leader_signs(year: DemoYear) -> None:
    """The leader's "Ký số" batch: prepare all, one PIN on the token, finish all."""
    keys, leader = year.keys, year.cast.leader
    assert keys is not None
    keys.leader.hsm.activate()
    selector = CertificateSelector(token_label=keys.leader.label, label=keys.leader.cert_label)
    _token, cert = select_certificate(keys.leader.module, selector)
    digests = signing.prepare_batch(year.outgoing_ids, cert.der, leader)
    db.session.commit()  # two requests on the leader's page: prepare, then (token) finish
    batch = sign_digests(
        keys.leader.module,
        selector,
        [DigestItem(f"sr-{d.request_id}", d.digest) for d in digests],
        keys.leader.pin,
    )
    signatures = {k: base64.b64encode(v).decode() for k, v in batch.signatures.items()}
    result = signing.finish_batch(signatures, leader)
    if result["failed"]:
        raise RuntimeError(f"demo: leader signing failed: {result['failed']}")


def issue_and_send(year: DemoYear, position: int) -> None:
    """The clerk numbers, dates and seals one signed document on its day, then sends it; one of
    them is recalled afterwards."""
    clerk, document_id = year.cast.clerk, year.outgoing_ids[position]
    with set_clock(_utc(year.issue_day(position), time(14, 0))):
        result = issuing.issue([document_id], clerk)
    if result["failed"]:
        raise RuntimeError(f"demo: issue failed: {result['failed']}")
    names = {o.name: o.id for o in directory.organizations(active_only=False)}
    wanted = [names[r] for r in ISSUED[position].recipients if r in names]
    targets = wanted or [names["Sở Tài chính tỉnh Demo"], names["UBND huyện Bình An"]]
    sending.send_document(document_id, targets, clerk)
    if position == RECALLED_INDEX:
        outgoing.recall(document_id, clerk, RECALL_REASON)


def draft_in_review(year: DemoYear) -> None:
    """A draft the specialist is still revising: the leader's review comment on it."""
    review = write_draft(year, IN_REVIEW, year.today, submit=False)
    outgoing.comment(review, year.cast.leader, REVIEW_COMMENT)


def file_dossiers(year: DemoYear) -> None:
    """The archivist's file plan for the year: each dossier gets the documents on its subjects
    (never a secret one); two are closed."""
    archivist = year.cast.archivist
    filed = [db.session.get(Document, i) for i in year.received + year.outgoing_ids[: len(ISSUED)]]
    for code, title, retention, words in agency.DOSSIERS:
        dossier = dossiers.create(
            dossiers.DossierFields(
                year=year.today.year,
                code=code,
                title=title.format(y=year.today.year),
                retention_years=retention,
                keeper_id=archivist.id,
            ),
            archivist,
        )
        matching = [
            d.id
            for d in filed
            if d.secrecy == 0 and any(word.lower() in d.subject.lower() for word in words)
        ]
        if matching:
            dossiers.add_documents(dossier.id, matching, archivist)
        if code in agency.CLOSED_DOSSIERS and matching:
            dossiers.close(dossier.id, archivist)


def incoming_kind(index: int, count: int) -> str:
    """``krong`` (the OCR word's scan), ``broken`` (returned), ``scan`` or ``signed``."""
    if index == count * 2 // 5:
        return "krong"
    if index in {count // 8, count // 2 + 1, count - 5}:
        return "broken"
    return "scan" if index % 4 == 0 else "signed"


def _incoming_item(kind: str, index: int) -> Incoming:
    if kind == "krong":
        return KRONG
    if kind == "scan":
        return PAPER[(index // 4) % len(PAPER)]
    return ELECTRONIC[index % len(ELECTRONIC)]


def working_day(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def tamper(pdf: bytes) -> bytes:
    """Change one byte inside the signed range (the producer string): integrity check fails."""
    marker = b"ReportLab PDF Library"
    at = pdf.index(marker)
    return pdf[:at] + b"ReportLab PDF Librarz" + pdf[at + len(marker) :]


def _sender_signed(pdf: bytes, sender: Sender, keys: DemoKeys, tsa_url: str | None) -> bytes:
    """The sending agency seals its document with its own key (not on our tokens)."""
    assert sender.cert is not None
    key = serialization.load_pem_private_key(keys.pki.key_path(sender.cert).read_bytes(), None)

    def sign_digest(item: DigestItem) -> bytes:
        return key.sign(item.digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))  # type: ignore[union-attr,call-arg]

    return sign_with_digest_signer(
        pdf,
        sign_digest=sign_digest,
        signer_cert=keys.pki.cert_der(sender.cert),
        options=SignatureOptions(
            field=SignatureFieldSpec("ChuKyCoQuan", seal_box_over(signing.LEADER_BOX), page=-1),
            appearance=AgencySealAppearance(_seal(sender.name)),
            chain=[keys.pki.cert_der(labels.ISSUING_CA), keys.pki.cert_der(labels.ROOT)],
            level="B-T" if tsa_url else "B-B",
            tsa_url=tsa_url,
        ),
        trust_roots=[keys.pki.cert_der(labels.ROOT)],
    )


@cache
def _seal(name: str) -> bytes:
    return draw_seal_image(name)


def _upload(data: bytes, filename: str, content_type: str) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)


def _utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, local_zone()).astimezone(UTC).replace(tzinfo=None)


def _subject(item: Incoming | Outgoing, day: date) -> str:
    """Trích yếu as registered: the type's name is its own column, not repeated in the subject."""
    subject = fill(item.subject, day)
    if item.doc_type == "CV":
        return subject
    return layout.trich_yeu(subject, _type_name(item.doc_type))


def _type_name(code: str) -> str:
    return db.session.get(DocumentType, code).name
