"""Scene jobs on the JetStream work queue, shared by every generator replica."""

from __future__ import annotations

from nats.js.client import JetStreamContext
from vp_runtime.messaging.topology import Topology
from vp_runtime.observability import telemetry

from vp_generator.domain.jobs import SceneJob


class JetStreamSceneQueue:
    def __init__(self, js: JetStreamContext, topology: Topology) -> None:
        self._js = js
        self._subject = topology.subjects.scene_jobs("scene")
        self._stream = topology.jobs_stream

    async def put(self, job: SceneJob) -> None:
        # The job id as message id: a redelivered request does not queue a job twice.
        await self._js.publish(
            self._subject,
            job.model_dump_json().encode(),
            stream=self._stream,
            headers=telemetry.traced({"Nats-Msg-Id": job.job_id}),
        )
