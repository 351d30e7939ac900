"""Real servers for the tests: NATS (our pinned binary), PostgreSQL and an S3-protocol server.

Each is started (or a fresh database / schema / bucket is made) once per test session and
removed afterwards, so a run starts clean and leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from vp_devtools import devnats


@contextlib.contextmanager
def nats_server(tmp: Path) -> Iterator[devnats.NatsServerProcess]:
    server = devnats.start(tmp / "nats")
    try:
        yield server
    finally:
        server.stop()


def docker_engine_answers() -> bool:
    """Whether a Docker engine answers (never construct a testcontainer otherwise)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return False
    path = host.removeprefix("unix://")
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(1)
            sock.connect(path)
            sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b"200 OK" in sock.recv(256)
    except OSError:
        return False


LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A SQLAlchemy URL (psycopg 3) of an empty database or schema, removed afterwards.

    ``VP_DATABASE_URL`` set: a fresh schema in that database. Else a Docker engine: a
    PostgreSQL testcontainer. Else the local server: a fresh database.
    """
    name = f"vp_test_{uuid.uuid4().hex[:12]}"
    given = os.environ.get("VP_DATABASE_URL")
    if given:
        yield from _fresh_schema(given, name)
    elif docker_engine_answers():
        from testcontainers.postgres import PostgresContainer  # only with an engine

        with PostgresContainer("postgres:16-alpine", driver="psycopg") as container:
            yield container.get_connection_url()
    else:
        yield from _fresh_database(LOCAL_POSTGRES, name)


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _fresh_database(admin_url: str, name: str) -> Iterator[str]:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}", scheme="postgresql+psycopg"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_schema(url: str, name: str) -> Iterator[str]:
    base = url.split("?options=", 1)[0]
    with psycopg.connect(_plain(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    separator = "&" if "?" in base else "?"
    scoped = base.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{scoped}{separator}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(_plain(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@dataclass(frozen=True)
class S3Endpoint:
    endpoint: str
    access_key: str
    secret_key: str
    bucket: str
    secure: bool = False


@contextlib.contextmanager
def s3_endpoint() -> Iterator[S3Endpoint]:
    """A bucket on a real S3-protocol server, removed afterwards.

    ``VP_S3_ENDPOINT`` (with ``VP_S3_ACCESS_KEY`` / ``VP_S3_SECRET_KEY``) points the tests at
    a real MinIO; otherwise moto's threaded server runs in this process on a free port.
    """
    bucket = f"vp-test-{uuid.uuid4().hex[:12]}"
    given = os.environ.get("VP_S3_ENDPOINT")
    if given:
        parts = urlsplit(given if "://" in given else f"http://{given}")
        endpoint = S3Endpoint(
            endpoint=parts.netloc,
            access_key=os.environ.get("VP_S3_ACCESS_KEY", "minioadmin"),
            secret_key=os.environ.get("VP_S3_SECRET_KEY", "minioadmin"),
            bucket=bucket,
            secure=parts.scheme == "https",
        )
        try:
            yield endpoint
        finally:
            _remove_bucket(endpoint)
        return
    from moto.server import ThreadedMotoServer

    port = devnats.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield S3Endpoint(f"127.0.0.1:{port}", "testing", "testing", bucket)
    finally:
        server.stop()


def _remove_bucket(endpoint: S3Endpoint) -> None:
    from minio import Minio

    client = Minio(
        endpoint.endpoint, endpoint.access_key, endpoint.secret_key, secure=endpoint.secure
    )
    if not client.bucket_exists(endpoint.bucket):
        return
    for item in client.list_objects(endpoint.bucket, recursive=True):
        if item.object_name:
            client.remove_object(endpoint.bucket, item.object_name)
    client.remove_bucket(endpoint.bucket)


@contextlib.contextmanager
def fresh_schema(database_url: str) -> Iterator[str]:
    """A schema of its own inside the session's database, dropped afterwards."""
    name = f"s_{uuid.uuid4().hex[:12]}"
    yield from _fresh_schema(database_url, name)
