"""A messy export of an old e-office system, written once per test into its own folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.legacy_exports import LegacyExport, legacy_export


@pytest.fixture
def export(tmp_path: Path) -> LegacyExport:
    return legacy_export(tmp_path / "eoffice-cu")
