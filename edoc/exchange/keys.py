"""The agency key on exchange: packages are sealed with it, requests are signed with it, and
what comes in is checked against this installation's trust roots and the peer's pinned
certificate.

Why signed requests rather than mutual TLS: a signature over the request travels with it
through any reverse proxy or TLS terminator in front of either installation (a proxy that
ends TLS would hide the client certificate from the application), needs no TLS set-up shared
between two agencies' operators, and uses the same key and CMS path as the seal. No shared
password exists to leak.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import cms, pem
from asn1crypto import x509 as asn1_x509
from flask_babel import gettext as _

from edoc.core.agency_key import agency_detached_signer, trusted_certificates
from edoc.exchange import edxml
from signing.detached import verify_detached

INBOX_PATH = "/api/v1/exchange/inbox"
#: How far a request's timestamp may be from this server's clock.
REQUEST_SKEW = timedelta(minutes=10)
ORGAN_HEADER = "X-Edoc-Organ"
TIMESTAMP_HEADER = "X-Edoc-Timestamp"
SIGNATURE_HEADER = "X-Edoc-Signature"


def seal(message: edxml.Envelope | edxml.StatusMessage) -> edxml.Envelope | edxml.StatusMessage:
    """The message with the agency key's detached CMS over ``edxml.signed_content``."""
    signature = agency_detached_signer().sign_detached(edxml.signed_content(message))
    return edxml.with_signature(message, signature)


def certificate_pem() -> str:
    """This installation's agency certificate (PEM), to give to its peers."""
    certificate = agency_detached_signer(timestamp=False).certificate
    return pem.armor("CERTIFICATE", certificate.der).decode()


def pem_to_der(text: str) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    if pem.detect(data):
        return pem.unarmor(data)[2]
    return data


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str = ""  # Vietnamese, for the clerk and for status 02
    signer: str = ""


def verify_cms(data: bytes, signature: bytes | None, pinned_pem: str | None) -> Check:
    """A detached CMS over ``data``: intact, valid, chained to a trust root, and — when the
    peer's certificate is pinned — made with exactly that certificate."""
    if not signature:
        return Check(False, _("Gói tin không có chữ ký số của cơ quan gửi."))
    try:
        check = verify_detached(data, signature, trusted_certificates())
        signer_der = _signer_certificate(signature)
    except Exception:  # a malformed CMS is as bad as a wrong one
        return Check(False, _("Chữ ký số của gói tin không đọc được."))
    if not (check.intact and check.valid):
        return Check(
            False, _("Chữ ký số của gói tin không hợp lệ: nội dung đã bị thay đổi."), check.signer
        )
    if not check.trusted:
        return Check(
            False,
            _(
                "Chứng thư ký gói tin (%(s)s) không thuộc tổ chức cung cấp dịch vụ tin cậy.",
                s=check.signer,
            ),
            check.signer,
        )
    if pinned_pem and signer_der != pem_to_der(pinned_pem):
        return Check(
            False,
            _(
                "Gói tin không được ký bằng chứng thư đã đăng ký của cơ quan gửi (%(s)s).",
                s=check.signer,
            ),
            check.signer,
        )
    return Check(True, "", check.signer)


def _signer_certificate(signature: bytes) -> bytes | None:
    """The DER of the certificate the CMS's (only) signer info names."""
    signed_data = cms.ContentInfo.load(signature)["content"]
    sid = signed_data["signer_infos"][0]["sid"]
    for choice in signed_data["certificates"] or []:
        certificate = choice.chosen
        if not isinstance(certificate, asn1_x509.Certificate):
            continue
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (
                certificate.issuer == wanted["issuer"]
                and certificate.serial_number == wanted["serial_number"].native
            ):
                return certificate.dump()
        elif certificate.key_identifier == sid.chosen.native:
            return certificate.dump()
    return None


def verify_seal(message: edxml.Envelope | edxml.StatusMessage, pinned_pem: str | None) -> Check:
    return verify_cms(edxml.signed_content(message), message.signature, pinned_pem)


# ---- signed requests --------------------------------------------------------------------------


def request_payload(method: str, path: str, timestamp: str, body: bytes) -> bytes:
    return f"{method}\n{path}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()


def request_timestamp(now: datetime | None = None) -> str:
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_request(body: bytes, organ_id: str) -> dict[str, str]:
    """The headers that authenticate a POST of ``body`` to a peer's inbox."""
    timestamp = request_timestamp()
    payload = request_payload("POST", INBOX_PATH, timestamp, body)
    signature = agency_detached_signer(timestamp=False).sign_detached(payload)
    return {
        ORGAN_HEADER: organ_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: base64.b64encode(signature).decode(),
    }


def timestamp_fresh(timestamp: str, now: datetime | None = None) -> bool:
    try:
        moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False
    return abs((now or datetime.now(UTC)) - moment) <= REQUEST_SKEW
