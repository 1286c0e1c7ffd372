"""A package brought by hand from an agency whose certificate is not pinned here is taken (its
seal verifies against a trusted CA), but the clerk's queue and the document's page say its
sender is not authenticated, unlike a package sealed with a pinned certificate."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from edoc.core.extensions import db
from edoc.exchange.models import ExchangeMessage
from tests.fixtures.app import signed_in
from tests.fixtures.exchange import Installation, change_peer, exported, upload
from tests.fixtures.pki import Tokens

WARNING = "Người gửi chưa được xác thực (nhập tay, chứng thư chưa ghim)"


def pin(installation: Installation, organ_code: str, *, active: bool) -> None:
    """Pin (or unpin) the certificate of ``organ_code`` at ``installation``."""
    change_peer(installation, organ_code, active=active)


def list_row(html: str, document_id: int) -> str:
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html, re.S)
    found = [row for row in rows if f"/incoming/{document_id}" in row]
    assert len(found) == 1, html
    return found[0]


def test_a_package_by_hand_from_an_unpinned_sender_is_flagged_for_the_clerk(
    pair: dict[str, Installation], softhsm_tokens: Tokens, tmp_path: Path
) -> None:
    tinh, stc = pair["tinh"], pair["stc"]
    stc.stop()  # not connected: packages go by file
    first = exported(tinh, stc, softhsm_tokens, tmp_path / "1.edxml")
    second = exported(tinh, stc, softhsm_tokens, tmp_path / "2.edxml")

    # the province's certificate is not pinned at the department: imported from the page
    pin(stc, tinh.organ_id, active=False)
    clerk = signed_in(stc.app, "vanthu")
    assert upload(clerk, first).status_code == 302
    # pinned again: the second package, by ``edoc exchange import``, is an authenticated one
    pin(stc, tinh.organ_id, active=True)
    done = stc.cli("exchange", "import", str(tmp_path / "2.edxml"))
    assert done.exit_code == 0, done.output
    assert second

    with stc.app.app_context():
        rows = db.session.scalars(
            select(ExchangeMessage)
            .where(ExchangeMessage.direction == "in")
            .order_by(ExchangeMessage.id)
        ).all()
        assert [row.state for row in rows] == ["processed", "processed"]
        assert rows[0].verification["sender_unpinned"] is True
        assert "sender_unpinned" not in rows[1].verification
        unpinned_id, pinned_id = rows[0].document_id, rows[1].document_id

    listing = clerk.get("/incoming/").get_data(as_text=True)
    flagged = list_row(listing, unpinned_id)
    assert 'data-testid="exchange-badge"' in flagged
    assert 'data-testid="exchange-unpinned"' in flagged and WARNING in flagged
    verified = list_row(listing, pinned_id)
    assert 'data-testid="exchange-badge"' in verified
    assert 'data-testid="exchange-unpinned"' not in verified

    page = clerk.get(f"/incoming/{unpinned_id}").get_data(as_text=True)
    assert 'data-testid="origin-unpinned"' in page and WARNING in page
    assert 'data-testid="envelope-unpinned"' in page
    assert 'data-testid="envelope-ok"' not in page
    page = clerk.get(f"/incoming/{pinned_id}").get_data(as_text=True)
    assert 'data-testid="envelope-ok"' in page
    assert 'data-testid="origin-unpinned"' not in page and WARNING not in page
