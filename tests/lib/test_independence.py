"""Each library stands alone: none imports another (docs/architecture.md, "Libraries")."""

from __future__ import annotations

from tests.importgraph import all_imports

LIBRARIES = ("signing", "search", "storage")


def _library(module: str) -> str | None:
    top = module.partition(".")[0]
    return top if top in LIBRARIES else None


def test_no_library_imports_another() -> None:
    crossings = sorted(
        f"{edge.source}:{edge.line} imports {edge.target}"
        for edge in all_imports()
        if _library(edge.source) and _library(edge.target) not in (None, _library(edge.source))
    )
    assert crossings == []
