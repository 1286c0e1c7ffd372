"""A self-signed key and a signed PDF, made at test time with cryptography and pyHanko."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def make_self_signed(tmp_path: Path, common_name: str) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND tỉnh Demo"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, True, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def blank_pdf(text: str = "Van ban thu nghiem") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer)
    drawing.drawString(72, 720, text)
    drawing.save()
    return buffer.getvalue()


def make_signed_pdf(tmp_path: Path, common_name: str) -> tuple[Path, Path]:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    key_path, cert_path = make_self_signed(tmp_path, common_name)
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
    writer = IncrementalPdfFileWriter(io.BytesIO(blank_pdf()))
    out = io.BytesIO()
    metadata = signers.PdfSignatureMetadata(field_name="Sig1")
    # pyHanko calls asyncio.run(); a browser test's event loop may own this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(signers.sign_pdf, writer, metadata, signer=signer, output=out).result()
    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(out.getvalue())
    return pdf, cert_path
