"""The signing fixtures (demo PKI served on loopback, SoftHSM2 tokens) for outgoing tests."""

from tests.signing.pki_fixtures import (  # noqa: F401  (pytest fixtures)
    demo_pki,
    softhsm_tokens,
)
