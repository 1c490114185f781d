"""Object storage (S3 through the minio client): KYC documents, and the audit chain's anchors
(a bucket of their own, `GX_AUDIT_ANCHOR_BUCKET`).

A real S3 server in every run: MinIO or any S3 in production, the embedded SeaweedFS S3 in
`make run` and the tests. The bucket is created on first use. Objects are addressed by opaque keys
that never contain user input; reads go through short-lived presigned URLs.
"""

from __future__ import annotations

import functools
import io
import os
import threading
from datetime import timedelta

from minio import Minio
from minio.error import S3Error
from urllib3.exceptions import HTTPError

from shared.config import get_settings
from shared.errors import Unavailable

_lock = threading.Lock()
_clients: dict[int, Minio] = {}


class StorageUnavailable(Unavailable):
    code = "STORAGE_UNAVAILABLE"


def _client() -> Minio:
    pid = os.getpid()
    client = _clients.get(pid)
    if client is None:
        with _lock:
            client = _clients.get(pid)
            if client is None:
                s = get_settings()
                client = Minio(
                    s.require("s3_endpoint"),
                    access_key=s.require("s3_access_key"),
                    secret_key=s.require("s3_secret_key"),
                    secure=s.s3_secure,
                    region=s.s3_region,
                )
                _clients[pid] = client
    return client


@functools.cache
def _ensure_bucket(bucket: str, pid: int) -> None:
    client = _client()
    if not client.bucket_exists(bucket):
        try:
            client.make_bucket(bucket)
        except S3Error as exc:  # another process created it first
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise


def put(key: str, data: bytes, content_type: str, *, bucket: str | None = None) -> None:
    bucket = bucket or get_settings().s3_bucket
    try:
        _ensure_bucket(bucket, os.getpid())
        _client().put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type)
    except (S3Error, HTTPError, OSError) as exc:
        raise StorageUnavailable("document storage unavailable, try again later") from exc


def get(key: str) -> bytes:
    bucket = get_settings().s3_bucket
    try:
        response = _client().get_object(bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()
    except (S3Error, HTTPError, OSError) as exc:
        raise StorageUnavailable("document storage unavailable, try again later") from exc


def exists(key: str, *, bucket: str) -> bool:
    try:
        _client().stat_object(bucket, key)
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchBucket", "NoSuchObject", "ResourceNotFound"):
            return False
        raise StorageUnavailable("object storage unavailable, try again later") from exc
    except (HTTPError, OSError) as exc:
        raise StorageUnavailable("object storage unavailable, try again later") from exc
    return True


def list_keys(prefix: str, *, bucket: str) -> list[str]:
    """Every key under `prefix`, in key order (none when the bucket does not exist yet)."""
    try:
        return [o.object_name for o in _client().list_objects(bucket, prefix=prefix,
                                                              recursive=True) if o.object_name]
    except S3Error as exc:
        if exc.code == "NoSuchBucket":
            return []
        raise StorageUnavailable("object storage unavailable, try again later") from exc
    except (HTTPError, OSError) as exc:
        raise StorageUnavailable("object storage unavailable, try again later") from exc


def presigned_url(key: str, *, ttl_s: int = 300) -> str:
    """A URL that lets its holder GET the object for `ttl_s` seconds."""
    bucket = get_settings().s3_bucket
    try:
        return _client().presigned_get_object(bucket, key, expires=timedelta(seconds=ttl_s))
    except (S3Error, HTTPError, OSError) as exc:
        raise StorageUnavailable("document storage unavailable, try again later") from exc


def reset_storage() -> None:
    with _lock:
        _clients.clear()
    _ensure_bucket.cache_clear()
