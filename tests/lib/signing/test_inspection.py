"""JavaScript, launch and automatic actions are found in crafted PDFs; plain ones have none."""

from __future__ import annotations

import pytest

from signing.validation import validate_pdf
from tests.fixtures.hostile_pdfs import (
    ACTIVE_CONTENT,
    active_content_pdf,
    open_at_first_page_pdf,
    plain_pdf,
)
from tests.fixtures.selfsigned import blank_pdf


@pytest.mark.parametrize("kind", sorted(ACTIVE_CONTENT))
def test_active_content_is_found(kind: str) -> None:
    report = validate_pdf(active_content_pdf(kind))
    assert report.active_content == ACTIVE_CONTENT[kind][1]
    assert report.to_dict()["active_content"] == ACTIVE_CONTENT[kind][1]


@pytest.mark.parametrize("pdf", [plain_pdf(), blank_pdf(), open_at_first_page_pdf()])
def test_ordinary_files_have_none(pdf: bytes) -> None:
    assert validate_pdf(pdf).active_content == []
