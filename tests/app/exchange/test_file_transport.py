"""The file transport (a shared folder, a USB stick): one ``<message id>.edxml`` per package,
whole or not at all, never outside its directory, the same message sent again still one file,
and a failure said in words an operator can act on (retryable: nothing is lost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from edoc.exchange.transport import DeliveryFailed, FileTransport, Route

ROUTE = Route("000.00.12.H30", "", "peer", transport="file")
MESSAGE_ID = "5b0f6f0e-0000-4000-8000-0000000000f1"


def listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_each_package_is_one_whole_file_named_by_its_message_id(tmp_path: Path) -> None:
    outbox = tmp_path / "chia-se" / "edxml"  # made when missing
    transport = FileTransport(outbox)
    transport.deliver(ROUTE, b"<edXMLEnvelope>one</edXMLEnvelope>", MESSAGE_ID)
    other = "5b0f6f0e-0000-4000-8000-0000000000f2"
    transport.deliver(ROUTE, b"<edXMLEnvelope>two</edXMLEnvelope>", other)
    # no draft left behind: a reader of the folder sees finished packages only
    assert listing(outbox) == [f"{MESSAGE_ID}.edxml", f"{other}.edxml"]
    assert (outbox / f"{MESSAGE_ID}.edxml").read_bytes() == b"<edXMLEnvelope>one</edXMLEnvelope>"


def test_the_same_message_sent_again_is_still_one_file(tmp_path: Path) -> None:
    """A retry after an answer lost resends the same bytes under the same id."""
    transport = FileTransport(tmp_path)
    package = b"<edXMLEnvelope>same</edXMLEnvelope>"
    transport.deliver(ROUTE, package, MESSAGE_ID)
    transport.deliver(ROUTE, package, MESSAGE_ID)
    assert listing(tmp_path) == [f"{MESSAGE_ID}.edxml"]
    assert (tmp_path / f"{MESSAGE_ID}.edxml").read_bytes() == package


@pytest.mark.parametrize(
    "message_id",
    ["../escaped", "a/b", "..", ".hidden", "", "x" * 65, "ten\x00nul", "tên-có-dấu", "a\\b"],
)
def test_a_message_id_that_is_no_plain_name_is_refused_and_nothing_written(
    tmp_path: Path, message_id: str
) -> None:
    outbox = tmp_path / "outbox"
    with pytest.raises(DeliveryFailed) as refused:
        FileTransport(outbox).deliver(ROUTE, b"<x/>", message_id)
    assert not refused.value.retryable  # the same id would be refused again
    assert "unsafe message id" in refused.value.reason
    assert list(tmp_path.rglob("*")) == []  # not even the directory


def test_a_link_planted_in_the_folder_does_not_carry_the_write_outside_it(
    tmp_path: Path,
) -> None:
    """Others can write in a shared folder: a link under the draft's name must not send the
    package (or a truncation) to the file it points to."""
    outbox, elsewhere = tmp_path / "outbox", tmp_path / "elsewhere.txt"
    outbox.mkdir()
    elsewhere.write_bytes(b"not yours")
    (outbox / f".{MESSAGE_ID}.edxml.partial").symlink_to(elsewhere)
    FileTransport(outbox).deliver(ROUTE, b"<edXMLEnvelope/>", MESSAGE_ID)
    assert elsewhere.read_bytes() == b"not yours"
    assert listing(outbox) == [f"{MESSAGE_ID}.edxml"]
    assert (outbox / f"{MESSAGE_ID}.edxml").read_bytes() == b"<edXMLEnvelope/>"


def test_a_failed_write_leaves_the_earlier_file_whole_and_says_why(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path)
    transport.deliver(ROUTE, b"<edXMLEnvelope>first</edXMLEnvelope>", MESSAGE_ID)
    (tmp_path / f".{MESSAGE_ID}.edxml.partial").mkdir()  # the draft cannot be written
    with pytest.raises(DeliveryFailed) as failed:
        transport.deliver(ROUTE, b"<edXMLEnvelope>second</edXMLEnvelope>", MESSAGE_ID)
    assert failed.value.retryable  # a folder problem: tried again after back-off
    assert str(tmp_path) in failed.value.reason and "directory" in failed.value.reason
    written = (tmp_path / f"{MESSAGE_ID}.edxml").read_bytes()
    assert written == b"<edXMLEnvelope>first</edXMLEnvelope>"


def test_a_folder_that_cannot_be_made_is_a_retryable_failure_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    with pytest.raises(DeliveryFailed) as failed:
        FileTransport(blocker / "edxml").deliver(ROUTE, b"<x/>", MESSAGE_ID)
    assert failed.value.retryable
    assert failed.value.reason == f"{blocker / 'edxml'}: Not a directory"
