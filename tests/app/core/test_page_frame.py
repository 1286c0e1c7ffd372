"""The frame every page shares (base.html, _lists.html): the site icon, the menu a phone folds,
and table cells labelled for the phone's stacked cards. The layout itself is checked in chromium
at both widths by tests/browser/test_tour.py."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from edoc.core.lists import label_cells
from tests.fixtures.app import login, signed_in


def test_the_site_icon_is_linked_and_answers_at_favicon_ico(client: FlaskClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"
    assert b"<svg" in icon.data
    page = client.get("/login").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert link is not None
    assert client.get(link.group(1)).data == icon.data


def test_the_menu_and_the_account_sit_behind_one_button(client: FlaskClient, demo: None) -> None:
    login(client, "vanthu")
    page = client.get("/dashboard").get_data(as_text=True)
    button = re.search(r'<button type="button" class="menu-toggle[^>]*>', page)
    assert button is not None
    assert 'aria-controls="site-menu"' in button.group(0)
    assert 'aria-expanded="false"' in button.group(0)
    menu = page[page.index('id="site-menu"') :]
    assert "Văn bản đến" in menu
    assert "Trần Thị Bích Ngọc" in menu
    assert "Đăng xuất" in menu
    assert 'data-testid="header-tools"' in page  # where a notification bell goes


def test_list_cells_carry_their_column_heading(client: FlaskClient, demo: None) -> None:
    login(client, "quantri")  # signing in writes audit events: the audit list has rows
    page = client.get("/admin/audit/").get_data(as_text=True)
    assert 'data-label="Người thực hiện"' in page
    assert 'data-label="Hành động"' in page
    assert page.count('data-label="Thời gian"') >= 1


def test_label_cells_counts_spans_and_keeps_labels_given() -> None:
    rows = (
        '<tr class="x"><td>1</td><td colspan="2">wide</td>'
        '<td data-label="own">4</td><td>5</td></tr>'
        '<tr><th scope="row">a</th><td>b</td></tr>'
    )
    labelled = str(label_cells(rows, ["Số", "Tên", "Ngày", "Ý kiến", 'Nơi "gửi"']))
    assert labelled == (
        '<tr class="x"><td data-label="Số">1</td><td colspan="2">wide</td>'
        '<td data-label="own">4</td><td data-label="Nơi &#34;gửi&#34;">5</td></tr>'
        '<tr><th scope="row" data-label="Số">a</th><td data-label="Tên">b</td></tr>'
    )


def test_only_those_who_may_draft_are_offered_a_new_draft(app: Flask, demo: None) -> None:
    """The tour found the archivist sent to a 403 by the outgoing list's "Soạn dự thảo"."""
    archivist = signed_in(app, "luutru")
    assert "/outgoing/new" not in archivist.get("/outgoing/").get_data(as_text=True)
    assert archivist.get("/outgoing/new").status_code == 403
    specialist = signed_in(app, "chuyenvien")
    assert "/outgoing/new" in specialist.get("/outgoing/").get_data(as_text=True)
