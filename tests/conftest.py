"""Session-wide real servers and per-test isolation (unique subject roots and stream prefixes)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from nats.aio.client import Client
from nats.js.errors import ServerError
from vp_devtools import devnats
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.declare import declare
from vp_runtime.messaging.topology import Topology, default_topology
from vp_runtime.settings import RuntimeSettings

from tests.support import servers

# Finals in the suite are encoded at x264 veryfast (the same graph, the same checks, about a
# third less time); the roadmap's preset (fast) is what `make bench` measures. Services the
# tests start as processes (the local stacks) inherit it.
os.environ.setdefault("VP_FINAL_PRESET", "veryfast")


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[devnats.NatsServerProcess]:
    with servers.nats_server(tmp_path_factory.mktemp("nats")) as server:
        yield server


def _free_disk() -> str:
    return (
        f"{shutil.disk_usage(tempfile.gettempdir()).free / 2**30:.1f} GiB free in the temp folder"
    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        binary = devnats.find_binary()
        found = f"nats-server: {devnats.binary_version(binary)} ({binary})"
    except (FileNotFoundError, OSError) as error:
        found = f"nats-server: not found ({error})"
    return [found, _free_disk()]


@pytest.fixture
def topology() -> Topology:
    """A topology of its own for each test: nothing it writes is seen by another test."""
    tag = uuid.uuid4().hex[:8]
    return default_topology(root=f"t{tag}", prefix=f"T{tag}_")


@pytest.fixture
def settings(nats_server: devnats.NatsServerProcess, topology: Topology) -> RuntimeSettings:
    return RuntimeSettings(
        nats_url=nats_server.url,
        subject_root=topology.root,
        stream_prefix=topology.prefix,
        service_name="test",
    )


@pytest.fixture
async def nats_client(
    nats_server: devnats.NatsServerProcess, settings: RuntimeSettings, topology: Topology
) -> AsyncIterator[Client]:
    """A connection with the test's streams and consumers declared; they are deleted afterwards."""
    client = await connect(settings, name="tests")
    js = client.jetstream()
    try:
        await declare(js, topology)
    except ServerError as error:  # e.g. the store could not be made: say why the server thinks so
        await client.close()
        log = nats_server.log_file.read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(
            f"{error}; {_free_disk()}; nats-server log:\n" + "\n".join(log)
        ) from error
    try:
        yield client
    finally:
        for stream in topology.streams():
            assert stream.name
            await js.delete_stream(stream.name)
        for bucket in topology.key_value_buckets():
            await js.delete_key_value(bucket.bucket)
        await client.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    with servers.postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def s3() -> Iterator[servers.S3Endpoint]:
    with servers.s3_endpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
