"""Copy every blob from one store to another, verified and resumable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from storage.base import BlobStore
from storage.errors import IntegrityError


@dataclass
class CopyResult:
    copied: int = 0
    skipped: int = 0  # already present in the target
    corrupt: list[str] | None = None


def copy_all(
    source: BlobStore, target: BlobStore, progress: Callable[[int, int], None] | None = None
) -> CopyResult:
    """Blobs already in the target are skipped, so an interrupted copy simply runs again.

    Each copy is verified twice: the source reader checks the hash it reads, and the target's
    put must come back with the same address.
    """
    blobs = list(source.iter_blobs())
    result = CopyResult(corrupt=[])
    for index, blob in enumerate(blobs, start=1):
        if target.exists(blob.sha256):
            result.skipped += 1
        else:
            try:
                with source.open(blob.sha256) as stream:
                    info = target.put(stream)
            except IntegrityError:
                result.corrupt.append(blob.sha256)  # type: ignore[union-attr]
            else:
                if info.sha256 != blob.sha256:
                    raise IntegrityError(f"copy of {blob.sha256} arrived as {info.sha256}")
                result.copied += 1
        if progress:
            progress(index, len(blobs))
    return result
