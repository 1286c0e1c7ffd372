"""Core is the floor the areas stand on, and audit sits under users: neither imports upward.

Core hears about the areas through registrations (dashboard providers, the token loader) and
signals (:mod:`edoc.core.signals`); audit knows a signed-in person only as
:class:`edoc.core.auth.Person`.
"""

from __future__ import annotations

from tests.importgraph import all_imports

AREAS = ("audit", "blobs", "demo", "documents", "dossiers", "incoming", "jobs", "outgoing")
AREAS += ("reports", "search", "statistics", "users")
ABOVE_CORE = (*(f"edoc.{area}" for area in AREAS), "edoc.app", "edoc.cli")


def _imports(source: str, targets: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{edge.source}:{edge.line} imports {edge.target}"
        for edge in all_imports()
        if edge.source.startswith(source) and edge.target.startswith(targets)
    )


def test_core_imports_no_area() -> None:
    assert _imports("edoc.core.", ABOVE_CORE) == []


def test_audit_does_not_import_users() -> None:
    assert _imports("edoc.users.", ("edoc.audit",)), "the scan sees the allowed direction"
    assert _imports("edoc.audit.", ("edoc.users",)) == []
