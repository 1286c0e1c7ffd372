"""Signing fixtures live in tests/signing/pki_fixtures.py, loaded by tests/conftest.py."""
