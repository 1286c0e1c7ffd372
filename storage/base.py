"""The blob store interface: immutable files addressed by the SHA-256 of their content."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from storage.errors import BlobNotFound

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class BlobInfo:
    """What ``put`` stored: the blob's address and its size in bytes."""

    sha256: str
    size: int


@dataclass(frozen=True)
class BlobStat(BlobInfo):
    """A stored blob as the store lists it: also when it was written (for the gc's grace)."""

    modified: datetime


def check_address(sha256: str) -> str:
    """Refuse anything that is not a hex SHA-256, so an address can never be a path trick."""
    if not SHA256_RE.match(sha256):
        raise BlobNotFound(f"not a blob address: {sha256!r}")
    return sha256


class BlobStore(ABC):
    """Store once, read many times, delete only from the garbage collector."""

    url: str

    @abstractmethod
    def put(self, stream: BinaryIO) -> BlobInfo:
        """Store a stream, hashing it as it is read; identical content is stored once.

        Either the blob is complete under its address when this returns, or nothing new is
        visible under any address.
        """

    @abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """A stream of the blob that raises ``IntegrityError`` at its end if it is corrupt."""

    @abstractmethod
    def stat(self, sha256: str) -> BlobStat: ...

    def exists(self, sha256: str) -> bool:
        try:
            self.stat(sha256)
        except BlobNotFound:
            return False
        return True

    @abstractmethod
    def iter_blobs(self) -> Iterator[BlobStat]:
        """Every stored blob (for fsck and copying), in no particular order."""

    @abstractmethod
    def delete(self, sha256: str, *, unreferenced: bool = False) -> None:
        """Remove a blob. Only a garbage collector that has checked no record refers to it may
        call this, and it says so with ``unreferenced=True``; anything else is refused."""

    @abstractmethod
    def check(self) -> None:
        """Raise ``StorageUnavailable`` when the backend cannot store right now."""

    def verify(self, sha256: str) -> None:
        """Read the whole blob through the verifying reader (raises on corruption)."""
        with self.open(sha256) as stream:
            while stream.read(1024 * 1024):
                pass
