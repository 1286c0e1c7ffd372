"""The upload check tells a busy machine from a hostile file.

Its child is bounded in processor time (a hostile file is refused, 422, whatever the load) and
only as a last resort in elapsed time: running out of that means the machine is busy, so the
answer is 503 "try again" and nothing is registered or numbered.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edoc.documents import files
from tests.fixtures.documents import count_documents, post_incoming
from tests.fixtures.selfsigned import blank_pdf
from tests.fixtures.threads import in_parallel


def test_a_check_that_outlasts_the_elapsed_time_limit_answers_503_and_numbers_nothing(
    app: Flask, client: FlaskClient, clerk: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "CHECK_TIMEOUT_SECONDS", 0.001)  # as if the machine were swamped
    busy = post_incoming(client, clerk, blank_pdf("Cong van 1/UBND"))
    assert busy.status_code == 503
    error = busy.get_json()["error"]
    assert error["code"] == "server_busy"
    assert "Máy chủ bận" in error["message"]
    assert count_documents(app) == 0
    monkeypatch.undo()
    again = post_incoming(client, clerk, blank_pdf("Cong van 1/UBND"))
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["arrival_number"] == 1  # the refused attempt consumed no number


def test_uploads_checked_at_once_are_all_registered_with_distinct_numbers(
    client: FlaskClient, clerk: dict[str, str]
) -> None:
    answers: list[tuple[int, int | None]] = []

    def register(index: int) -> None:
        response = post_incoming(client, clerk, blank_pdf(f"Cong van {index}/UBND"))
        answers.append((response.status_code, (response.get_json() or {}).get("arrival_number")))

    assert in_parallel(register, [(index,) for index in range(6)]) == []
    assert sorted(answers) == [(201, number) for number in range(1, 7)]
