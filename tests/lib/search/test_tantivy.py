"""What only the Tantivy backend has to prove: its index is a directory shared by processes.

Several web workers read the index while one worker writes; a rebuild fills a new generation
and switches to it, so no search ever sees an empty index. The readers here are other
``TantivyBackend`` objects (their own Tantivy ``Index``, as another process has) and, for the
switch, a real second process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from search import open_backend
from search import tantivy_backend as tb
from search.base import SECRECY_NONE, SchemaMismatch, SearchQuery, SearchUnavailable
from tests.lib.search import corpus
from tests.lib.search.corpus import MEETINGS, REPORT, STORM, incoming

ROOT = Path(__file__).resolve().parents[3]


def _ids(backend: tb.TantivyBackend, text: str) -> list[str]:
    return [h.id for h in backend.search(SearchQuery(text=text, per_page=100)).hits]


def test_url_names_a_directory(tmp_path: Path) -> None:
    backend = open_backend(f"tantivy://{tmp_path / 'idx'}")
    assert isinstance(backend, tb.TantivyBackend)
    backend.ensure_schema()
    assert (tmp_path / "idx" / tb.POINTER).read_text().startswith("gen-")
    assert backend.count() == 0


def test_a_reader_sees_what_another_writer_committed(tmp_path: Path) -> None:
    writer = tb.TantivyBackend(tmp_path)
    writer.ensure_schema()
    reader = tb.TantivyBackend(tmp_path)
    assert reader.count() == 0
    writer.index([STORM])
    assert _ids(reader, "bão") == ["in:1"]
    writer.delete(["in:1"])
    assert _ids(reader, "bão") == []
    writer.reset()  # a new generation: the reader follows the pointer
    writer.index([REPORT])
    assert _ids(reader, "báo cáo") == ["in:2"]
    assert reader.count() == 1


def test_a_second_writer_waits_then_reports_the_engine_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tb.TantivyBackend(tmp_path)
    first.ensure_schema()
    second = tb.TantivyBackend(tmp_path)
    monkeypatch.setattr(tb, "LOCK_WAIT_SECONDS", 0.2)
    held = first._generation().index.writer(heap_size=15_000_000, num_threads=1)
    try:
        with pytest.raises(SearchUnavailable):
            second.index([STORM])
    finally:
        held.rollback()
        held.wait_merging_threads()
    assert second.index([STORM]) == 1  # the lock released, the retry (outbox) succeeds
    assert _ids(first, "bão") == ["in:1"]


def test_rebuild_answers_from_the_old_index_until_the_switch(tmp_path: Path) -> None:
    writer = tb.TantivyBackend(tmp_path)
    writer.reset()
    writer.index([STORM, REPORT])
    reader = tb.TantivyBackend(tmp_path)
    seen_during: list[int] = []

    def documents():
        for doc in MEETINGS:
            seen_during.append(reader.search(SearchQuery(per_page=1)).total)
            yield doc

    assert writer.rebuild(documents()) == len(MEETINGS)
    assert seen_during == [2] * len(MEETINGS)  # never empty, never half-built
    assert reader.count() == len(MEETINGS)
    assert _ids(reader, "bão") == []
    assert len(_ids(reader, "hội nghị")) == len(MEETINGS)
    generations = sorted(p.name for p in tmp_path.glob("gen-*"))
    assert len(generations) <= 2  # the previous one kept for a slow reader, older ones gone


def test_an_index_of_another_version_must_be_rebuilt(tmp_path: Path) -> None:
    backend = tb.TantivyBackend(tmp_path)
    backend.ensure_schema()
    backend.index([STORM])
    live = tmp_path / (tmp_path / tb.POINTER).read_text()
    (live / "edoc.json").write_text(json.dumps({"analysis_version": "0", "schema_version": "1"}))
    fresh = tb.TantivyBackend(tmp_path)
    with pytest.raises(SchemaMismatch):
        fresh.ensure_schema()
    with pytest.raises(SchemaMismatch):
        fresh.search(SearchQuery(text="bão"))
    fresh.reset()
    assert fresh.count() == 0


def test_another_process_never_sees_an_empty_index_while_the_index_is_rebuilt(
    tmp_path: Path,
) -> None:
    writer = tb.TantivyBackend(tmp_path / "idx")
    writer.reset()
    writer.index(corpus.ALL)
    before = writer.search(SearchQuery(per_page=1, max_secrecy=3)).total
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import json, pathlib, sys
                sys.path.insert(0, {str(ROOT)!r})
                from search import open_backend
                from search.base import SearchQuery
                backend = open_backend("tantivy://{tmp_path / "idx"}")
                totals = []
                stop = pathlib.Path({str(stop)!r})
                while not stop.exists() or not totals:
                    totals.append(backend.search(SearchQuery(per_page=1, max_secrecy=3)).total)
                totals.append(backend.search(SearchQuery(per_page=1, max_secrecy=3)).total)
                print(json.dumps(totals))
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        extra = [incoming(f"new:{i}", subject=f"Công văn mới số {i}") for i in range(300)]
        for _ in range(3):
            writer.rebuild([*corpus.ALL, *extra])
        stop.touch()
        out, _ = reader.communicate(timeout=120)
    finally:
        stop.touch()
        if reader.poll() is None:
            reader.kill()
    totals = json.loads(out)
    assert min(totals) >= before > 0
    assert totals[-1] == before + len(extra)


def test_suggestions_respect_clearance_after_a_rebuild(tmp_path: Path) -> None:
    backend = tb.TantivyBackend(tmp_path)
    backend.rebuild(corpus.ALL)
    assert [s.id for s in backend.suggest_numbers("12", SECRECY_NONE)] == ["out:7", "in:1"]
