"""The jobs tests use the dossiers tests' closed dossier (two documents, one file each)."""

from tests.fixtures.dossiers import closed_dossier

__all__ = ["closed_dossier"]
