"""Preview, render and single-scene requests fan out into scene jobs on the work queue,
so any number of generator replicas share them."""

from __future__ import annotations

import logging
from typing import Protocol

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import scene_job_id
from vp_runtime.eventstore import StoryLog

from vp_generator.domain.jobs import SceneJob

log = logging.getLogger(__name__)


class SceneQueue(Protocol):
    async def put(self, job: SceneJob) -> None:
        """Queue ``job`` once: putting the same job id again does nothing."""
        ...


class FanOut:
    def __init__(self, log: StoryLog, queue: SceneQueue) -> None:
        self._log = log
        self._queue = queue

    async def on_request(self, recorded: RecordedEvent[Event]) -> int:
        """Queue the jobs a request asks for; returns how many (0 for a stale request)."""
        event = recorded.event
        view = await self._log.view(event.story_id)
        if isinstance(event, e.PreviewRequested | e.RenderRequested):
            if not view.is_current(event.attempt_id):
                return 0
            stage = "preview" if isinstance(event, e.PreviewRequested) else "render"
            jobs = [
                SceneJob(
                    story_id=event.story_id,
                    owner_id=view.owner_id or "",
                    attempt_id=event.attempt_id,
                    job_id=scene_job_id(event.attempt_id, sid),
                    scene_id=sid,
                    stage=stage,
                    width=event.profile.width,
                    height=event.profile.height,
                    fps=event.profile.fps,
                )
                for sid in event.scene_ids
            ]
        elif isinstance(event, e.SceneGenerationRequested):
            if not view.scene_job_is_current(event.scene_id, event.job_id):
                return 0
            jobs = [
                SceneJob(
                    story_id=event.story_id,
                    owner_id=view.owner_id or "",
                    attempt_id=event.job_id,
                    job_id=event.job_id,
                    scene_id=event.scene_id,
                    stage="scene",
                    width=event.profile.width,
                    height=event.profile.height,
                    fps=event.profile.fps,
                )
            ]
        else:
            return 0
        for job in jobs:
            await self._queue.put(job)
        log.info("queued %d scene jobs for %s", len(jobs), event.story_id)
        return len(jobs)
