"""One long-lived validating child for many files (a migration) says what a child per file
says, is held to the same bounds per file, and is replaced when it dies or every K files."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from signing.errors import PdfInputError
from signing.validation import Validator, validate_pdf
from tests.fixtures.hostile_pdfs import object_stream_bomb_pdf, plain_pdf

AT = datetime(2020, 11, 1, tzinfo=UTC)


def _without_time(report: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in report.items() if k != "validated_at"}


def test_it_reports_every_corpus_file_as_a_child_per_file_does(corpus_dir: Path) -> None:
    signed = corpus_dir / "signed"
    names = sorted(p.name for p in signed.glob("*.pdf"))[:12]
    with Validator(trust_roots=[signed / "certs"], files_per_child=5) as validator:
        for name in names:
            try:
                expected = _without_time(
                    validate_pdf(signed / name, trust_roots=[signed / "certs"], at=AT).to_dict()
                )
            except PdfInputError as error:
                with pytest.raises(PdfInputError) as caught:
                    validator.validate(signed / name, at=AT)
                assert caught.value.code == error.code
                continue
            assert _without_time(validator.validate(signed / name, at=AT).to_dict()) == expected


def test_one_child_serves_k_files_then_a_fresh_one_takes_over() -> None:
    with Validator(files_per_child=3) as validator:
        pids = []
        for _ in range(7):
            assert validator.validate(plain_pdf()).verdict == "no_signatures"
            pids.append(validator.pid)
        child = validator.pid
    assert pids[0] == pids[1] == pids[2] != pids[3] == pids[4] == pids[5] != pids[6]
    assert validator.pid is None  # closed with the block
    assert child is not None and not _alive(child)


def test_a_child_that_dies_is_replaced_for_the_next_file() -> None:
    with Validator() as validator:
        validator.validate(plain_pdf())
        first = validator.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        time.sleep(0.2)
        assert validator.validate(plain_pdf()).verdict == "no_signatures"
        assert validator.pid not in (None, first)


def test_a_file_over_the_memory_limit_is_refused_and_the_next_is_read_as_usual() -> None:
    with Validator(memory_limit_mb=64) as validator:
        assert validator.validate(plain_pdf()).verdict == "no_signatures"
        with pytest.raises(PdfInputError) as caught:
            validator.validate(object_stream_bomb_pdf(200, layers=1))
        assert caught.value.code == "too_large"
        assert "64 MB memory limit" in str(caught.value)
        assert validator.validate(plain_pdf()).verdict == "no_signatures"


def test_a_decompression_bomb_is_refused_quickly() -> None:
    started = time.monotonic()
    with Validator() as validator:
        with pytest.raises(PdfInputError) as caught:
            validator.validate(object_stream_bomb_pdf(4096))
        assert caught.value.code == "decompression_bomb"
        assert validator.validate(plain_pdf()).verdict == "no_signatures"
    assert time.monotonic() - started < 20


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    )
