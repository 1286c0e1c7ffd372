"""``open_store(url)``: ``file:///abs/path`` or ``s3://bucket[/prefix]?endpoint=host:port…``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

from minio import Minio

from storage.base import BlobStore
from storage.errors import InvalidStorageUrl
from storage.filesystem import FileSystemStore
from storage.s3 import S3Store, make_http_client

TRUE = {"1", "true", "yes", "on"}


def open_store(url: str, *, access_key: str = "", secret_key: str = "") -> BlobStore:
    """Open a store; S3 credentials come from the URL's query or the keyword arguments."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if not parsed.path:
            raise InvalidStorageUrl(f"file URL needs a path: {url!r}")
        return FileSystemStore(Path(parsed.path))
    if parsed.scheme == "s3":
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        endpoint = query.get("endpoint")
        if not parsed.netloc or not endpoint:
            raise InvalidStorageUrl(f"s3 URL needs a bucket and ?endpoint=host:port: {url!r}")
        client = Minio(
            endpoint,
            access_key=query.get("access_key", access_key) or "edoc",
            secret_key=query.get("secret_key", secret_key) or "edoc",
            secure=query.get("secure", "true").lower() in TRUE,
            region=query.get("region") or None,
            http_client=make_http_client(),
        )
        return S3Store(
            client,
            parsed.netloc,
            parsed.path,
            object_lock=query.get("object_lock", "false").lower() in TRUE,
            url=url.split("?", 1)[0],
        )
    raise InvalidStorageUrl(f"unknown storage URL scheme: {url!r}")
