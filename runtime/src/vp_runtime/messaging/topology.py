"""Streams and consumers, declared as code and applied by one idempotent command.

The Story log is one stream with limits retention (never work-queue), file storage, delete
and purge denied, and a duplicate window; per-scene work fans out through a work-queue
stream; dead letters and max-delivery advisories are kept in a third stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    KeyValueConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from vp_contracts.subjects import Subjects

from vp_runtime.capacity import DEFAULT_CAPACITY, LANES, Capacity

DUPLICATE_WINDOW = timedelta(minutes=5)
DEAD_LETTER_MAX_AGE = timedelta(days=30)
MAX_DELIVER = 3
"""Three attempts, as in the planning documents' queue settings."""
RETRY_BASE_SECONDS = 2.0
"""Exponential backoff from 2 s between attempts."""
WORK_ACK_WAIT = timedelta(seconds=8)
"""A worker that goes silent this long is taken for dead and its work goes to another one.
Workers send keep-alives every quarter of it, so long steps are never taken for dead ones;
a crash costs at most this much (the issue's goal: taken over within 10 s)."""
HEARTBEATS_PER_ACK_WAIT = 4
RATE_COUNTER_TTL = timedelta(hours=2)
CALL_JOURNAL_TTL = timedelta(days=7)


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer: who reads what, and how patiently."""

    name: str
    stream: str
    filter_subjects: tuple[str, ...]
    ack_wait: timedelta = timedelta(seconds=60)
    max_deliver: int = MAX_DELIVER + 1
    """One more than the retries: the last delivery only records the failure."""
    max_ack_pending: int = 16
    description: str = ""
    only_new: bool = False
    """Start at facts recorded after the consumer was created (not at the first fact)."""

    @property
    def heartbeat_seconds(self) -> float:
        """How often a worker holding a message tells the server it is still on it."""
        return self.ack_wait.total_seconds() / HEARTBEATS_PER_ACK_WAIT

    def config(self) -> ConsumerConfig:
        filters = list(self.filter_subjects)
        return ConsumerConfig(
            durable_name=self.name,
            name=self.name,
            description=self.description or None,
            deliver_policy=DeliverPolicy.NEW if self.only_new else DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait.total_seconds(),
            max_deliver=self.max_deliver,
            max_ack_pending=self.max_ack_pending,
            filter_subject=filters[0] if len(filters) == 1 else None,
            filter_subjects=filters if len(filters) > 1 else None,
        )


@dataclass(frozen=True)
class Topology:
    """Names of everything on the server, under one subject root and stream prefix."""

    root: str = "vp"
    prefix: str = ""
    replicas: int = 1
    consumers: tuple[ConsumerSpec, ...] = field(default=(), compare=False)

    @property
    def subjects(self) -> Subjects:
        return Subjects(self.root)

    @property
    def story_stream(self) -> str:
        return f"{self.prefix}VP_STORY"

    @property
    def jobs_stream(self) -> str:
        return f"{self.prefix}VP_JOBS"

    @property
    def dead_letter_stream(self) -> str:
        return f"{self.prefix}VP_DEAD"

    @property
    def budget_stream(self) -> str:
        return f"{self.prefix}VP_BUDGETS"

    @property
    def snapshot_bucket(self) -> str:
        return f"{self.prefix}VP_SNAPSHOTS"

    def consumer_name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def streams(self) -> list[StreamConfig]:
        """The streams' configurations."""
        story = self._log(
            self.story_stream,
            "Every fact of every Story (the event log)",
            self.subjects.all_stories(),
            allow_atomic=True,
        )
        jobs = StreamConfig(
            name=self.jobs_stream,
            description="Scene and compose jobs in priority lanes, each taken by one worker",
            subjects=[f"{self.root}.jobs.>"],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            num_replicas=self.replicas,
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
        )
        dead = StreamConfig(
            name=self.dead_letter_stream,
            description="Dead letters and max-delivery advisories",
            subjects=[
                f"{self.root}.dead.>",
                f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{self.story_stream}.*",
                f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{self.jobs_stream}.*",
            ],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=self.replicas,
            max_age=DEAD_LETTER_MAX_AGE.total_seconds(),
            allow_direct=True,
        )
        budgets = self._log(
            self.budget_stream,
            "Spending caps and each month's spending per user, project and overall",
            self.subjects.all_budgets(),
        )
        return [story, jobs, dead, budgets]

    def _log(self, name: str, description: str, subjects: str, **extra: Any) -> StreamConfig:
        """An append-only log of facts: kept, never deleted or purged, read by direct get."""
        return StreamConfig(
            name=name,
            description=description,
            subjects=[subjects],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            num_replicas=self.replicas,
            duplicate_window=DUPLICATE_WINDOW.total_seconds(),
            deny_delete=True,
            deny_purge=True,
            allow_direct=True,
            **extra,
        )

    @property
    def rates_bucket(self) -> str:
        return f"{self.prefix}VP_RATES"

    @property
    def providers_bucket(self) -> str:
        return f"{self.prefix}VP_PROVIDERS"

    @property
    def calls_bucket(self) -> str:
        return f"{self.prefix}VP_PROVIDER_CALLS"

    def key_value_buckets(self) -> list[KeyValueConfig]:
        """Snapshots of folded stories (a cache of the log, safe to lose), provider rate
        counters shared by replicas, and the journal of paid provider jobs."""
        return [
            KeyValueConfig(
                bucket=self.snapshot_bucket,
                description="Snapshots of folded stories (a cache; the log is the truth)",
                history=1,
                storage=StorageType.FILE,
                replicas=self.replicas,
                direct=True,
            ),
            KeyValueConfig(
                bucket=self.rates_bucket,
                description="Provider calls per minute and hour, shared by every replica",
                history=1,
                ttl=RATE_COUNTER_TTL.total_seconds(),
                storage=StorageType.FILE,
                replicas=self.replicas,
                direct=True,
            ),
            KeyValueConfig(
                bucket=self.providers_bucket,
                description="Provider settings changed by admins at run time, watched by every"
                " service (each revision names who made it: the audit list)",
                history=PROVIDER_HISTORY,
                storage=StorageType.FILE,
                replicas=self.replicas,
                direct=True,
            ),
            KeyValueConfig(
                bucket=self.calls_bucket,
                description="Provider job ids of paid calls, so a restarted worker resumes them",
                history=1,
                ttl=CALL_JOURNAL_TTL.total_seconds(),
                storage=StorageType.FILE,
                replicas=self.replicas,
                direct=True,
            ),
        ]

    def with_consumers(self, *consumers: ConsumerSpec) -> Topology:
        return Topology(self.root, self.prefix, self.replicas, (*self.consumers, *consumers))


PROVIDER_HISTORY = 64
"""Changes kept per provider in the provider settings bucket (the KV maximum)."""

PROJECTOR_BATCH = 500
"""Facts the gateway's projector applies per transaction (in flight at once, across replicas)."""


RETIRED_CONSUMERS = ("generator-scenes", "compositor")
"""Consumers of earlier versions, deleted by the declare command (their work now has lanes)."""


def pipeline_consumers(
    topology: Topology,
    job_ack_wait: timedelta = WORK_ACK_WAIT,
    capacity: Capacity = DEFAULT_CAPACITY,
) -> tuple[ConsumerSpec, ...]:
    """The durable consumers of the six services. Workers send keep-alives, so ``job_ack_wait``
    bounds how long a crashed worker's work waits before another worker takes it over;
    ``capacity`` sets how many messages of each are in flight at once."""
    s = topology.subjects
    story, jobs = topology.story_stream, topology.jobs_stream
    name = topology.consumer_name
    lanes = tuple(
        spec
        for lane in LANES
        for spec in (
            ConsumerSpec(
                name=name(f"generator-scenes-{lane}"),
                stream=jobs,
                filter_subjects=(s.jobs("scene", lane),),
                ack_wait=job_ack_wait,
                max_ack_pending=capacity.in_flight("generator", lane),
                description=f"generator: one scene's layers and narration ({lane} lane)",
            ),
            ConsumerSpec(
                name=name(f"compositor-{lane}"),
                stream=jobs,
                filter_subjects=(s.jobs("compose", lane),),
                ack_wait=job_ack_wait,
                max_ack_pending=capacity.in_flight("compositor", lane),
                description=f"compositor: composes one video ({lane} lane)",
            ),
        )
    )
    return (
        ConsumerSpec(
            name=name("planner"),
            stream=story,
            filter_subjects=(s.event_of_any_story("planning_requested"),),
            ack_wait=job_ack_wait,
            max_ack_pending=capacity.in_flight("planner"),
            description="planner: plans stories into scenes",
        ),
        ConsumerSpec(
            name=name("generator-requests"),
            stream=story,
            filter_subjects=tuple(
                s.event_of_any_story(event)
                for event in ("preview_requested", "render_requested", "scene_generation_requested")
            ),
            ack_wait=job_ack_wait,
            max_ack_pending=capacity.generator_replicas,
            description="generator: fans requests out into scene jobs in their lanes",
        ),
        ConsumerSpec(
            name=name("compositor-dispatch"),
            stream=story,
            filter_subjects=(s.event_of_any_story("scene_generated"),),
            ack_wait=job_ack_wait,
            max_ack_pending=capacity.compositor_replicas,
            description="compositor: queues a compose job when an attempt's scenes are ready",
        ),
        *lanes,
        ConsumerSpec(
            name=name("compositor-segments"),
            stream=jobs,
            filter_subjects=(s.jobs("segment", "batch"),),
            ack_wait=job_ack_wait,
            max_ack_pending=capacity.in_flight("compositor"),
            description="compositor: renders one segment of a long final master",
        ),
        ConsumerSpec(
            name=name("upscaler"),
            stream=story,
            filter_subjects=(s.event_of_any_story("final_composed"),),
            ack_wait=job_ack_wait,
            max_ack_pending=capacity.in_flight("upscaler"),
            description="upscaler: scales and interpolates the master (final renders only)",
        ),
        ConsumerSpec(
            name=name("gateway-projector"),
            stream=story,
            filter_subjects=(s.all_stories(),),
            # One batch in flight across replicas, in order; a batch applies in milliseconds,
            # so a crashed projector's facts come back after a few seconds.
            ack_wait=timedelta(seconds=5),
            max_ack_pending=PROJECTOR_BATCH,
            max_deliver=-1,
            description="gateway: projects every fact into the read model, in order, in batches",
        ),
    )


def webhook_consumer(
    topology: Topology, name: str, events: Sequence[str], attempts: int
) -> ConsumerSpec:
    """The notifier's consumer for one webhook receiver: the facts it asked for (every fact
    when ``events`` is empty), recorded after the receiver was added, one at a time."""
    subjects = topology.subjects
    wanted = tuple(subjects.event_of_any_story(event) for event in events)
    return ConsumerSpec(
        name=topology.consumer_name(f"notifier-webhook-{name}"),
        stream=topology.story_stream,
        filter_subjects=wanted or (subjects.all_stories(),),
        ack_wait=timedelta(seconds=60),
        max_deliver=attempts + 1,
        max_ack_pending=1,
        only_new=True,
        description=f"notifier: facts for the {name} webhook",
    )


def default_topology(
    root: str = "vp",
    prefix: str = "",
    replicas: int = 1,
    job_ack_wait: timedelta = WORK_ACK_WAIT,
    capacity: Capacity = DEFAULT_CAPACITY,
) -> Topology:
    """The production topology with every pipeline consumer."""
    base = Topology(root=root, prefix=prefix, replicas=replicas)
    return base.with_consumers(*pipeline_consumers(base, job_ack_wait, capacity))
