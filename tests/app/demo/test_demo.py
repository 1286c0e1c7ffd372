from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edoc.audit.models import AuditEvent
from edoc.audit.services import verify_chain
from edoc.cli import cli
from edoc.core.clock import set_clock
from edoc.core.extensions import db
from edoc.documents.models import Document
from edoc.dossiers.models import Dossier
from edoc.incoming.models import IncomingDocument
from edoc.remote_signing import services as remote_signing
from edoc.remote_signing.models import RemoteCredential
from tests.fixtures.app import api_token, login

#: The demo's "today" in the pinned runs (10:00 in Hà Nội): its calendar, and so which deadlines
#: have long passed and which letters are handled, no longer depend on when the test runs.
PINNED_NOW = datetime(2026, 6, 15, 3, 0)
PINS = Path(__file__).parent


def _signers(document: Document) -> list[str]:
    """Who signed the document's main file, as checked when it was stored."""
    main = document.main_file
    report = (main.signature_report if main is not None else None) or {}
    return [s["signer_name"] for s in report.get("signatures", [])]


def _essentials() -> dict[str, object]:
    """What "the same agency" means: every document's number, subject, status and dates, the
    dossiers, and how many of each audited action."""
    documents = db.session.scalars(select(Document).order_by(Document.id)).all()
    return {
        "documents": [
            (
                d.direction,
                d.status,
                d.doc_type_code,
                d.number_notation,
                d.issuer_org,
                d.signer_name,
                d.subject,
                d.issued_date.isoformat() if d.issued_date else None,
                d.urgency,
                d.secrecy,
                _signers(d),
            )
            for d in documents
        ],
        "dossiers": [
            (d.code, d.title, d.status, len(d.entries))
            for d in db.session.scalars(select(Dossier).order_by(Dossier.code))
        ],
        "audit": dict(Counter(db.session.scalars(select(AuditEvent.action)))),
    }


def test_demo_loads_a_used_agency(app: Flask) -> None:
    """The paperwork alone (no keys, no index): fast, every state reached through the services."""
    result = app.test_cli_runner().invoke(
        cli, ["demo", "--if-empty", "--documents", "15", "--no-keys", "--no-index"]
    )
    assert result.exit_code == 0, result.output
    assert "vanthu" in result.output and "lanhdao" in result.output
    with app.app_context():
        statuses = dict(
            db.session.execute(
                select(Document.status, func.count()).group_by(Document.status)
            ).all()
        )
        assert statuses.get("registered", 0) >= 1
        assert statuses.get("presented", 0) >= 1
        assert statuses.get("submitted") == 4  # drafts waiting for the leader
        assert statuses.get("draft") == 1  # one still in review
        numbers = db.session.scalars(
            select(IncomingDocument.arrival_number).where(IncomingDocument.register_id == 1)
        ).all()
        assert sorted(numbers) == list(range(1, len(numbers) + 1))  # gapless
        assert db.session.scalar(select(func.count()).select_from(Dossier)) == 5
        assert verify_chain()[1] is None  # every step was audited through the services
    again = app.test_cli_runner().invoke(cli, ["demo", "--if-empty"])
    assert "nothing to do" in again.output
    client = app.test_client()
    login(client, "lanhdao", "edoc-demo-test")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Dự thảo chờ ký số" in page


@pytest.fixture
def own_softhsm_store() -> Iterator[None]:
    """The demo switches this process to its own SoftHSM stores; put back the session's."""
    previous = os.environ.get("SOFTHSM2_CONF")
    yield
    from signing.softhsm import SoftHSM

    if previous:
        SoftHSM(Path(previous).parent).activate()


def _pdftoppm_rgb(pdf: Path, dpi: int) -> tuple[int, int, bytes]:
    """Page 1 as raw RGB (PPM parsed by hand: no image library needed)."""
    ppm = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", str(pdf)],
        capture_output=True,
        check=True,
    ).stdout
    fields = ppm.split(maxsplit=4)
    assert fields[0] == b"P6"
    width, height = int(fields[1]), int(fields[2])
    return width, height, fields[4][-width * height * 3 :]


def _count(
    pixels: bytes,
    width: int,
    box: tuple[float, float, float, float],
    dpi: int,
    test: Callable[[int, int, int], bool],
) -> int:
    """Pixels matching ``test`` inside ``box`` (PDF points, origin bottom left)."""
    scale = dpi / 72
    height = len(pixels) // (3 * width)
    x1, y1, x2, y2 = (round(v * scale) for v in box)
    hits = 0
    for row in range(height - y2, height - y1):
        for col in range(x1, x2):
            at = 3 * (row * width + col)
            if test(pixels[at], pixels[at + 1], pixels[at + 2]):
                hits += 1
    return hits


def _leader_signs_one_draft_remotely(app: Flask, client: FlaskClient) -> None:
    """The demo leader's remote key works as the demo left it: enrol, then sign a draft."""
    leader = {"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    credentials = client.get("/api/v1/remote-signing/credentials", headers=leader).get_json()
    assert [c["enrolled"] for c in credentials] == [False]
    with app.app_context():
        credential = db.session.get(RemoteCredential, credentials[0]["id"])
        assert credential is not None
        # the certificate's title is the leader's own: the demo's drafts raise no title warning
        assert credential.certificate_title == credential.user.title == "Chủ tịch"
        secret = remote_signing.start_enrolment(credential, credential.user)
        credential.totp_confirmed_at = credential.created_at
        db.session.commit()
    waiting = client.get("/api/v1/outgoing?status=submitted", headers=leader).get_json()
    assert {item["signer_title"] for item in waiting["items"]} == {"Chủ tịch"}
    draft = waiting["items"][0]["id"]
    signed = client.post(
        "/api/v1/outgoing/sign/remote",
        json={
            "document_ids": [draft],
            "credential": credentials[0]["id"],
            "otp": pyotp.TOTP(secret).now(),
        },
        headers=leader,
    )
    assert signed.get_json() == {"signed": [draft], "failed": {}}


@pytest.mark.slow
def test_demo_signed_for_real(
    app: Flask, tmp_path: Path, own_softhsm_store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole demo with its PKI and tokens: issued documents verify, a scan has no text."""
    for name in list(os.environ):
        if name.startswith("EDOC_AGENCY_TOKEN_"):
            monkeypatch.delenv(name)
    with set_clock(PINNED_NOW):
        result = app.test_cli_runner().invoke(cli, ["demo", "--documents", "9", "--no-index"])
    assert result.exit_code == 0, result.output
    assert "token lãnh đạo" in result.output  # the leader's PIN is printed once for the operator
    with app.app_context():  # numbers, statuses, who signed: as before the refactor (see above)
        essentials = json.loads(json.dumps(_essentials()))
    assert essentials == json.loads((PINS / "pinned_signed.json").read_text(encoding="utf-8"))
    data_dir = app.config["EDOC"].data_dir
    token = json.loads((data_dir / "agency_token.json").read_text())
    assert "pin" not in token and Path(token["pin_file"]).stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in (data_dir / "trust").iterdir()) == [
        "edoc-demo-issuing-ca.der",
        "edoc-demo-root.der",
    ]

    remote = json.loads((data_dir / "remote_signing_hsm.json").read_text())
    assert "pin" not in remote and Path(remote["pin_file"]).stat().st_mode & 0o077 == 0

    client = app.test_client()
    clerk = {"Authorization": f"Bearer {api_token(client, 'vanthu')}"}
    issued = client.get("/api/v1/outgoing?status=issued&per_page=100", headers=clerk).get_json()
    assert len(issued["items"]) >= 20
    numbers = [item["number_notation"] for item in issued["items"]]
    assert len(set(numbers)) == len(numbers) and all("/" in n for n in numbers)

    from signing.validation import validate_pdf

    trust = app.config["EDOC"].trust_roots()
    files: list[Path] = []
    for item in issued["items"]:
        path = tmp_path / f"{item['id']}.pdf"
        path.write_bytes(client.get(f"/api/v1/documents/{item['id']}/file", headers=clerk).data)
        report = validate_pdf(path, trust_roots=trust)
        assert report.verdict == "ok", (item["number_notation"], report.to_dict())
        assert [s.modification_level for s in report.signatures] == ["FORM_FILLING", "NONE"]
        files.append(path)

    first = files[0]
    verify = app.test_cli_runner().invoke(cli, ["verify-pdf", str(first), "--json"])
    assert verify.exit_code == 0, verify.output
    signatures = json.loads(verify.output)["signatures"]
    assert [s["signer_name"] for s in signatures] == ["Nguyễn Văn An", "UBND tỉnh Demo"]
    assert all(s["trusted"] and s["intact"] for s in signatures)
    pdfsig = subprocess.run(["pdfsig", str(first)], capture_output=True, text=True).stdout
    assert pdfsig.count("Signature Validation: Signature is Valid.") == 2, pdfsig

    # page 1 shows the number (filled in), the blue signature image and the red seal
    text = subprocess.run(["pdftotext", str(first), "-"], capture_output=True, text=True).stdout
    assert f"Số: {issued['items'][0]['number_notation']}" in text
    dpi = 36
    width, _height, pixels = _pdftoppm_rgb(first, dpi)
    from edoc.outgoing.signing import LEADER_BOX
    from signing.appearance import seal_box_over

    box = seal_box_over(LEADER_BOX)
    seal = (box.x1, box.y1, box.x2, box.y2)
    red = _count(pixels, width, seal, dpi, lambda r, g, b: r > 150 and g < 110 and b < 110)
    leader = (LEADER_BOX.x1, LEADER_BOX.y1, LEADER_BOX.x2, LEADER_BOX.y2)
    blue = _count(pixels, width, leader, dpi, lambda r, g, b: b > 120 and r < 100 and g < 120)
    assert red > 100 and blue > 20, (red, blue)

    def count(status: str, path: str = "outgoing", headers: dict[str, str] = clerk) -> int:
        url = f"/api/v1/{path}?status={status}&per_page=500"
        return len(client.get(url, headers=headers).get_json()["items"])

    leader = {"Authorization": f"Bearer {api_token(client, 'lanhdao')}"}
    assert count("submitted", headers=leader) == 4  # drafts waiting for the leader (signer)
    assert count("submitted") == 0  # not the clerk's to see before they are signed
    assert count("signed") == 1  # signed, waiting for the clerk
    assert count("recalled") == 1
    returned = client.get("/api/v1/incoming?status=returned", headers=clerk).get_json()["items"]
    assert len(returned) >= 1
    assert all(r["document"]["signature_verdict"] not in (None, "ok") for r in returned)

    with app.app_context():
        paper = db.session.scalars(
            select(IncomingDocument).where(IncomingDocument.received_via == "paper")
        ).all()
        electronic = db.session.scalars(
            select(IncomingDocument).where(IncomingDocument.received_via == "electronic")
        ).all()
        assert paper and electronic
        assert all(
            e.document.main_file.signature_report["verdict"] == "ok"
            for e in electronic
            if e.document.status != "returned"
        )
        scan_ids = [p.document_id for p in paper]
        dossiers = db.session.scalars(select(Dossier)).all()
        assert len(dossiers) == 5 and sum(d.status == "closed" for d in dossiers) == 2
        assert all(d.entries for d in dossiers)
        assert verify_chain()[1] is None
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(client.get(f"/api/v1/documents/{scan_ids[0]}/file", headers=clerk).data)
    no_text = subprocess.run(["pdftotext", str(scan), "-"], capture_output=True, text=True)
    assert no_text.returncode == 0 and no_text.stdout.strip() == ""
    _leader_signs_one_draft_remotely(app, client)


def test_the_paperwork_is_the_same_agency_every_time(app: Flask) -> None:
    """On a given day the demo makes exactly this agency: every document, dossier and audited
    action. ``pinned_paperwork.json`` was taken from the demo before its scenes became
    functions (same day, same seed); a change to the demo's content updates it on purpose."""
    with set_clock(PINNED_NOW):
        result = app.test_cli_runner().invoke(
            cli, ["demo", "--documents", "15", "--no-keys", "--no-index"]
        )
    assert result.exit_code == 0, result.output
    with app.app_context():
        essentials = json.loads(json.dumps(_essentials()))
    assert essentials == json.loads((PINS / "pinned_paperwork.json").read_text(encoding="utf-8"))
