"""The validator's child is bounded: a decompression bomb and a memory-hungry file are refused
quickly with a precise code, and the caller carries on."""

from __future__ import annotations

import time

import pytest

from signing.errors import PdfInputError
from signing.validation import validate_pdf
from tests.fixtures.hostile_pdfs import object_stream_bomb_pdf, plain_pdf


def test_a_decompression_bomb_is_refused_quickly() -> None:
    """10 kB whose object stream inflates to 4 GB."""
    started = time.monotonic()
    with pytest.raises(PdfInputError) as caught:
        validate_pdf(object_stream_bomb_pdf(4096))
    assert caught.value.code == "decompression_bomb"
    assert "inflates too far" in str(caught.value)
    assert time.monotonic() - started < 15


def test_the_child_is_held_to_its_memory_limit() -> None:
    """Any allocation past the limit ends the child's work with ``too_large``, naming the limit."""
    with pytest.raises(PdfInputError) as caught:
        validate_pdf(object_stream_bomb_pdf(200, layers=1), memory_limit_mb=64)
    assert caught.value.code == "too_large"
    assert "64 MB memory limit" in str(caught.value)
    assert validate_pdf(plain_pdf()).verdict == "no_signatures"  # the next file is read as usual
