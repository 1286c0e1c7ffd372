"""Benchmark: sign N one-page PDFs on SoftHSM, edoc's batch path against a bare pyHanko loop.

    .venv/bin/python bench/signing.py [-n 100] [--rounds 2]

Both paths run in the same process against the same SoftHSM token and demo PKI:

* **edoc**: ``remote.prepare`` for each PDF → one ``batch.sign_digests`` call (one login) →
  ``remote.finish`` for each (embeds the CMS and validates the signature, as the server does);
* **bare pyHanko**: one ``open_pkcs11_session`` (one login) and a ``PKCS11Signer`` reused for a
  loop of ``signers.sign_pdf``;
* **remote (CSC)**: ``remote.prepare`` for each PDF → one ``credentials/authorize`` (a TOTP code)
  and one ``signatures/signHash`` for the whole batch, over HTTP to edoc's own CSC service
  (a Flask app on loopback with SQLite, the key in the same SoftHSM token) → ``remote.finish``
  for each. The service checks the certificate (OCSP against the demo PKI) before the code.

Both make invisible PAdES B-B signatures with the same certificate chain. The best of
``--rounds`` alternating rounds counts. Prints per-signature time, the ratio (goal ≤ 1.2) and the
number of PIN logins on each side.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from reportlab.pdfgen import canvas

from signing import pki as demo
from signing.batch import sign_digests
from signing.pki import DemoPKI, start_demo_pki
from signing.remote import SignatureFieldSpec, SignatureOptions, finish, prepare
from signing.softhsm import SoftHSM
from signing.tokens import LOGINS, CertificateSelector
from tests.fixtures.pki import pyhanko_signer

PIN = "123456"
TOKEN = "bench"


def one_page_pdf(index: int) -> bytes:
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer)
    drawing.drawString(72, 720, f"Van ban so {index}")
    drawing.save()
    return buffer.getvalue()


def edoc_round(pdfs: list[bytes], pki: DemoPKI, module: str) -> tuple[float, int]:
    logins = LOGINS.count
    start = time.perf_counter()
    cert, chain = pki.cert(demo.LEADER), pki.chain(demo.LEADER)
    options = SignatureOptions(SignatureFieldSpec("Sig"), chain=chain)
    prepared = [prepare(pdf, signer_cert=cert, options=options) for pdf in pdfs]
    result = sign_digests(
        module,
        CertificateSelector(token_label=TOKEN, label=demo.LEADER),
        [p.digest_item(str(i)) for i, p in enumerate(prepared)],
        PIN,
    )
    for i, p in enumerate(prepared):
        finish(p, signature=result.signatures[str(i)], trust_roots=[pki.root])
    return time.perf_counter() - start, LOGINS.count - logins


def bare_round(pdfs: list[bytes], pki: DemoPKI, module: str) -> tuple[float, int]:
    start = time.perf_counter()
    with pyhanko_signer(module, TOKEN, PIN, pki, demo.LEADER) as signer:  # one login
        meta = signers.PdfSignatureMetadata(
            field_name="Sig", subfilter=fields.SigSeedSubFilter.PADES
        )
        for pdf in pdfs:
            out = io.BytesIO()
            signers.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer, output=out
            )
    return time.perf_counter() - start, 1


class RemoteService:
    """edoc's CSC service on loopback: an installation with the demo agency, the leader given a
    credential on the bench token, and a CSC client signed in as the leader."""

    def __init__(self, root: Path, pki: DemoPKI, module: str) -> None:
        import dataclasses
        import os
        import threading

        import httpx
        import pyotp
        from werkzeug.serving import make_server

        os.environ["EDOC_DATA_DIR"] = str(root / "var")
        os.environ["EDOC_CSC_HSM_PIN"] = PIN
        from edoc.app import create_app
        from edoc.config import Settings
        from edoc.core.extensions import db
        from edoc.core.migrate import upgrade
        from edoc.demo.agency import create_demo_agency
        from edoc.remote_signing import services
        from edoc.remote_signing.models import RemoteCredential
        from edoc.users.services import find_user
        from signing.csc.client import CSCClient, CSCProviderConfig

        settings = dataclasses.replace(
            Settings.from_env(),
            csc_service=True,
            csc_require_https=False,
            csc_hsm_module=module,
            ratelimit_token="100000 per minute",
        )
        trust = settings.trust_dir or root / "var" / "trust"
        trust.mkdir(parents=True, exist_ok=True)
        for label in (demo.ROOT, demo.ISSUING_CA):
            (trust / f"{label}.der").write_bytes(pki.cert_der(label))
        self.app = app = create_app(settings)
        with app.app_context():
            upgrade()
            create_demo_agency("bench-password")
            leader = find_user("lanhdao")
            credential = services.create_agency_credential(
                leader, token_label=TOKEN, cert_label=demo.LEADER
            )
            self.secret = services.start_enrolment(credential, leader)
            credential.totp_confirmed_at = credential.created_at
            db.session.commit()
            self.credential_id, self.credential_pk = credential.credential_id, credential.id
        self._db, self._model, self._totp = db, RemoteCredential, pyotp.TOTP(self.secret)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{self.server.server_port}"
        token = httpx.post(
            f"{base}/csc/v2/auth/login", auth=("lanhdao", "bench-password"), timeout=300
        ).json()["access_token"]
        self.client = CSCClient(
            CSCProviderConfig("edoc", base, static_token=token, timeout_seconds=600)
        )

    def fresh_code(self) -> str:
        """The current code, made usable again: a real leader waits 30 s between batches, the
        bench forgets the last step instead (only here, never in the service)."""
        with self.app.app_context():
            credential = self._db.session.get(self._model, self.credential_pk)
            credential.last_otp_step = 0
            self._db.session.commit()
        return self._totp.now()

    def close(self) -> None:
        self.client.close()
        self.server.shutdown()


def remote_round(pdfs: list[bytes], pki: DemoPKI, service: RemoteService) -> tuple[float, int]:
    code = service.fresh_code()
    start = time.perf_counter()
    cert, chain = pki.cert(demo.LEADER), pki.chain(demo.LEADER)
    options = SignatureOptions(SignatureFieldSpec("Sig"), chain=chain)
    prepared = [prepare(pdf, signer_cert=cert, options=options) for pdf in pdfs]
    digests = [p.digest_to_sign for p in prepared]
    sad = service.client.authorize(service.credential_id, digests, "sha256", code)
    signatures = service.client.sign_hashes(service.credential_id, sad, digests, "sha256", "rsa")
    for p, signature in zip(prepared, signatures, strict=True):
        finish(p, signature=signature, trust_roots=[pki.root])
    return time.perf_counter() - start, 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-signing-") as tmp,
        start_demo_pki(Path(tmp) / "pki") as pki,
    ):
        hsm = SoftHSM.create(Path(tmp) / "hsm")
        hsm.init_token(TOKEN, PIN, "12345678")
        hsm.import_key_and_cert(
            TOKEN,
            PIN,
            label=demo.LEADER,
            key_id=b"\x01",
            private_key_pkcs8_pem=pki.key_path(demo.LEADER).read_bytes(),
            cert_der=pki.cert_der(demo.LEADER),
        )
        hsm.activate()
        service = RemoteService(Path(tmp), pki, hsm.module_path)
        pdfs = [one_page_pdf(i) for i in range(args.n)]
        # warm-up: imports, font/ASN.1 caches, first PKCS#11 load
        edoc_round(pdfs[:3], pki, hsm.module_path)
        bare_round(pdfs[:3], pki, hsm.module_path)
        remote_round(pdfs[:3], pki, service)
        best_edoc = best_bare = best_remote = float("inf")
        edoc_logins = bare_logins = 0
        for _ in range(args.rounds):
            elapsed, edoc_logins = edoc_round(pdfs, pki, hsm.module_path)
            best_edoc = min(best_edoc, elapsed)
            elapsed, bare_logins = bare_round(pdfs, pki, hsm.module_path)
            best_bare = min(best_bare, elapsed)
            elapsed, _codes = remote_round(pdfs, pki, service)
            best_remote = min(best_remote, elapsed)
        service.close()
    n = args.n
    print(f"signatures per path: {n} one-page PDFs, PAdES B-B, SoftHSM2, best of {args.rounds}")
    print(f"edoc batch   : {1000 * best_edoc / n:7.2f} ms/signature, {edoc_logins} PIN login(s)")
    print(f"bare pyHanko : {1000 * best_bare / n:7.2f} ms/signature, {bare_logins} PIN login(s)")
    print(f"remote (CSC) : {1000 * best_remote / n:7.2f} ms/signature, 1 OTP for the batch")
    print(f"ratio edoc/bare: {best_edoc / best_bare:.2f} (goal <= 1.2)")
    print(
        f"ratio remote/bare: {best_remote / best_bare:.2f}, remote/edoc agent path: "
        f"{best_remote / best_edoc:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
