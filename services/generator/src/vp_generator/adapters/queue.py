"""Scene jobs on the JetStream work queue in their priority lane, shared by every generator
replica and fairly between users."""

from __future__ import annotations

from nats.js.client import JetStreamContext
from vp_runtime.capacity import Capacity
from vp_runtime.messaging.topology import Topology
from vp_runtime.messaging.workqueue import WorkQueue

from vp_generator.domain.jobs import SceneJob


class JetStreamSceneQueue:
    def __init__(self, js: JetStreamContext, topology: Topology, capacity: Capacity) -> None:
        self.jobs = WorkQueue(js, topology, "scene", capacity)

    async def put(self, job: SceneJob) -> None:
        await self.jobs.put(job, job.lane, job.job_id, job.owner_id)
