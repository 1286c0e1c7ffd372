"""One contract for every blob store backend: the local disk and a real S3 server."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from pathlib import Path

import pytest

from storage import (
    BlobNotFound,
    BlobStore,
    DeleteNotAllowed,
    IntegrityError,
    copy_all,
    open_store,
)
from storage.filesystem import FileSystemStore
from storage.s3 import S3Store
from tests.fixtures.streams import PatternStream


def _corrupt(store: BlobStore, sha256: str) -> None:
    """Flip one byte of the stored blob behind the store's back."""
    if isinstance(store, FileSystemStore):
        path = store._path(sha256)
        path.chmod(0o644)
        data = bytearray(path.read_bytes())
        data[0] ^= 0xFF
        path.write_bytes(bytes(data))
    else:
        assert isinstance(store, S3Store)
        key = store._key(sha256)
        data = bytearray(store.client.get_object(store.bucket, key).read())
        data[0] ^= 0xFF
        store.client.put_object(store.bucket, key, io.BytesIO(bytes(data)), len(data))


def test_round_trip(store: BlobStore) -> None:
    content = "Quyết định số 125/QĐ-UBND".encode() * 100
    info = store.put(io.BytesIO(content))
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    assert info.size == len(content)
    with store.open(info.sha256) as stream:
        assert stream.read() == content
    assert store.stat(info.sha256).size == len(content)
    assert store.exists(info.sha256)


def test_identical_content_is_stored_once(store: BlobStore) -> None:
    first = store.put(io.BytesIO(b"same bytes"))
    second = store.put(io.BytesIO(b"same bytes"))
    assert first == second
    assert [b.sha256 for b in store.iter_blobs()] == [first.sha256]


def test_empty_blob(store: BlobStore) -> None:
    info = store.put(io.BytesIO(b""))
    assert info.size == 0
    with store.open(info.sha256) as stream:
        assert stream.read() == b""


def test_large_blob_streams(store: BlobStore) -> None:
    size = 40 * 1024 * 1024 + 123
    source = PatternStream(size)
    info = store.put(source)  # type: ignore[arg-type]
    expected = hashlib.sha256()
    check = PatternStream(size)
    while chunk := check.read(1024 * 1024):
        expected.update(chunk)
    assert info == type(info)(expected.hexdigest(), size)
    read_back = hashlib.sha256()
    with store.open(info.sha256) as stream:
        while chunk := stream.read(1024 * 1024):
            read_back.update(chunk)
    assert read_back.hexdigest() == info.sha256


def test_missing_blob(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        store.open("0" * 64)
    with pytest.raises(BlobNotFound):
        store.stat("0" * 64)
    assert not store.exists("0" * 64)
    with pytest.raises(BlobNotFound):
        store.open("../../etc/passwd")


def test_corruption_is_detected_on_read(store: BlobStore) -> None:
    info = store.put(io.BytesIO(b"Cong van so 15/STC-NS" * 50))
    _corrupt(store, info.sha256)
    with pytest.raises(IntegrityError, match=info.sha256), store.open(info.sha256) as stream:
        stream.read()
    with pytest.raises(IntegrityError):
        store.verify(info.sha256)


def test_delete_is_guarded(store: BlobStore) -> None:
    info = store.put(io.BytesIO(b"to be collected"))
    with pytest.raises(DeleteNotAllowed):
        store.delete(info.sha256)
    assert store.exists(info.sha256)
    store.delete(info.sha256, unreferenced=True)
    assert not store.exists(info.sha256)


def test_concurrent_puts_of_the_same_content(store: BlobStore) -> None:
    content = os.urandom(256 * 1024)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(store.put(io.BytesIO(content))))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    with store.open(results[0].sha256) as stream:
        assert stream.read() == content


def test_failed_upload_leaves_nothing(store: BlobStore) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            raise OSError("client went away")

    with pytest.raises(Exception, match="client went away"):
        store.put(Broken())  # type: ignore[arg-type]
    assert list(store.iter_blobs()) == []


def test_copy_all_between_backends_resumes(store: BlobStore, tmp_path: Path) -> None:
    blobs = [store.put(io.BytesIO(f"văn bản {i}".encode())) for i in range(5)]
    target = open_store(f"file://{tmp_path / 'copy'}")
    target.put(io.BytesIO("văn bản 0".encode()))  # as if a first run was interrupted
    seen: list[tuple[int, int]] = []
    result = copy_all(store, target, progress=lambda done, total: seen.append((done, total)))
    assert (result.copied, result.skipped, result.corrupt) == (4, 1, [])
    assert seen[-1] == (5, 5)
    assert {b.sha256 for b in target.iter_blobs()} == {b.sha256 for b in blobs}
    again = copy_all(store, target)
    assert (again.copied, again.skipped) == (0, 5)


def test_copy_reports_corrupt_source(store: BlobStore, tmp_path: Path) -> None:
    good = store.put(io.BytesIO(b"good"))
    bad = store.put(io.BytesIO(b"bad one"))
    _corrupt(store, bad.sha256)
    target = open_store(f"file://{tmp_path / 'copy'}")
    result = copy_all(store, target)
    assert result.corrupt == [bad.sha256]
    assert [b.sha256 for b in target.iter_blobs()] == [good.sha256]
