"""The layering rules of docs/architecture.md, checked on the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.importgraph import REPO, all_imports, cycles, module_files, reachable

LIBRARIES = ("signing", "search", "storage")
OWN = ("edoc", *LIBRARIES)


def test_no_import_cycle_even_through_imports_inside_functions() -> None:
    found = cycles([edge for edge in all_imports() if edge.source.startswith(OWN)])
    assert found == [], "import cycles:\n" + "\n".join(" ↔ ".join(c) for c in found)


def test_libraries_and_their_tests_never_import_edoc() -> None:
    modules = module_files()
    roots = [
        name
        for name in modules
        if name.startswith(LIBRARIES) or name.startswith("tests.lib") or name == "tests.conftest"
    ]
    imports = all_imports()
    reached = reachable(roots, imports)
    leaks = sorted(
        f"{edge.source}:{edge.line} imports {edge.target}"
        for edge in imports
        if edge.source in reached and edge.target.startswith("edoc")
    )
    assert leaks == []


def test_no_test_module_or_conftest_is_imported_by_another_module_of_the_tests() -> None:
    """What two test modules share lives in tests/fixtures/ (tests/README.md): a test module
    changes with its own tests, and once another file imports a helper from it, moving or
    deleting a test breaks a file that has nothing to do with it."""
    found = sorted(
        f"{edge.source}:{edge.line} imports {edge.target}"
        for edge in all_imports()
        if edge.source.startswith("tests")
        and edge.target.startswith("tests")
        and _is_test_module_or_conftest(edge.target)
    )
    assert found == [], "move what they share into tests/fixtures/:\n" + "\n".join(found)


def _is_test_module_or_conftest(name: str) -> bool:
    last = name.rpartition(".")[2]
    return last.startswith("test_") or last == "conftest"


def test_imports_inside_functions_are_only_for_heavy_optional_packages_and_say_why() -> None:
    offenders = []
    for edge in all_imports():
        if not edge.in_function or not edge.source.startswith(OWN):
            continue
        if edge.target.startswith(OWN):
            offenders.append(f"{edge.source}:{edge.line} imports {edge.target} in a function")
    assert offenders == [], "\n".join(offenders)


def _third_party_imports_in_functions(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                line = lines[inner.lineno - 1]
                above = lines[inner.lineno - 2].strip() if inner.lineno >= 2 else ""
                if "#" not in line and not above.startswith("#"):
                    found.append((inner.lineno, line.strip()))
    return found


def test_every_import_inside_a_function_gives_its_reason() -> None:
    missing = [
        f"{path.relative_to(REPO)}:{line}: {text}"
        for package in OWN
        for path in sorted((REPO / package).rglob("*.py"))
        for line, text in _third_party_imports_in_functions(path)
    ]
    assert missing == [], "\n".join(missing)


def _models_by_area() -> dict[str, str]:
    owners: dict[str, str] = {}
    for path in sorted((REPO / "edoc").glob("*/models.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and any(
                isinstance(item, ast.Assign)
                and any(getattr(t, "id", None) == "__tablename__" for t in item.targets)
                for item in node.body
            ):
                owners[node.name] = path.parent.name
    return owners


def test_each_area_creates_only_its_own_records() -> None:
    owners = _models_by_area()
    foreign = []
    for path in sorted((REPO / "edoc").rglob("*.py")):
        area = path.relative_to(REPO / "edoc").parts[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and owners.get(node.func.id, area) != area
            ):
                owner = owners[node.func.id]
                foreign.append(f"edoc/{path.relative_to(REPO / 'edoc')}:{node.lineno} {owner}")
    assert foreign == [], "records created outside their area:\n" + "\n".join(foreign)
