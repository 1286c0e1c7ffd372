"""Two installations as separate processes: each its own agency, people, keys and records, and
each keeps them across a stop and a start."""

from __future__ import annotations

import io
import time

import pytest
import requests
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.fixtures.drafts import draft_pdf
from tests.fixtures.installations import DEPARTMENT, DISTRICT, Installations
from tests.fixtures.remote_documents import issued_documents

ELECTRONIC_LETTER = {
    "sender_org": "UBND huyện Bình An",
    "doc_type": "QĐ",
    "subject": "Về việc thử liên thông",
    "received_via": "electronic",
    "issued_date": "2026-01-10",
}


# SQLite only: PostgreSQL installations are set up, stopped and started again by the exchange
# tests (the hub's outage), and each setup here costs minutes of the suite's budget.
@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_two_installations_are_separate_agencies_and_survive_a_restart(
    installations: Installations,
) -> None:
    began = time.monotonic()
    district = installations.make(DISTRICT)
    print(f"one installation set up and started in {time.monotonic() - began:.1f} s")
    department = installations.make(DEPARTMENT)

    for installation in (district, department):
        health = requests.get(f"{installation.url}/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        me = installation.api("vanthu").get("/api/v1/me").json()
        assert me["username"] == "vanthu"
    assert district.url != department.url
    assert district.data_dir != department.data_dir

    # each installation is its own agency: organ code, name, PKI
    assert district.setting("organ_id") == "000.00.31.H30"
    assert department.setting("organ_id") == "000.00.12.H30"
    assert district.agency_certificate_pem() != department.agency_certificate_pem()
    assert district.ca_certificates() != department.ca_certificates()

    # a document issued on each is issued by that agency, and exists there only
    [issued] = issued_documents(district, [draft_pdf("QUYET DINH")], "Về việc thử liên thông")
    [theirs] = issued_documents(department, [draft_pdf("QUYET DINH")], "Về việc khác")
    clerk = district.api("vanthu")
    document = clerk.get(f"/api/v1/documents/{issued.id}").json()
    assert document["subject"] == "Về việc thử liên thông"
    assert document["sender_org"] == "UBND huyện Bình An"
    assert document["status"] == "issued"
    other = department.api("vanthu").get(f"/api/v1/documents/{theirs.id}").json()
    assert other["sender_org"] == "Sở Tài chính tỉnh Demo"
    assert theirs.id == issued.id and other["subject"] == "Về việc khác"  # separate records
    pdf = clerk.get(f"/api/v1/documents/{issued.id}/file").content
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(signatures) == 2  # the leader's signature and the agency's seal

    # the department validates the district's signatures once it trusts the district's CAs
    def verdict_at_department() -> str:
        receiving = department.api("vanthu")
        answer = receiving.post(
            "/api/v1/incoming",
            data={**ELECTRONIC_LETTER, "number_notation": issued.number_notation},
            files={"file": ("van-ban.pdf", pdf, "application/pdf")},
        )
        assert answer.status_code == 201, answer.text
        received = receiving.get(f"/api/v1/documents/{answer.json()['id']}").json()
        return str(received["signature_verdict"])

    assert verdict_at_department() == "invalid"  # an unknown root
    department.trust(district)
    assert verdict_at_department() == "ok"

    # the district stops and starts again on the same port with everything it had
    district.stop()
    assert not district.running
    try:
        requests.get(f"{district.url}/healthz", timeout=2)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the stopped installation still answers")
    assert department.api("vanthu").get("/api/v1/me").status_code == 200
    district.start()
    again = district.api("vanthu")
    assert again.get(f"/api/v1/documents/{issued.id}").json()["subject"] == document["subject"]
    assert again.get(f"/api/v1/documents/{issued.id}/file").content == pdf
