"""A service's subscriber table: which handler serves which declared consumer, with which
retry policy and failure hooks. :func:`bind` puts a table on a broker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from vp_runtime.messaging.deadletters import DeadLetters
from vp_runtime.messaging.delivery import (
    DEFAULT_RETRIES,
    Handler,
    OnDone,
    OnGiveUp,
    OnRetry,
    RetryPolicy,
)
from vp_runtime.messaging.settle import subscribe
from vp_runtime.messaging.topology import ConsumerSpec, Topology


@dataclass(frozen=True)
class Subscription:
    consumer: str
    """The declared consumer's name, without the stream prefix."""
    handler: Handler
    policy: RetryPolicy = DEFAULT_RETRIES
    on_retry: OnRetry | None = None
    on_give_up: OnGiveUp | None = None
    """Records the failure fact after the last attempt."""
    workers: int = 1
    """Messages of this consumer handled at once by this process."""
    on_done: OnDone | None = None
    """Told the subject of each message that left the consumer (a work queue's
    :meth:`~vp_runtime.messaging.workqueue.WorkQueue.finished`)."""


def bind(
    broker: Any, topology: Topology, dead_letters: DeadLetters, table: Sequence[Subscription]
) -> None:
    for entry in table:
        spec = consumer(topology, entry.consumer)
        for _ in range(entry.workers):
            subscribe(
                broker,
                spec,
                _subject(topology, spec),
                entry.handler,
                dead_letters=dead_letters,
                policy=entry.policy,
                on_retry=entry.on_retry,
                on_give_up=entry.on_give_up,
                on_done=entry.on_done,
            )


def consumer(topology: Topology, name: str) -> ConsumerSpec:
    """The declared consumer called ``name`` (without the prefix)."""
    wanted = topology.consumer_name(name)
    for spec in topology.consumers:
        if spec.name == wanted:
            return spec
    raise KeyError(f"no consumer {name!r} is declared")


def _subject(topology: Topology, spec: ConsumerSpec) -> str:
    """The subject a subscriber names: the consumer's filter, or for a consumer that filters
    several subjects of the story stream, the whole stream (the server applies the filters)."""
    if len(spec.filter_subjects) == 1:
        return spec.filter_subjects[0]
    assert spec.stream == topology.story_stream, spec
    return topology.subjects.all_stories()
