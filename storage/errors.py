"""Storage errors, each with a stable ``code`` an application can map to its own words."""

from __future__ import annotations


class StorageError(Exception):
    code = "storage_error"


class BlobNotFound(StorageError):
    code = "blob_not_found"


class IntegrityError(StorageError):
    """The bytes read back do not hash to the address they were stored under."""

    code = "integrity_error"


class StorageUnavailable(StorageError):
    """The backend cannot be reached or refused the operation; nothing was stored."""

    code = "storage_unavailable"


class DeleteNotAllowed(StorageError):
    code = "delete_not_allowed"


class InvalidStorageUrl(StorageError):
    code = "invalid_storage_url"
