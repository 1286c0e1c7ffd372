"""PKCS#11 tokens: list them, pick a signing certificate, open one logged-in session.

Why the checks come first: a leader types a PIN into a token that locks after a few wrong tries,
so anything we can refuse without the PIN (expired certificate, a certificate not yet valid, an
encryption-only key) is refused before the PIN is asked for. A wrong PIN is reported as such and
never retried automatically: a retry loop would burn the token's try counter.

Everything here is read from the token without logging in (certificates and public keys are
public objects), except the signature itself.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509 as asn1_x509

from signing import errors

PinSource = str | Callable[[], str]
"""A PIN, or a callable asked for it only once every check that needs no PIN has passed."""

SIGNING_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})

_NAME_ABBREVIATIONS = {
    "common_name": "CN",
    "title": "T",
    "organizational_unit_name": "OU",
    "organization_name": "O",
    "locality_name": "L",
    "state_or_province_name": "ST",
    "country_name": "C",
    "email_address": "E",
    "serial_number": "SERIALNUMBER",
    "user_id": "UID",
}


def format_name(name: asn1_x509.Name) -> str:
    """A readable distinguished name in RFC 4514 order, Vietnamese kept as text (``CN=…, T=…``).

    asn1crypto decodes UTF8String, BMPString and PrintableString alike, so names written by
    Vietnamese CAs (usually UTF8String) come out as proper Unicode.
    """
    parts = []
    for rdn in reversed(list(name.chosen)):  # RFC 4514 order: most specific first
        for attr in rdn:
            key = attr["type"].native
            value = attr["value"].native
            parts.append(f"{_NAME_ABBREVIATIONS.get(key, key)}={value}")
    return ", ".join(parts)


def _name_attr(name: asn1_x509.Name, attr: str) -> str | None:
    value = name.native.get(attr)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


# What the agent tells the page about a certificate, in this order (dates and DER as text).
_CERTIFICATE_KEYS = (
    "label",
    "key_id",
    "subject",
    "common_name",
    "title",
    "organization",
    "serial",
    "issuer",
    "not_before",
    "not_after",
    "key_usage",
    "has_key",
    "der",
)


@dataclass(frozen=True)
class CertificateInfo:
    """A certificate found on a token, with what a user needs to recognise it."""

    label: str
    key_id: str
    der: bytes = field(repr=False)
    has_key: bool = True

    @property
    def cert(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.der)

    @property
    def subject(self) -> str:
        return format_name(self.cert.subject)

    @property
    def common_name(self) -> str:
        return _name_attr(self.cert.subject, "common_name") or ""

    @property
    def title(self) -> str | None:
        return _name_attr(self.cert.subject, "title")

    @property
    def organization(self) -> str | None:
        return _name_attr(self.cert.subject, "organization_name")

    @property
    def issuer(self) -> str:
        return format_name(self.cert.issuer)

    @property
    def serial(self) -> str:
        """Serial number in upper-case hex, as Vietnamese CA portals print it."""
        return format(self.cert.serial_number, "X")

    @property
    def not_before(self) -> datetime:
        return self.cert.not_valid_before

    @property
    def not_after(self) -> datetime:
        return self.cert.not_valid_after

    @property
    def key_usage(self) -> list[str]:
        value = self.cert.key_usage_value
        return sorted(value.native) if value is not None else []

    def to_dict(self) -> dict[str, Any]:
        """The agent's JSON for this certificate (``GET /v1/tokens``, signing/AGENT.md)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _CERTIFICATE_KEYS}
        data.update(
            not_before=self.not_before.isoformat(),
            not_after=self.not_after.isoformat(),
            der=base64.b64encode(self.der).decode("ascii"),
        )
        return data


@dataclass(frozen=True)
class TokenInfo:
    """A present token and the certificates on it."""

    slot_id: int
    label: str
    serial: str
    manufacturer: str
    model: str
    certificates: tuple[CertificateInfo, ...]
    pin_locked: bool = False
    pin_final_try: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "certificates"}
        return {**data, "certificates": [c.to_dict() for c in self.certificates]}


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


def load_library(module_path: str) -> Any:
    """The PKCS#11 module, loaded once per process (python-pkcs11 caches it)."""
    # python-pkcs11 loads only in a process that talks to a token (not the web server)
    import pkcs11

    try:
        return pkcs11.lib(module_path)
    except (OSError, RuntimeError) as exc:  # a missing .so raises RuntimeError in python-pkcs11
        raise errors.TokenNotFound(f"cannot load PKCS#11 module {module_path}: {exc}") from exc


def _certs_on_token(token: Any) -> tuple[CertificateInfo, ...]:
    from pkcs11 import Attribute, ObjectClass  # optional at run time: see load_library

    found = []
    with token.open() as session:
        key_ids = {
            bytes(obj[Attribute.ID])
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY})
        }
        for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
            key_id = bytes(obj[Attribute.ID])
            found.append(
                CertificateInfo(
                    label=_text(obj[Attribute.LABEL]),
                    key_id=key_id.hex(),
                    der=bytes(obj[Attribute.VALUE]),
                    has_key=key_id in key_ids,
                )
            )
    return tuple(found)


def list_tokens(module_path: str) -> list[TokenInfo]:
    """Every present, initialised token with its certificates (no login needed)."""
    from pkcs11 import PKCS11Error, TokenFlag  # optional at run time: see load_library

    lib = load_library(module_path)
    tokens = []
    try:
        slots = lib.get_slots(token_present=True)
    except PKCS11Error as exc:
        raise errors.TokenRemoved(f"cannot enumerate tokens: {exc!r}") from exc
    for slot in slots:
        try:
            token = slot.get_token()
            flags = token.flags
            if not flags & TokenFlag.TOKEN_INITIALIZED:
                continue
            certificates = _certs_on_token(token)
        except PKCS11Error:
            continue  # pulled out while we looked: just not listed
        tokens.append(
            TokenInfo(
                slot_id=slot.slot_id,
                label=_text(token.label),
                serial=_text(token.serial),
                manufacturer=_text(token.manufacturer_id),
                model=_text(token.model),
                certificates=certificates,
                pin_locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
                pin_final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
            )
        )
    return tokens


def check_certificate_usable(cert: CertificateInfo, at: datetime | None = None) -> None:
    """Refuse a certificate that cannot make a valid signature now; needs no PIN."""
    at = at or datetime.now(UTC)
    if at < cert.not_before:
        raise errors.CertificateNotYetValid(
            f"certificate {cert.serial} ({cert.common_name}) is valid only from "
            f"{cert.not_before.isoformat()}"
        )
    if at > cert.not_after:
        raise errors.CertificateExpired(
            f"certificate {cert.serial} ({cert.common_name}) expired on "
            f"{cert.not_after.isoformat()}"
        )
    usages = cert.cert.key_usage_value
    if usages is not None and not (set(usages.native) & SIGNING_KEY_USAGES):
        raise errors.WrongKeyUsage(
            f"certificate {cert.serial} ({cert.common_name}) is not for signing "
            f"(key usage: {', '.join(cert.key_usage)})"
        )
    if not cert.has_key:
        raise errors.CertificateNotFound(
            f"certificate {cert.serial} has no matching key on the token"
        )


@dataclass(frozen=True)
class CertificateSelector:
    """How to choose a certificate: any given criterion must match (all optional)."""

    token_label: str | None = None
    token_serial: str | None = None
    label: str | None = None
    serial: str | None = None  # hex, any case, or decimal
    subject_contains: str | None = None

    def matches_token(self, token: TokenInfo) -> bool:
        return (self.token_label is None or token.label == self.token_label) and (
            self.token_serial is None or token.serial == self.token_serial
        )

    def matches(self, cert: CertificateInfo) -> bool:
        if self.label is not None and cert.label != self.label:
            return False
        if self.serial is not None and not _serial_equal(self.serial, cert):
            return False
        return self.subject_contains is None or (
            self.subject_contains.casefold() in cert.subject.casefold()
        )

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v is not None}


def _serial_equal(wanted: str, cert: CertificateInfo) -> bool:
    cleaned = wanted.replace(":", "").replace(" ", "").upper()
    return cleaned == cert.serial or (cleaned.isdigit() and int(cleaned) == cert.cert.serial_number)


def select_certificate(
    module_path: str, selector: CertificateSelector, at: datetime | None = None
) -> tuple[TokenInfo, CertificateInfo]:
    """Find the one certificate ``selector`` names and check it is usable, without a PIN."""
    tokens = [t for t in list_tokens(module_path) if selector.matches_token(t)]
    if not tokens:
        raise errors.TokenNotFound(f"no token matching {selector.to_dict()}")
    matches = [(t, c) for t in tokens for c in t.certificates if selector.matches(c)]
    if not matches:
        raise errors.CertificateNotFound(f"no certificate matching {selector.to_dict()}")
    if len(matches) > 1:
        usable = [(t, c) for t, c in matches if _usable(c, at)]
        if len(usable) == 1:
            matches = usable
        else:
            raise errors.CertificateNotFound(
                f"{len(matches)} certificates match {selector.to_dict()}; be more specific"
            )
    token, cert = matches[0]
    check_certificate_usable(cert, at)
    if token.pin_locked:
        raise errors.PinLocked(f"token {token.label} is locked (too many wrong PINs)")
    return token, cert


def _usable(cert: CertificateInfo, at: datetime | None) -> bool:
    try:
        check_certificate_usable(cert, at)
    except errors.TokenError:
        return False
    return True


REMOVAL_ERRORS = (
    "DeviceRemoved",
    "TokenNotPresent",
    "SessionHandleInvalid",
    "SessionClosed",
    "ObjectHandleInvalid",
    "KeyHandleInvalid",
    "DeviceError",
    "GeneralError",
    "TokenNotRecognised",
    "CryptokiNotInitialized",
)


def translate_pkcs11_error(exc: Exception) -> errors.TokenError:
    """Map python-pkcs11 exceptions onto our stable codes."""
    name = type(exc).__name__
    if name == "PinIncorrect":
        return errors.PinIncorrect("the PIN is incorrect; it was not retried")
    if name in ("PinLocked", "PinExpired"):
        return errors.PinLocked("the token's PIN is locked")
    if name in REMOVAL_ERRORS:
        return errors.TokenRemoved(f"the token was removed or stopped responding ({name})")
    return errors.TokenError(f"PKCS#11 error: {name} {exc}")


def _resolve_pin(pin: PinSource) -> str:
    return pin() if callable(pin) else pin


@dataclass
class LoginCounter:
    """Counts PIN logins (the benchmark and tests check one per batch)."""

    count: int = 0


LOGINS = LoginCounter()


@contextmanager
def open_session(module_path: str, token: TokenInfo, pin: PinSource) -> Iterator[Any]:
    """One logged-in session on ``token``: the PIN is asked (once) and used (once)."""
    from pkcs11 import PKCS11Error  # optional at run time: see load_library

    lib = load_library(module_path)
    try:
        live = next(
            slot.get_token()
            for slot in lib.get_slots(token_present=True)
            if slot.slot_id == token.slot_id
        )
    except (StopIteration, PKCS11Error) as exc:
        raise errors.TokenRemoved(f"token {token.label} is no longer present") from exc
    pin_value = _resolve_pin(pin)
    try:
        session = live.open(user_pin=pin_value)
    except PKCS11Error as exc:
        raise translate_pkcs11_error(exc) from None
    finally:
        del pin_value
    LOGINS.count += 1
    try:
        yield session
    finally:
        with suppress(PKCS11Error):  # token already gone: nothing left to close
            session.close()


def find_private_key(session: Any, cert: CertificateInfo) -> Any:
    """The private key paired with ``cert`` (same CKA_ID, as on commercial tokens)."""
    from pkcs11 import Attribute, ObjectClass, PKCS11Error  # optional at run time: see load_library

    try:
        keys = list(
            session.get_objects(
                {
                    Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                    Attribute.ID: bytes.fromhex(cert.key_id),
                }
            )
        )
    except PKCS11Error as exc:
        raise translate_pkcs11_error(exc) from None
    if not keys:
        raise errors.CertificateNotFound(f"no private key for certificate {cert.serial}")
    return keys[0]
