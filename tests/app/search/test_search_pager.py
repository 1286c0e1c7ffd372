"""The search page past its first page: every pager and facet link answers, in Vietnamese."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient

from tests.fixtures.app import login
from tests.fixtures.documents import receive_incoming
from tests.fixtures.pdfs import text_pdf

PAGER_LINK = re.compile(r'<a href="([^"]+)" rel="(?:prev|next)">')
FACET_LINK = re.compile(r'<li><a href="([^"]+)" [^>]*data-facet=')
RESULT_ID = re.compile(r'<li data-document-id="(\d+)">')


def test_every_pager_link_of_a_five_page_search_answers(
    client: FlaskClient, clerk: dict[str, str]
) -> None:
    received = {
        receive_incoming(
            client,
            clerk,
            text_pdf(f"Nội dung kế hoạch số {n}"),
            subject=f"Kế hoạch phòng chống thiên tai đợt {n}",
            number_notation=f"{n}/KH-SNN",
        )
        for n in range(1, 10)
    }
    login(client, "vanthu")

    first = "/search/?q=thien+tai&sort=date&per_page=2"
    seen: dict[str, list[str]] = {}
    waiting = [first]
    while waiting:
        url = waiting.pop()
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, (url, page[-2000:])
        assert "Trang " in page and "Tìm thấy 9 văn bản" in page, url
        seen[url] = RESULT_ID.findall(page)
        links = [html.unescape(link) for link in PAGER_LINK.findall(page)]
        assert all("q=thien+tai" in link and "per_page=2" in link for link in links)
        waiting += [link for link in links if link not in seen and link not in waiting]

    assert len(seen) == 6  # the first URL, then pages 2 to 5 and page=1 from the pager
    pages = sorted({tuple(ids) for ids in seen.values()}, key=lambda ids: -int(ids[0]))
    assert [len(ids) for ids in pages] == [2, 2, 2, 2, 1]
    assert {int(i) for ids in pages for i in ids} == received  # no page repeats another
    last = client.get("/search/?q=thien+tai&sort=date&per_page=2&page=5").get_data(as_text=True)
    assert "Trang 5/5" in last and "Trang sau" not in last and "« Trang trước" in last

    # A facet link chosen on page 3 starts again from page 1 and keeps the rest of the search.
    third = client.get("/search/?q=thien+tai&sort=date&per_page=2&page=3").get_data(as_text=True)
    facets = [html.unescape(link) for link in FACET_LINK.findall(third)]
    assert facets
    for link in facets:
        assert "page=1" in link and "q=thien+tai" in link, link
        assert client.get(link).status_code == 200, link
