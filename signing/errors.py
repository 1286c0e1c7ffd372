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
