"""The session's servers are real and isolated: a fresh database, a fresh bucket."""

from __future__ import annotations

import io

import psycopg
import pytest
from minio import Minio

from tests.support.servers import S3Endpoint

pytestmark = pytest.mark.integration


def test_the_database_is_fresh_and_writable(database_url: str) -> None:
    plain = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        tables = conn.execute(
            "select count(*) from information_schema.tables where table_schema = current_schema()"
        ).fetchone()
        conn.execute("create temporary table probe (x int)")
    assert tables == (0,)


def test_the_s3_server_stores_and_serves_objects(s3: S3Endpoint) -> None:
    client = Minio(s3.endpoint, s3.access_key, s3.secret_key, secure=s3.secure)
    if not client.bucket_exists(s3.bucket):
        client.make_bucket(s3.bucket)
    client.put_object(s3.bucket, "probe.txt", io.BytesIO(b"hello"), 5)
    assert client.get_object(s3.bucket, "probe.txt").read() == b"hello"
