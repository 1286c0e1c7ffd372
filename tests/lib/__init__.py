"""The libraries' own suites: ``tests/lib/signing``, ``tests/lib/search``, ``tests/lib/storage``.

The rule: nothing here imports ``edoc``, directly or through a helper (``tests/fixtures`` modules
used here must not either), and a library's suite tests that library alone, against real
components (PostgreSQL, SeaweedFS, SoftHSM2, a test PKI). The libraries themselves never import
``edoc`` nor each other. tests/test_architecture.py checks the first part,
tests/lib/test_independence.py the second; see docs/architecture.md ("Libraries").
"""
