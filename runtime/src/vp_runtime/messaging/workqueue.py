"""Jobs on the work-queue stream, in priority lanes, shared fairly between users.

Each job is taken by one worker of its kind's consumer for that lane and queued once (its id is
the message id). Within a lane, every user may have at most a *share* of jobs in it (queued or
running: two rounds of the lane's whole capacity); the rest of that user's jobs wait on a held
subject and enter the lane one by one as the user's earlier jobs finish. So a user who queues
100 jobs holds a short run of the lane, and another user's 6 jobs queue right behind it, not
behind all 100: the lane alternates between the users who have work in it.

Nothing is held in memory: the stream's per-subject counts are the state, every replica may
release, a release is idempotent (the lane publish carries the job id, so a job released twice
is queued once), and each replica sweeps the held subjects every second, so a release missed by
a crash or a race happens a second later.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from nats.js.client import JetStreamContext
from nats.js.errors import APIError, NotFoundError
from pydantic import BaseModel

from vp_runtime.capacity import JOB_STAGES, LANES, Capacity
from vp_runtime.messaging.topology import Topology
from vp_runtime.observability import telemetry

log = logging.getLogger(__name__)

FAIR_ROUNDS = 2
"""A user's share of a lane: this many rounds of the lane's capacity (one running, one queued
behind it), so a user alone keeps every worker busy and a second user waits at most a round."""
SWEEP_SECONDS = 1.0
GONE = (10043, 10057)
"""JetStream's error codes for deleting a message that is gone (sequence or message not found)."""
HELD = "held:"
"""Prefix of a held job's message id (the job id itself is kept for the lane)."""


def owner_key(owner: str) -> str:
    """The subject token of a user id (any characters in, 16 hex digits out)."""
    return hashlib.blake2s(owner.encode(), digest_size=8).hexdigest()


class WorkQueue:
    """The ``kind`` jobs (``scene``, ``compose``, ``segment``) of the work-queue stream."""

    def __init__(
        self, js: JetStreamContext, topology: Topology, kind: str, capacity: Capacity
    ) -> None:
        self._js = js
        self._subjects = topology.subjects
        self._stream = topology.jobs_stream
        self._kind = kind
        self._stage = JOB_STAGES[kind]
        self._capacity = capacity

    def share(self, lane: str) -> int:
        """Most jobs of one user in ``lane`` at once, queued or running, across replicas."""
        return FAIR_ROUNDS * self._capacity.in_flight(self._stage, lane)

    async def put(self, job: BaseModel, lane: str, job_id: str, owner: str) -> None:
        """Queue ``job`` of user ``owner`` in ``lane``, or hold it while that user has a full
        share there; the same ``job_id`` again (a redelivered request) within the duplicate
        window queues nothing."""
        if lane not in LANES:
            raise ValueError(f"lane {lane!r} is not one of {LANES}")
        key = owner_key(owner)
        headers = telemetry.traced({})
        if await self._in_lane(lane, key) < self.share(lane):
            subject, message_id = self._subjects.jobs(self._kind, lane, key), job_id
        else:
            subject, message_id = self._subjects.held_jobs(self._kind, lane, key), HELD + job_id
        await self._js.publish(
            subject,
            job.model_dump_json().encode(),
            stream=self._stream,
            headers={**headers, "Nats-Msg-Id": message_id},
        )

    async def finished(self, subject: str) -> None:
        """A job that was on ``subject`` left its lane (done or given up): its owner's next
        held job may enter."""
        lane, key = subject.rsplit(".", 2)[-2:]
        await self.release(lane, key)

    async def release(self, lane: str, key: str) -> int:
        """Move the held jobs of owner ``key`` into ``lane`` while its share has room, oldest
        first; returns how many moved."""
        room = self.share(lane) - await self._in_lane(lane, key)
        held = self._subjects.held_jobs(self._kind, lane, key)
        moved = 0
        for _ in range(room):
            try:
                message = await self._js.get_msg(self._stream, seq=1, subject=held, next=True)
            except NotFoundError:
                break
            headers = dict(message.headers or {})
            job_id = headers.pop("Nats-Msg-Id", "").removeprefix(HELD)
            queued = await self._js.publish(
                self._subjects.jobs(self._kind, lane, key),
                message.data or b"",
                stream=self._stream,
                headers={**headers, "Nats-Msg-Id": job_id},
            )
            moved += 0 if queued.duplicate else 1  # else another replica moved it just now
            try:
                await self._js.delete_msg(self._stream, int(message.seq or 0))
            except APIError as error:
                if error.err_code not in GONE:
                    raise
        return moved

    async def sweep(self) -> int:
        """Release what every owner with held jobs has room for (the safety net of
        :meth:`finished`); returns how many moved."""
        info = await self._js.stream_info(
            self._stream, subjects_filter=self._subjects.held_jobs(self._kind)
        )
        moved = 0
        for subject in info.state.subjects or {}:
            lane, key = subject.rsplit(".", 2)[-2:]
            moved += await self.release(lane, key)
        return moved

    async def keep_released(self, every: float = SWEEP_SECONDS) -> None:
        """Sweep every ``every`` seconds until cancelled."""
        while True:
            try:
                await self.sweep()
            except Exception as error:  # NATS reconnecting: the next sweep may land
                log.warning("could not release held %s jobs: %s", self._kind, error)
            await asyncio.sleep(every)

    async def _in_lane(self, lane: str, key: str) -> int:
        """Jobs of owner ``key`` in ``lane`` now, queued or running (acked ones are gone)."""
        subject = self._subjects.jobs(self._kind, lane, key)
        info = await self._js.stream_info(self._stream, subjects_filter=subject)
        return int((info.state.subjects or {}).get(subject, 0))
