"""The dossiers' tests share one closed dossier of two incoming documents (05.TH)."""

from tests.fixtures.dossiers import closed_dossier

__all__ = ["closed_dossier"]
