"""The embedded S3 server (SeaweedFS `weed`): signed access with the configured keys only, and
data and endpoint kept across a restart."""

from __future__ import annotations

import io
import os
import secrets
from pathlib import Path

import pytest
from minio import Minio
from minio.error import S3Error

from shared.runtime.embedded import EmbeddedS3


def _client(endpoint: str, access: str, secret: str) -> Minio:
    return Minio(endpoint, access_key=access, secret_key=secret, secure=False, region="us-east-1")


def test_the_runs_s3_stores_objects_for_the_configured_keys_only():
    # The run's values as tests/conftest.py exported them (never a cached, patched Settings).
    endpoint = os.environ["GX_S3_ENDPOINT"]
    access = os.environ.get("GX_S3_ACCESS_KEY", "gxaccess")
    secret = os.environ.get("GX_S3_SECRET_KEY", "gxsecret-change-me")
    client = _client(endpoint, access, secret)
    bucket = f"rt-{secrets.token_hex(4)}"
    client.make_bucket(bucket)
    client.put_object(bucket, "kyc/doc.pdf", io.BytesIO(b"%PDF-1.7"), 8)
    assert client.get_object(bucket, "kyc/doc.pdf").read() == b"%PDF-1.7"
    with pytest.raises(S3Error):
        _client(endpoint, access, "not-the-secret").bucket_exists(bucket)


@pytest.mark.slow
def test_restart_keeps_objects_and_endpoint(tmp_path: Path):
    keys = {"access_key": "rtaccess", "secret_key": secrets.token_hex(12)}
    # A short grace: the SIGKILL path must keep acknowledged objects too.
    first = EmbeddedS3(tmp_path / "s3", bucket="gx-restart-check", stop_grace_s=0.5, **keys)
    endpoint = first.start()
    try:
        client = _client(endpoint, keys["access_key"], keys["secret_key"])
        assert client.bucket_exists("gx-restart-check")  # created by start()
        client.put_object("gx-restart-check", "a", io.BytesIO(b"kept"), 4)
    finally:
        first.stop()
    second = EmbeddedS3(tmp_path / "s3", bucket="gx-restart-check", stop_grace_s=0.5, **keys)
    try:
        assert second.start() == endpoint
        client = _client(endpoint, keys["access_key"], keys["secret_key"])
        assert client.get_object("gx-restart-check", "a").read() == b"kept"
    finally:
        second.stop()
    assert not list(Path("/tmp").glob(f"seaweedfs-*-{endpoint.rsplit(':', 1)[1]}.sock"))
