"""Readers that hash what passes through them, so no file is ever read twice or whole."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from storage.errors import IntegrityError

CHUNK = 1024 * 1024


class HashingReader(io.RawIOBase):
    """Wraps a stream; ``sha256`` and ``size`` describe what has been read so far."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self._digest.update(data)
            self.size += len(data)
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


class VerifyingReader(io.RawIOBase):
    """Reads a stored blob and raises :class:`IntegrityError` at EOF if its hash is wrong.

    Callers that must never hand out bad bytes copy the whole stream before using it; the
    error is raised before the final (empty) read returns.
    """

    def __init__(self, stream: BinaryIO, expected_sha256: str, on_close: object = None) -> None:
        self._stream = stream
        self._expected = expected_sha256
        self._digest = hashlib.sha256()
        self._verified = False
        self._on_close = on_close

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        data = self._stream.read(size)
        if data:
            self._digest.update(data)
        elif not self._verified:
            actual = self._digest.hexdigest()
            if actual != self._expected:
                raise IntegrityError(
                    f"blob {self._expected} is corrupt: its content hashes to {actual}"
                )
            self._verified = True
        return data

    def readall(self) -> bytes:
        chunks = []
        while chunk := self.read(CHUNK):
            chunks.append(chunk)
        self.read(CHUNK)  # the empty read that verifies
        return b"".join(chunks)

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._stream.close()
            if callable(self._on_close):
                self._on_close()
        finally:
            super().close()
