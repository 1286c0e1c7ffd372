"""``edoc import-legacy --edxml DIR``: packages another system exported, received through the
exchange area's own import; a second run finds them already received; a bad one is named."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from edoc.core.extensions import db
from edoc.incoming.models import IncomingDocument
from tests.fixtures.documents import issued_document
from tests.fixtures.exchange import Installation
from tests.fixtures.pki import Tokens


def test_a_folder_of_edxml_packages_comes_in_once(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    stc.stop()  # not connected: the packages come by file
    document_id, _clerk = issued_document(tinh.client, softhsm_tokens)
    folder = tmp_path / "goi-cu"
    folder.mkdir()
    exported = tinh.cli(
        "exchange", "export", str(document_id), "--to", stc.organ_id, "-o", str(folder / "a.edxml")
    )
    assert exported.exit_code == 0, exported.output
    (folder / "hong.edxml").write_bytes(b"<not-a-package/>")
    first = stc.cli("import-legacy", "--edxml", str(folder))
    assert first.exit_code == 0, first.output
    assert "Gói edXML nhận mới: 1" in first.output
    assert "hong.edxml:" in first.output
    with stc.app.app_context():
        [received] = db.session.scalars(select(IncomingDocument)).all()
        assert received.document.number_notation == "01/QĐ-UBND"
    again = stc.cli("import-legacy", "--edxml", str(folder))
    assert "Gói edXML nhận mới: 0" in again.output and "Đã nhận từ trước: 1" in again.output
    with stc.app.app_context():
        assert len(db.session.scalars(select(IncomingDocument)).all()) == 1
