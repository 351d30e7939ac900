"""Compose jobs on the JetStream work queue in their priority lane, each taken by one
compositor worker."""

from __future__ import annotations

from nats.js.client import JetStreamContext
from vp_contracts.ids import stage_job_id
from vp_runtime.messaging.topology import Topology
from vp_runtime.messaging.workqueue import WorkQueue

from vp_compositor.domain.jobs import ComposeJob, SegmentJob


class JetStreamComposeQueue:
    def __init__(self, js: JetStreamContext, topology: Topology) -> None:
        self._queue = WorkQueue(js, topology, "compose")
        self._segments = WorkQueue(js, topology, "segment")

    async def put(self, job: ComposeJob) -> None:
        await self._queue.put(job, job.lane, stage_job_id(job.attempt_id, "compose"))

    async def put_segment(self, job: SegmentJob) -> None:
        job_id = stage_job_id(job.attempt_id, f"segment-{job.index}")
        await self._segments.put(job, "batch", job_id)
