"""Two-step (interrupted) PAdES signing: the server prepares, a token elsewhere signs a digest.

``prepare`` reserves the field, draws the appearance and builds the signed attributes, whose
digest goes to the token; ``finish`` embeds the signature, adds B-T/B-LT data and validates the
result. :class:`PreparedSignature` carries the state between them as plain JSON. Why, and the
JSON: docs/signing.md ("Two-step signing").
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import load_der_x509_certificate
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko.sign.validation.dss import async_add_validation_info
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing import errors
from signing.appearance import Appearance, Box, stamp_style, vn_time
from signing.batch import DigestItem
from signing.formfields import TextFieldSpec, add_text_fields

LEVELS = ("B-B", "B-T", "B-LT")
STATE_VERSION = 1
T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run pyHanko's async API from sync code, even when this thread already runs a loop
    (a Playwright test, an async web worker)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _cert(value: bytes | asn1_x509.Certificate) -> asn1_x509.Certificate:
    return value if isinstance(value, asn1_x509.Certificate) else asn1_x509.Certificate.load(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class SignatureFieldSpec:
    """Where the signature goes: field name, page (0-based, -1 = last), visible box or None."""

    name: str
    box: Box | None = None
    page: int = 0


@dataclass(frozen=True)
class SignatureOptions:
    """How one signature is made, apart from the key: where it goes and what it looks like,
    the chain sent with it, the PAdES level (B-T/B-LT need ``tsa_url``), the empty text
    fields added in the same revision (so filling them later is FORM_FILLING), and the
    reason and place written in it. One value, so that the functions that prepare a
    signature on the way pass it along instead of repeating each keyword."""

    field: SignatureFieldSpec
    appearance: Appearance | None = None
    chain: Sequence[bytes | asn1_x509.Certificate] = ()
    level: str = "B-B"
    tsa_url: str | None = None
    text_fields: Sequence[TextFieldSpec] = ()
    reason: str | None = None
    location: str | None = None


@dataclass
class PreparedSignature:
    """The state between ``prepare`` and ``finish``; its JSON is in docs/signing.md."""

    prepared_pdf: bytes
    field_name: str
    level: str
    md_algorithm: str
    signature_algorithm: str
    document_digest: bytes
    reserved_region_start: int
    reserved_region_end: int
    signed_attributes: bytes
    signer_certificate: bytes
    certificates: list[bytes] = field(default_factory=list)
    tsa_url: str | None = None
    prepared_at: str = ""

    @property
    def digest_to_sign(self) -> bytes:
        """What the token signs (with a DigestInfo for RSA): md(signed attributes)."""
        return hashlib.new(self.md_algorithm, self.signed_attributes).digest()

    def digest_item(self, item_id: str) -> DigestItem:
        return DigestItem(item_id, self.digest_to_sign, self.md_algorithm)

    def to_dict(self, include_pdf: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": STATE_VERSION,
            "field_name": self.field_name,
            "level": self.level,
            "md_algorithm": self.md_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "document_digest": _b64(self.document_digest),
            "reserved_region": [self.reserved_region_start, self.reserved_region_end],
            "signed_attributes": _b64(self.signed_attributes),
            "digest_to_sign": _b64(self.digest_to_sign),
            "signer_certificate": _b64(self.signer_certificate),
            "certificates": [_b64(c) for c in self.certificates],
            "tsa_url": self.tsa_url,
            "prepared_at": self.prepared_at,
            "prepared_pdf_sha256": hashlib.sha256(self.prepared_pdf).hexdigest(),
        }
        if include_pdf:
            data["prepared_pdf"] = _b64(self.prepared_pdf)
        return data

    def to_json(self, include_pdf: bool = True) -> str:
        return json.dumps(self.to_dict(include_pdf), ensure_ascii=False)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], prepared_pdf: bytes | None = None
    ) -> PreparedSignature:
        """Rebuild the state; pass ``prepared_pdf`` when it was stored apart from the JSON."""
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported prepared-signature state version {data.get('version')}")
        pdf = prepared_pdf if prepared_pdf is not None else base64.b64decode(data["prepared_pdf"])
        if hashlib.sha256(pdf).hexdigest() != data["prepared_pdf_sha256"]:
            raise errors.SignatureRejected("the prepared PDF does not match the saved state")
        start, end = data["reserved_region"]
        return cls(
            prepared_pdf=pdf,
            field_name=data["field_name"],
            level=data["level"],
            md_algorithm=data["md_algorithm"],
            signature_algorithm=data["signature_algorithm"],
            document_digest=base64.b64decode(data["document_digest"]),
            reserved_region_start=int(start),
            reserved_region_end=int(end),
            signed_attributes=base64.b64decode(data["signed_attributes"]),
            signer_certificate=base64.b64decode(data["signer_certificate"]),
            certificates=[base64.b64decode(c) for c in data["certificates"]],
            tsa_url=data.get("tsa_url"),
            prepared_at=data.get("prepared_at", ""),
        )

    @classmethod
    def from_json(cls, text: str, prepared_pdf: bytes | None = None) -> PreparedSignature:
        return cls.from_dict(json.loads(text), prepared_pdf)


def _reserve_bytes(level: str, chain_size: int) -> int:
    # hex-encoded CMS: signature + chain, plus a time-stamp token with the TSA's chain for B-T/LT
    base = 2 * (chain_size + 4096)
    return base + (16384 if level != "B-B" else 0)


def prepare(
    pdf: bytes,
    *,
    signer_cert: bytes | asn1_x509.Certificate,
    options: SignatureOptions,
    md_algorithm: str = "sha256",
) -> PreparedSignature:
    """Step one, on the server: reserve the field, draw the appearance, compute the digest."""
    return run_async(_prepare(pdf, _cert(signer_cert), options, md_algorithm))


async def _prepare(
    pdf: bytes, signer_cert: asn1_x509.Certificate, options: SignatureOptions, md_algorithm: str
) -> PreparedSignature:
    field_spec, level, tsa_url = options.field, options.level, options.tsa_url
    chain = [_cert(c) for c in options.chain]
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    if level != "B-B" and not tsa_url:
        raise ValueError(f"{level} needs a time-stamping service URL")
    moment = vn_time()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    add_text_fields(writer, list(options.text_fields))
    registry = SimpleCertificateStore.from_certs(chain)
    key_bytes = (
        signer_cert.public_key.byte_size if signer_cert.public_key.algorithm == "rsa" else 72
    )
    signer = signers.ExternalSigner(
        signing_cert=signer_cert, cert_registry=registry, signature_value=key_bytes
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field_spec.name,
        md_algorithm=md_algorithm,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=options.reason,
        location=options.location,
        name=signer_cert.subject.native.get("common_name"),
    )
    box = field_spec.box.as_tuple() if field_spec.box is not None else None
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer,
        stamp_style=(
            stamp_style(options.appearance, moment) if options.appearance is not None else None
        ),
        new_field_spec=fields.SigFieldSpec(field_spec.name, on_page=field_spec.page, box=box),
    )
    chain_size = sum(len(c.dump()) for c in [signer_cert, *chain])
    prepared_digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
        writer, bytes_reserved=_reserve_bytes(level, chain_size)
    )
    signed_attrs = await signer.signed_attrs(
        prepared_digest.document_digest, md_algorithm, use_pades=True
    )
    mechanism = signer.get_signature_mechanism_for_digest(md_algorithm)
    output.seek(0)
    return PreparedSignature(
        prepared_pdf=output.read(),
        field_name=field_spec.name,
        level=level,
        md_algorithm=md_algorithm,
        signature_algorithm=mechanism["algorithm"].native,
        document_digest=prepared_digest.document_digest,
        reserved_region_start=prepared_digest.reserved_region_start,
        reserved_region_end=prepared_digest.reserved_region_end,
        signed_attributes=signed_attrs.dump(),
        signer_certificate=signer_cert.dump(),
        certificates=[c.dump() for c in chain],
        tsa_url=tsa_url,
        prepared_at=moment.replace(microsecond=0).isoformat(),
    )


# --------------------------------------------------------------------------- finish


def _verify_raw(prepared: PreparedSignature, signature: bytes) -> None:
    """Check the token's signature over the signed attributes before building anything."""
    public_key = load_der_x509_certificate(prepared.signer_certificate).public_key()
    md = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[
        prepared.md_algorithm
    ]
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, prepared.signed_attributes, padding.PKCS1v15(), md)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, prepared.signed_attributes, ec.ECDSA(md))
        else:
            raise errors.SignatureRejected("unsupported signer key type")
    except InvalidSignature:
        raise errors.SignatureRejected(
            "the signature does not match the prepared document and certificate "
            "(wrong key, or signed the wrong digest)"
        ) from None


def _check_cms(prepared: PreparedSignature, content: cms.ContentInfo) -> None:
    """A CMS from elsewhere must be over our document by our signer."""
    signed_data = content["content"]
    signer_info = signed_data["signer_infos"][0]
    digest = next(
        (
            attr["values"][0].native
            for attr in signer_info["signed_attrs"]
            if attr["type"].native == "message_digest"
        ),
        None,
    )
    if digest != prepared.document_digest:
        raise errors.SignatureRejected("the CMS does not sign this prepared document")
    signer_id = signer_info["sid"]
    cert = asn1_x509.Certificate.load(prepared.signer_certificate)
    if (
        signer_id.name == "issuer_and_serial_number"
        and signer_id.chosen["serial_number"].native != cert.serial_number
    ):
        raise errors.SignatureRejected("the CMS was made with another certificate")


async def _build_cms(prepared: PreparedSignature, signature: bytes) -> cms.ContentInfo:
    signer = signers.ExternalSigner(
        signing_cert=asn1_x509.Certificate.load(prepared.signer_certificate),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(c) for c in prepared.certificates]
        ),
        signature_value=signature,
        signature_mechanism=algos.SignedDigestAlgorithm(
            {"algorithm": prepared.signature_algorithm}
        ),
    )
    timestamper = HTTPTimeStamper(prepared.tsa_url) if prepared.level != "B-B" else None
    return await signer.async_sign_prescribed_attributes(
        prepared.md_algorithm,
        signed_attrs=cms.CMSAttributes.load(prepared.signed_attributes),
        timestamper=timestamper,
    )


def _validation_context(
    trust_roots: Sequence[Any], allow_fetching: bool, other_certs: Sequence[bytes] = ()
) -> ValidationContext:
    roots = [_cert(r) for r in trust_roots]
    # B-LT must really carry the revocation data: with fetching on, a missing OCSP/CRL is an
    # error (hard-fail) rather than a silently thinner DSS
    mode = "hard-fail" if allow_fetching else "soft-fail"
    return ValidationContext(
        trust_roots=roots,
        allow_fetching=allow_fetching,
        revocation_mode=mode,
        other_certs=[asn1_x509.Certificate.load(c) for c in other_certs],
    )


@dataclass(frozen=True)
class FinishCheck:
    """What ``finish`` verified on the result (also returned for the app to record)."""

    intact: bool
    valid: bool
    trusted: bool | None  # None when no trust roots were given


def finish(
    prepared: PreparedSignature,
    *,
    signature: bytes | None = None,
    cms_bytes: bytes | None = None,
    trust_roots: Sequence[bytes | asn1_x509.Certificate] = (),
) -> bytes:
    """Step two, on the server: embed the signature, add B-T/B-LT data, validate, return.

    Give either ``signature`` (the token's raw signature over ``prepared.digest_to_sign``; the
    CMS is built here) or ``cms_bytes`` (a complete CMS made elsewhere). With ``trust_roots`` the
    signer must also chain to one of them. Raises :class:`~signing.errors.SignatureRejected`.
    """
    pdf, _check = finish_with_check(
        prepared, signature=signature, cms_bytes=cms_bytes, trust_roots=trust_roots
    )
    return pdf


def finish_with_check(
    prepared: PreparedSignature,
    *,
    signature: bytes | None = None,
    cms_bytes: bytes | None = None,
    trust_roots: Sequence[bytes | asn1_x509.Certificate] = (),
) -> tuple[bytes, FinishCheck]:
    if (signature is None) == (cms_bytes is None):
        raise ValueError("give exactly one of signature or cms_bytes")
    return run_async(_finish(prepared, signature, cms_bytes, list(trust_roots)))


async def _finish(
    prepared: PreparedSignature,
    signature: bytes | None,
    cms_bytes: bytes | None,
    trust_roots: list[Any],
) -> tuple[bytes, FinishCheck]:
    if signature is not None:
        _verify_raw(prepared, signature)
        content = await _build_cms(prepared, signature)
    else:
        assert cms_bytes is not None
        try:
            content = cms.ContentInfo.load(cms_bytes)
            _check_cms(prepared, content)
        except (ValueError, KeyError, TypeError) as exc:
            raise errors.SignatureRejected(f"the CMS cannot be read: {exc}") from None
    der = content.dump()
    if 2 * len(der) > prepared.reserved_region_end - prepared.reserved_region_start - 2:
        raise errors.SignatureRejected("the CMS is larger than the space reserved for it")
    output = io.BytesIO(prepared.prepared_pdf)
    digest = PreparedByteRangeDigest(
        document_digest=prepared.document_digest,
        reserved_region_start=prepared.reserved_region_start,
        reserved_region_end=prepared.reserved_region_end,
    )
    await PdfTBSDocument.async_finish_signing(output, digest, der)
    signed = output.getvalue()
    if prepared.level == "B-LT":
        signed = await _add_revocation_info(signed, prepared, trust_roots)
    check = await _check_result(signed, prepared, trust_roots)
    return signed, check


def _embedded(pdf: bytes, field_name: str) -> EmbeddedPdfSignature:
    """The signature in ``field_name`` of a signed PDF."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return next(s for s in reader.embedded_signatures if s.field_name == field_name)


async def _add_revocation_info(
    pdf: bytes, prepared: PreparedSignature, trust_roots: list[Any]
) -> bytes:
    """PAdES B-LT: fetch OCSP/CRLs for the signer's chain (and the TSA's) into the DSS."""
    embedded = _embedded(pdf, prepared.field_name)
    context = _validation_context(trust_roots, True, prepared.certificates)
    out = io.BytesIO()
    try:
        await async_add_validation_info(embedded, context, output=out)
    except Exception as exc:  # fetch failures surface from deep inside certvalidator
        raise errors.SignatureRejected(f"revocation data could not be fetched: {exc}") from exc
    finally:
        await context.aclose()  # the aiohttp session that fetched OCSP/CRLs
    return out.getvalue()


async def _check_result(
    pdf: bytes, prepared: PreparedSignature, trust_roots: list[Any]
) -> FinishCheck:
    embedded = _embedded(pdf, prepared.field_name)
    context = _validation_context(trust_roots, False, prepared.certificates)
    status = await async_validate_pdf_signature(
        embedded, signer_validation_context=context, skip_diff=True
    )
    check = FinishCheck(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted) if trust_roots else None,
    )
    if not (check.intact and check.valid):
        raise errors.SignatureRejected("the signed PDF does not verify")
    if trust_roots and not check.trusted:
        raise errors.SignatureRejected("the signer's certificate does not chain to a trusted root")
    return check


def sign_with_digest_signer(
    pdf: bytes,
    *,
    sign_digest: Any,
    signer_cert: bytes | asn1_x509.Certificate,
    options: SignatureOptions,
    trust_roots: Sequence[bytes | asn1_x509.Certificate] = (),
) -> bytes:
    """Both steps in one call, for a key the server can reach (the agency key on an HSM)."""
    prepared = prepare(pdf, signer_cert=signer_cert, options=options)
    signature = sign_digest(prepared.digest_item(prepared.field_name))
    return finish(prepared, signature=signature, trust_roots=trust_roots)


def signing_time(prepared: PreparedSignature) -> datetime:
    return datetime.fromisoformat(prepared.prepared_at)
