"""Blobs on a local disk, sharded by hash: ``root/ab/cd/abcd…``."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from storage.base import BlobInfo, BlobStat, BlobStore, check_address
from storage.errors import BlobNotFound, DeleteNotAllowed, StorageUnavailable
from storage.hashing import CHUNK, HashingReader, VerifyingReader

TMP_DIR = ".tmp"


class FileSystemStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.url = f"file://{self.root}"

    def _path(self, sha256: str) -> Path:
        check_address(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _tmp(self) -> Path:
        path = self.root / TMP_DIR
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, stream: BinaryIO) -> BlobInfo:
        try:
            handle, tmp_name = tempfile.mkstemp(dir=self._tmp())
        except OSError as error:
            raise StorageUnavailable(f"cannot write under {self.root}: {error}") from error
        tmp_path = Path(tmp_name)
        try:
            reader = HashingReader(stream)
            with os.fdopen(handle, "wb") as out:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            final = self._path(reader.sha256)
            if final.exists():
                tmp_path.unlink()
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                tmp_path.chmod(0o444)
                os.replace(tmp_path, final)  # atomic: the address is complete or absent
                _fsync_dir(final.parent)
            return BlobInfo(reader.sha256, reader.size)
        except OSError as error:
            tmp_path.unlink(missing_ok=True)
            raise StorageUnavailable(f"cannot write under {self.root}: {error}") from error
        except BaseException:
            tmp_path.unlink(missing_ok=True)
            raise

    def open(self, sha256: str) -> BinaryIO:
        try:
            handle = self._path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha256}") from None
        return VerifyingReader(handle, sha256)  # type: ignore[return-value]

    def stat(self, sha256: str) -> BlobStat:
        try:
            info = self._path(sha256).stat()
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha256}") from None
        return BlobStat(sha256, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def iter_blobs(self) -> Iterator[BlobStat]:
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if first.name == TMP_DIR or not first.is_dir():
                continue
            for path in first.glob("*/*"):
                info = path.stat()
                yield BlobStat(path.name, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def delete(self, sha256: str, *, unreferenced: bool = False) -> None:
        if not unreferenced:
            raise DeleteNotAllowed("blobs are immutable; only the garbage collector deletes")
        path = self._path(sha256)
        with contextlib.suppress(FileNotFoundError):
            path.chmod(0o644)
            path.unlink()

    def check(self) -> None:
        try:
            with tempfile.NamedTemporaryFile(dir=self._tmp()):
                pass
        except OSError as error:
            raise StorageUnavailable(f"cannot write under {self.root}: {error}") from error


def _fsync_dir(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
