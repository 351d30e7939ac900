"""Apply a :class:`~vp_runtime.messaging.topology.Topology` to a server, idempotently.

Creates what is missing, updates what differs, and checks that the server kept every setting
we rely on (an old server silently drops fields it does not know).
"""

from __future__ import annotations

from dataclasses import asdict

from nats.js.api import KeyValueConfig, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from vp_runtime.messaging.connection import ServerTooOld
from vp_runtime.messaging.topology import RETIRED_CONSUMERS, Topology

_REQUIRED_STREAM_FLAGS = ("allow_direct", "allow_atomic", "deny_delete", "deny_purge")


async def declare(js: JetStreamContext, topology: Topology) -> list[str]:
    """Create or update the streams and consumers; returns one line per thing touched."""
    report = []
    for wanted in topology.streams():
        report.append(await _declare_stream(js, wanted))
    for bucket in topology.key_value_buckets():
        report.append(await _declare_bucket(js, bucket))
    for consumer in topology.consumers:
        before = await _consumer_config(js, consumer.stream, consumer.name)
        info = await js.add_consumer(consumer.stream, consumer.config())
        after = asdict(info.config)
        state = "created" if before is None else ("unchanged" if before == after else "updated")
        report.append(f"consumer {consumer.stream}/{consumer.name}: {state}")
    for stream, name in _retired(topology):
        if await _consumer_config(js, stream, name) is not None:
            await js.delete_consumer(stream, name)
            report.append(f"consumer {stream}/{name}: deleted (retired)")
    return report


def _retired(topology: Topology) -> list[tuple[str, str]]:
    return [
        (stream, topology.consumer_name(name))
        for name in RETIRED_CONSUMERS
        for stream in (topology.story_stream, topology.jobs_stream)
    ]


async def _declare_stream(js: JetStreamContext, wanted: StreamConfig) -> str:
    assert wanted.name
    try:
        current = (await js.stream_info(wanted.name)).config
    except NotFoundError:
        current = None
    if current is None:
        applied = (await js.add_stream(wanted)).config
        state = "created"
    else:
        applied = (await js.update_stream(wanted)).config
        state = "unchanged" if asdict(applied) == asdict(current) else "updated"
    for flag in _REQUIRED_STREAM_FLAGS:
        if getattr(wanted, flag) and not getattr(applied, flag):
            raise ServerTooOld(
                f"the server ignored {flag} on stream {wanted.name}: it is too old for this system"
            )
    return f"stream {wanted.name}: {state}"


async def _declare_bucket(js: JetStreamContext, bucket: KeyValueConfig) -> str:
    stream = f"KV_{bucket.bucket}"
    try:
        before = asdict((await js.stream_info(stream)).config)
    except NotFoundError:
        before = None
    await js.create_key_value(bucket)
    after = asdict((await js.stream_info(stream)).config)
    state = "created" if before is None else ("unchanged" if before == after else "updated")
    return f"bucket {bucket.bucket}: {state}"


async def _consumer_config(
    js: JetStreamContext, stream: str, name: str
) -> dict[str, object] | None:
    try:
        return asdict((await js.consumer_info(stream, name)).config)
    except NotFoundError:
        return None
