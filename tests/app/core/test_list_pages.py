"""List pages forgive a page number out of range (the nearest page is shown) but say so when a
filter date is not a date, instead of quietly listing everything."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures.app import bearer, signed_in
from tests.fixtures.documents import INCOMING_FIELDS
from tests.fixtures.selfsigned import blank_pdf


def _two_letters(client: FlaskClient) -> None:
    headers = bearer(client, "vanthu")
    for number in ("15/STC-NS", "16/STC-NS"):
        response = client.post(
            "/api/v1/incoming",
            data={
                **INCOMING_FIELDS,
                "number_notation": number,
                "file": (io.BytesIO(blank_pdf(number)), "vb.pdf"),
            },
            headers=headers,
            content_type="multipart/form-data",
        )
        assert response.status_code == 201, response.get_json()


def _shown_page(client: FlaskClient, query: str) -> str:
    response = client.get(f"/incoming/?per_page=1&{query}")
    assert response.status_code == 200, query
    found = re.search(r"Trang (\d+)/(\d+)", response.get_data(as_text=True))
    assert found, query
    return found.group(0)


def test_page_numbers_out_of_range_clamp(app: Flask, client: FlaskClient, demo: None) -> None:
    _two_letters(client)
    clerk = signed_in(app, "vanthu")
    assert _shown_page(clerk, "page=999") == "Trang 2/2"
    assert "16/STC-NS" not in clerk.get("/incoming/?per_page=1&page=999").get_data(as_text=True)
    for first in ("page=0", "page=-1", "page=abc", "page="):
        assert _shown_page(clerk, first) == "Trang 1/2"
    # the API, read by programs, still refuses a page that is not one
    assert (
        client.get("/api/v1/incoming?page=0", headers=bearer(client, "vanthu")).status_code == 422
    )
    admin = signed_in(app, "quantri")
    assert admin.get("/admin/audit/?page=abc").status_code == 200
    assert admin.get("/admin/audit/?page=99999").status_code == 200
    assert clerk.get("/search/?q=STC&page=0").status_code == 200


def test_bad_filter_dates_are_said(app: Flask, client: FlaskClient, demo: None) -> None:
    _two_letters(client)
    clerk = signed_in(app, "vanthu")
    listed = clerk.get("/incoming/?from=31/02/2026")
    assert listed.status_code == 422
    assert "Ngày không hợp lệ" in listed.get_data(as_text=True)
    assert "15/STC-NS" not in listed.get_data(as_text=True)  # not the whole list as if unset
    admin = signed_in(app, "quantri")
    audit = admin.get("/admin/audit/?to=hôm-qua")
    assert audit.status_code == 422
    assert "Ngày không hợp lệ" in audit.get_data(as_text=True)
    assert clerk.get("/outgoing/register?from=x&to=y&format=pdf").status_code == 422
    search = clerk.get("/search/?q=STC&from=32/13/2026")
    assert search.status_code == 422
    api = client.get("/api/v1/incoming?from=31/02/2026", headers=bearer(client, "vanthu"))
    assert api.status_code == 422
    assert api.get_json()["error"]["message"]
