"""The stage recorder: derived ids make a redelivered job record its facts once; one claim
wins; provider calls become cost facts; ticks carry the job."""

from __future__ import annotations

from decimal import Decimal

from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.ids import derived_id, new_id
from vp_contracts.story import commands as c
from vp_contracts.values import JobKind
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.providers.base import Capability
from vp_runtime.providers.router import Call

from tests.support.facts import Driver
from tests.unit.fakes import RecordingProgress, worker


async def _job(kind: JobKind = JobKind.COMPOSE, scene: bool = False):  # type: ignore[no-untyped-def]
    log = InMemoryStoryLog()
    driver = Driver(log)
    story_id = await driver.created()
    await driver.planned(story_id)
    attempt = new_id()
    await driver.run(c.RequestPreview(story_id=story_id, attempt_id=attempt))
    stage = worker("compositor", log)
    job_id = new_id()
    job = stage.job(story_id, attempt, kind, job_id, scene_id=new_id() if scene else None)
    return log, stage, job


async def test_a_redelivered_start_records_once_under_a_derived_id() -> None:
    log, _, job = await _job()
    await job.start(1)
    await job.start(1)
    await job.start(2)
    started = [
        fact
        for fact in log.facts
        if isinstance(fact.event, j.JobStarted) and fact.event.job_id == job.job_id
    ]
    assert [fact.event.attempt for fact in started] == [1, 2]
    assert started[0].envelope.actor == "compositor@test:1"
    assert started[0].envelope.correlation_id == job.attempt_id
    assert job.meta("x").command_id == derived_id("compositor", job.attempt_id, "x")


async def test_scene_jobs_derive_their_ids_from_the_job_not_the_attempt() -> None:
    _, _, job = await _job(JobKind.SCENE, scene=True)
    assert job.cause == job.job_id
    assert job.meta("x").causation_id == job.job_id


async def test_one_claim_wins_and_a_redelivery_takes_over() -> None:
    _, _, job = await _job()
    assert await job.claim(delivery_attempt=1, trigger=10)
    assert not await job.claim(delivery_attempt=1, trigger=11)  # another trigger: taken
    assert await job.claim(delivery_attempt=2, trigger=10)  # the holder died: taken over


async def test_a_call_becomes_a_cost_fact_of_the_job() -> None:
    _, _, job = await _job(JobKind.SCENE, scene=True)
    call = Call("stability", Capability.IMAGE, "k", 1, Decimal("0.04"), 1, False, "ok" * 400, "p1")
    fact = job.cost(call)
    assert isinstance(fact, e.CostRecorded)
    assert (fact.job_id, fact.scene_id, fact.operation) == (job.job_id, job.scene_id, "image")
    assert fact.amount == Decimal("0.04") and len(fact.outcome) == 500


async def test_ticks_name_the_stage_and_the_job() -> None:
    _, stage, job = await _job()
    await job.tick(50, "half")
    assert isinstance(stage.progress, RecordingProgress)
    (tick,) = stage.progress.ticks
    assert (tick.stage, tick.job_id, tick.percent) == ("compose", job.job_id, 50)
