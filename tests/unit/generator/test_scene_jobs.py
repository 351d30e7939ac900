"""The generator's service layer on an in-memory log and storage with the offline renderer:
requests fan out into one job per scene, a job records its scene and its calls once, and
what can never succeed (a refusing filter, no voice for the language) fails the scene saying
what to do instead of being retried."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import new_id, scene_job_id
from vp_contracts.story import commands as c
from vp_generator.adapters.offline.provider import OfflineProvider
from vp_generator.domain.jobs import SceneJob
from vp_generator.service.fanout import FanOut
from vp_generator.service.scenes import SceneGenerator
from vp_generator.service.translator import PromptTranslator
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.messaging.delivery import TransientError
from vp_runtime.providers.base import (
    Capability,
    ContentRefused,
    Generated,
    ImageRequest,
    Provider,
    ProviderUnavailable,
)
from vp_runtime.providers.config import OFFLINE, ProviderConfig
from vp_runtime.providers.router import ProviderRouter, Routed
from vp_runtime.storage import InMemoryStorage

from tests.support.facts import Driver
from tests.unit.fakes import RecordingProgress, worker


@dataclass
class RecordingQueue:
    jobs: list[SceneJob] = field(default_factory=list)

    async def put(self, job: SceneJob) -> None:
        self.jobs.append(job)


class Failing(Provider):
    """An image provider that always fails with ``error``."""

    capabilities = frozenset({Capability.IMAGE})

    def __init__(self, error: Exception) -> None:
        self.name, self.model, self._error = "strict", "m", error

    async def generate_image(self, request: ImageRequest, call_key: str) -> Generated:
        raise self._error


def _generator(log: InMemoryStoryLog, *providers: Provider) -> SceneGenerator:
    storage = InMemoryStorage()
    routed = [
        Routed(ProviderConfig(name=p.name, kind="offline"), p)
        for p in providers or (OfflineProvider(OFFLINE),)
    ]
    router = ProviderRouter(routed, storage, None, first_delay=0, max_delay=0)
    return SceneGenerator(worker("generator", log), router, storage, PromptTranslator(storage))


async def _preview(log: InMemoryStoryLog, **spec: object) -> tuple[Any, list[SceneJob]]:
    driver = Driver(log)
    story_id = await driver.created(**spec)
    await driver.planned(story_id, scenes=2)
    outcome = await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
    queue = RecordingQueue()
    assert await FanOut(log, queue).on_request(outcome.events[0]) == 2
    # Small pictures keep the offline renderer quick.
    return outcome.events[0], [
        job.model_copy(update={"width": 160, "height": 90}) for job in queue.jobs
    ]


def _of(log: InMemoryStoryLog, kind: type[Event]) -> list[Any]:
    return [event for event in log.events() if isinstance(event, kind)]


async def test_a_preview_fans_out_one_job_per_scene_with_derived_ids() -> None:
    log = InMemoryStoryLog()
    requested, jobs = await _preview(log)
    attempt = requested.event.attempt_id
    assert [job.job_id for job in jobs] == [
        scene_job_id(attempt, scene_id) for scene_id in requested.event.scene_ids
    ]
    assert {job.stage for job in jobs} == {"preview"}


async def test_a_stale_request_fans_out_nothing() -> None:
    log = InMemoryStoryLog()
    requested, _ = await _preview(log)
    await Driver(log).run(c.Cancel(story_id=requested.event.story_id))
    assert await FanOut(log, RecordingQueue()).on_request(requested) == 0


async def test_a_scene_job_stores_its_layers_and_records_the_scene_once() -> None:
    log = InMemoryStoryLog()
    _, jobs = await _preview(log, narration=False)
    generator = _generator(log)
    await generator.run(jobs[0], 1)
    await generator.run(jobs[0], 2)  # another delivery after the result: dropped

    (generated,) = _of(log, e.SceneGenerated)
    assert generated.scene_id == jobs[0].scene_id and generated.provider == "offline"
    assert await generator.storage.exists(generated.assets.background_key)
    assert await generator.storage.exists(generated.assets.character_key)
    costs = _of(log, e.CostRecorded)
    assert {cost.operation for cost in costs} == {"image"} and len(costs) == 2
    assert [s.attempt for s in _of(log, j.JobStarted) if s.kind == "scene"] == [1]
    assert isinstance(generator.worker.progress, RecordingProgress)
    assert generator.worker.progress.percents() == [10, 40, 100]


async def test_a_refusing_content_filter_fails_the_scene_asking_for_another_prompt() -> None:
    log = InMemoryStoryLog()
    _, jobs = await _preview(log, narration=False)
    await _generator(log, Failing(ContentRefused("nsfw"))).run(jobs[0], 1)
    (failed,) = _of(log, e.SceneFailed)
    assert failed.code == "content_refused" and "change its prompt" in failed.reason


async def test_no_voice_for_the_language_fails_the_scene_naming_the_way_out() -> None:
    log = InMemoryStoryLog()
    _, jobs = await _preview(
        log, language="ko", generation_params={"voice": "hibari"}, description="하나. 둘."
    )
    await _generator(log).run(jobs[0], 1)
    (failed,) = _of(log, e.SceneFailed)
    assert failed.code == "no_voice"
    assert "GET /api/ai-video/voices/?language=ko" in failed.reason


async def test_providers_that_are_down_are_retried_then_given_up_on() -> None:
    log = InMemoryStoryLog()
    _, jobs = await _preview(log, narration=False)
    generator = _generator(log, Failing(ProviderUnavailable("503")))
    with pytest.raises(TransientError) as error:
        await generator.run(jobs[0], 1)
    await generator.retrying(jobs[0], 1, error.value, 2.0)
    await generator.give_up(jobs[0], 3, error.value)
    (retried,) = _of(log, j.JobRetried)
    assert retried.retry_in_seconds == 2.0
    (failed,) = _of(log, e.SceneFailed)
    assert failed.code == "provider_unavailable" and failed.attempts == 3
