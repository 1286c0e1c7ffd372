"""Blobs in an S3 bucket (MinIO, SeaweedFS, AWS …) through the ``minio`` client.

A small blob is written once to its address; a large one streams to a temporary key and is
copied server-side, so no partial blob is ever visible under an address. Why: docs/storage.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED, ComposeSource, CopySource
from minio.error import MinioException, S3Error
from minio.versioningconfig import VersioningConfig

from storage.base import BlobInfo, BlobStat, BlobStore, check_address
from storage.errors import BlobNotFound, DeleteNotAllowed, StorageUnavailable
from storage.hashing import HashingReader, VerifyingReader

PART_SIZE = 8 * 1024 * 1024  # with 2 parallel parts, a 1 GB put stays well under 100 MB RSS
PARALLEL_PARTS = 2
MAX_SINGLE_COPY = 5 * 1024**3
NETWORK_ERRORS = (urllib3.exceptions.HTTPError, OSError, MinioException)


def make_http_client(connect_timeout: float = 5, read_timeout: float = 60) -> urllib3.PoolManager:
    """Bounded timeouts and few retries: an outage is reported in seconds, not minutes."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[502, 503, 504]),
        maxsize=16,
    )


def _read_up_to(stream: BinaryIO, limit: int) -> bytes:
    chunks, size = [], 0
    while size < limit and (chunk := stream.read(limit - size)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class _Prefixed(io.RawIOBase):
    """The bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class S3Store(BlobStore):
    def __init__(
        self,
        client: Minio,
        bucket: str,
        prefix: str = "",
        *,
        object_lock: bool = False,
        url: str = "",
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.object_lock = object_lock
        self.url = url or f"s3://{bucket}/{self.prefix}"
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def _key(self, sha256: str) -> str:
        check_address(sha256)
        return f"{self.prefix}blobs/{sha256[:2]}/{sha256}"

    def ensure_bucket(self) -> None:
        """Create the bucket if missing, with versioning (and object lock when asked)."""
        with self._bucket_lock:
            if self._bucket_ready:
                return
            try:
                if not self.client.bucket_exists(self.bucket):
                    self._make_bucket()
                self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
            except NETWORK_ERRORS as error:
                raise StorageUnavailable(f"S3 bucket {self.bucket} not usable: {error}") from error
            self._bucket_ready = True

    def _make_bucket(self) -> None:
        try:
            self.client.make_bucket(self.bucket, object_lock=self.object_lock)
        except S3Error as error:
            if error.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    def put(self, stream: BinaryIO) -> BlobInfo:
        self.ensure_bucket()
        head = _read_up_to(stream, PART_SIZE + 1)
        if len(head) <= PART_SIZE:
            return self._put_small(head)
        reader = HashingReader(_Prefixed(head, stream))
        tmp_key = f"{self.prefix}tmp/{uuid.uuid4().hex}"
        tmp_version: str | None = None
        try:
            result = self.client.put_object(
                self.bucket,
                tmp_key,
                reader,
                length=-1,
                part_size=PART_SIZE,
                num_parallel_uploads=PARALLEL_PARTS,
            )
            tmp_version = result.version_id
            key = self._key(reader.sha256)
            if not self._exists(key):
                if reader.size <= MAX_SINGLE_COPY:
                    self.client.copy_object(
                        self.bucket, key, CopySource(self.bucket, tmp_key, version_id=tmp_version)
                    )
                else:
                    self.client.compose_object(
                        self.bucket,
                        key,
                        [ComposeSource(self.bucket, tmp_key, version_id=tmp_version)],
                    )
        except NETWORK_ERRORS as error:
            raise StorageUnavailable(f"S3 upload failed: {error}") from error
        finally:
            self._remove_quietly(tmp_key, tmp_version)
        return BlobInfo(reader.sha256, reader.size)

    def _put_small(self, data: bytes) -> BlobInfo:
        sha256 = hashlib.sha256(data).hexdigest()
        key = self._key(sha256)
        try:
            if not self._exists(key):
                self.client.put_object(self.bucket, key, io.BytesIO(data), len(data))
        except NETWORK_ERRORS as error:
            raise StorageUnavailable(f"S3 upload failed: {error}") from error
        return BlobInfo(sha256, len(data))

    def _remove_quietly(self, key: str, version_id: str | None) -> None:
        # A leftover temporary object is never addressed; ``edoc gc`` walks blobs/ only, so it
        # stays until removed by hand (docs/storage.md).
        with contextlib.suppress(*NETWORK_ERRORS):
            self.client.remove_object(self.bucket, key, version_id=version_id)

    def _exists(self, key: str) -> bool:
        try:
            self.client.stat_object(self.bucket, key)
        except S3Error as error:
            if error.code in {"NoSuchKey", "NoSuchObject", "ResourceNotFound"}:
                return False
            raise
        return True

    def open(self, sha256: str) -> BinaryIO:
        key = self._key(sha256)
        try:
            response = self.client.get_object(self.bucket, key)
        except S3Error as error:
            if error.code in {"NoSuchKey", "NoSuchObject", "NoSuchBucket"}:
                raise BlobNotFound(f"no blob {sha256}") from None
            raise StorageUnavailable(f"S3 read failed: {error}") from error
        except NETWORK_ERRORS as error:
            raise StorageUnavailable(f"S3 read failed: {error}") from error
        return VerifyingReader(response, sha256, on_close=response.release_conn)  # type: ignore[arg-type,return-value]

    def stat(self, sha256: str) -> BlobStat:
        try:
            info = self.client.stat_object(self.bucket, self._key(sha256))
        except S3Error as error:
            if error.code in {"NoSuchKey", "NoSuchObject", "NoSuchBucket", "ResourceNotFound"}:
                raise BlobNotFound(f"no blob {sha256}") from None
            raise StorageUnavailable(f"S3 stat failed: {error}") from error
        except NETWORK_ERRORS as error:
            raise StorageUnavailable(f"S3 stat failed: {error}") from error
        return BlobStat(sha256, info.size or 0, info.last_modified or datetime.now(UTC))

    def iter_blobs(self) -> Iterator[BlobStat]:
        try:
            for item in self.client.list_objects(
                self.bucket, prefix=f"{self.prefix}blobs/", recursive=True
            ):
                name = item.object_name.rsplit("/", 1)[-1]
                yield BlobStat(name, item.size or 0, item.last_modified or datetime.now(UTC))
        except NETWORK_ERRORS as error:
            raise StorageUnavailable(f"S3 listing failed: {error}") from error

    def delete(self, sha256: str, *, unreferenced: bool = False) -> None:
        if not unreferenced:
            raise DeleteNotAllowed("blobs are immutable; only the garbage collector deletes")
        try:
            self.client.remove_object(self.bucket, self._key(sha256))
        except NETWORK_ERRORS as error:
            raise StorageUnavailable(f"S3 delete failed: {error}") from error

    def check(self) -> None:
        self.ensure_bucket()
        try:
            self.client.bucket_exists(self.bucket)
        except NETWORK_ERRORS as error:
            raise StorageUnavailable(f"S3 not reachable: {error}") from error
