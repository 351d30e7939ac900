"""Compose and segment jobs on the JetStream work queue in their priority lane, each taken by
one compositor worker, shared fairly between users."""

from __future__ import annotations

from nats.js.client import JetStreamContext
from vp_contracts.ids import stage_job_id
from vp_runtime.capacity import Capacity
from vp_runtime.messaging.topology import Topology
from vp_runtime.messaging.workqueue import WorkQueue

from vp_compositor.domain.jobs import ComposeJob, SegmentJob


class JetStreamComposeQueue:
    def __init__(self, js: JetStreamContext, topology: Topology, capacity: Capacity) -> None:
        self.composes = WorkQueue(js, topology, "compose", capacity)
        self.segments = WorkQueue(js, topology, "segment", capacity)

    async def put(self, job: ComposeJob) -> None:
        job_id = stage_job_id(job.attempt_id, "compose")
        await self.composes.put(job, job.lane, job_id, job.owner_id)

    async def put_segment(self, job: SegmentJob) -> None:
        job_id = stage_job_id(job.attempt_id, f"segment-{job.index}")
        await self.segments.put(job, "batch", job_id, job.owner_id)
