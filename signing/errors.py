"""Signing errors, each with a stable ``code`` an application maps to its own words."""

from __future__ import annotations


class SigningError(Exception):
    code = "signing_error"


class PdfInputError(SigningError):
    """The file cannot be used as a PDF; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ValidationTimeout(SigningError):
    code = "validation_timeout"


# --- producing signatures: tokens, certificates, PINs (signing/tokens.py, batch.py, remote.py) ---


class TokenError(SigningError):
    """A problem with a PKCS#11 token or one of its certificates; ``code`` is stable."""

    code = "token_error"


class TokenNotFound(TokenError):
    code = "token_not_found"


class CertificateNotFound(TokenError):
    code = "certificate_not_found"


class CertificateExpired(TokenError):
    code = "certificate_expired"


class CertificateNotYetValid(TokenError):
    code = "certificate_not_yet_valid"


class WrongKeyUsage(TokenError):
    code = "wrong_key_usage"


class PinIncorrect(TokenError):
    code = "pin_incorrect"


class PinLocked(TokenError):
    code = "pin_locked"


class TokenRemoved(TokenError):
    code = "token_removed"


class SignatureRejected(SigningError):
    """The returned signature or CMS does not verify against the prepared document."""

    code = "signature_rejected"
