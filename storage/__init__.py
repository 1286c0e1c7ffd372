"""Content-addressed blob storage (local disk or S3). Never imports edoc; see docs/storage.md."""

from storage.base import BlobInfo, BlobStat, BlobStore
from storage.copy import CopyResult, copy_all
from storage.errors import (
    BlobNotFound,
    DeleteNotAllowed,
    IntegrityError,
    InvalidStorageUrl,
    StorageError,
    StorageUnavailable,
)
from storage.url import open_store

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobStat",
    "BlobStore",
    "CopyResult",
    "DeleteNotAllowed",
    "IntegrityError",
    "InvalidStorageUrl",
    "StorageError",
    "StorageUnavailable",
    "copy_all",
    "open_store",
]
