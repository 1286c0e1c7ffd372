"""The jobs tests export the dossiers tests' closed dossier (two documents, one file each)."""

from tests.app.dossiers.conftest import closed_dossier

__all__ = ["closed_dossier"]
