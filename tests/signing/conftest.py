"""Fixtures for the signing library tests (shared: append only)."""

from tests.signing.pki_fixtures import (  # noqa: F401  (pytest fixtures)
    demo_pki,
    removable_token,
    softhsm_tokens,
)
