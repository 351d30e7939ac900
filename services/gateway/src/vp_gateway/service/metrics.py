"""Metrics the gateway derives from the log: time from request to preview / final video,
dollars per project, and how deep each consumer's queue is."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from nats.js.client import JetStreamContext
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.values import Stage
from vp_runtime.aio import in_background
from vp_runtime.eventstore import StoryLog
from vp_runtime.messaging.topology import Topology
from vp_runtime.observability.metrics import (
    COST_DOLLARS,
    FEEDBACK_RATING,
    GENERATION_SECONDS,
    QUEUE_DEPTH,
)

log = logging.getLogger(__name__)
KIND = {Stage.PREVIEW: "preview", Stage.RENDER: "final"}


async def observe(store: StoryLog, recorded: RecordedEvent[Event]) -> None:
    """Called by the projector once per fact (a shared consumer: each fact on one replica)."""
    event = recorded.event
    if isinstance(event, e.FeedbackGiven):
        FEEDBACK_RATING.observe(event.rating)
        return
    if isinstance(event, e.CostRecorded):
        view = await store.view(event.story_id)
        project = (view.spec.project_id if view.spec else None) or "none"
        COST_DOLLARS.labels(project).inc(float(event.amount))
        return
    if not isinstance(event, e.PreviewComposed | e.RenderCompleted | e.StoryFailed):
        return
    view = await store.view(event.story_id)
    attempt = view.attempt
    if attempt is None or attempt.id != event.attempt_id or attempt.requested_at is None:
        return
    kind = KIND.get(attempt.stage)
    if kind is None:
        return
    status = "failed" if isinstance(event, e.StoryFailed) else "succeeded"
    seconds = (recorded.time - attempt.requested_at).total_seconds()
    GENERATION_SECONDS.labels(kind, status).observe(max(0.0, seconds))


@contextlib.asynccontextmanager
async def queue_depths(
    js: JetStreamContext, topology: Topology, every: float = 15.0
) -> AsyncIterator[None]:
    """Keep ``queue_depth`` current for every pipeline consumer while the block runs."""

    async def refresh() -> None:
        while True:
            for spec in topology.consumers:
                try:
                    info = await js.consumer_info(spec.stream, spec.name)
                except Exception as error:  # a missing consumer is not the gateway's failure
                    log.debug("no queue depth for %s: %s", spec.name, error)
                    continue
                QUEUE_DEPTH.labels(spec.name, "pending").set(info.num_pending or 0)
                QUEUE_DEPTH.labels(spec.name, "ack_pending").set(info.num_ack_pending or 0)
                QUEUE_DEPTH.labels(spec.name, "redelivered").set(info.num_redelivered or 0)
            await asyncio.sleep(every)

    async with in_background(refresh()):
        yield
