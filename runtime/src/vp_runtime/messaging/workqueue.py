"""Jobs on the work-queue stream, in priority lanes: each job is taken by one worker of its
kind's consumer for that lane, and queued once (its id is the message id)."""

from __future__ import annotations

from nats.js.client import JetStreamContext
from pydantic import BaseModel

from vp_runtime.capacity import LANES
from vp_runtime.messaging.topology import Topology
from vp_runtime.observability import telemetry


class WorkQueue:
    """The ``kind`` jobs (``scene``, ``compose``) of the work-queue stream."""

    def __init__(self, js: JetStreamContext, topology: Topology, kind: str) -> None:
        self._js = js
        self._subjects = topology.subjects
        self._stream = topology.jobs_stream
        self._kind = kind

    async def put(self, job: BaseModel, lane: str, job_id: str) -> None:
        """Queue ``job`` in ``lane``; the same ``job_id`` again (a redelivered request) within
        the duplicate window queues nothing."""
        if lane not in LANES:
            raise ValueError(f"lane {lane!r} is not one of {LANES}")
        await self._js.publish(
            self._subjects.jobs(self._kind, lane),
            job.model_dump_json().encode(),
            stream=self._stream,
            headers=telemetry.traced({"Nats-Msg-Id": job_id}),
        )
