"""Drive stories through their life with the stages' own commands (no stage services needed)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.ids import new_id, scene_job_id, stage_job_id
from vp_contracts.story import commands as c
from vp_contracts.values import (
    JobKind,
    MediaOutput,
    SceneAssets,
    ScenePrompt,
    SceneSpec,
    Stage,
    StorySpec,
)
from vp_runtime.eventstore import EventMeta, Outcome, StoryLog


def meta(actor: str = "tests") -> EventMeta:
    return EventMeta(command_id=new_id(), at=datetime.now(UTC), actor=actor)


def spec(**changes: object) -> StorySpec:
    data: dict[str, object] = {
        "title": "A story",
        "description": "One. Two. Three.",
        "character_prompt": "a fox",
        "background_prompt": "a forest",
        "duration_seconds": 21,
    }
    return StorySpec.model_validate({**data, **changes})


class Driver:
    """Issues the commands the gateway and the stages would, against one event store."""

    def __init__(self, store: StoryLog) -> None:
        self.store = store

    async def run(self, command: c.Command, actor: str = "tests") -> Outcome:
        return await self.store.execute(command, meta(actor))

    async def created(self, owner: str = "owner-1", **changes: object) -> str:
        """A new story of ``owner`` (``changes`` to the sample spec); its id."""
        story_id = new_id()
        await self.run(c.CreateStory(story_id=story_id, owner_id=owner, spec=spec(**changes)))
        return story_id

    async def planned(self, story_id: str, scenes: int = 3) -> None:
        attempt = new_id()
        await self.run(c.RequestPlanning(story_id=story_id, attempt_id=attempt))
        await self.run(
            c.RecordFact(
                story_id=story_id,
                event=j.JobStarted(
                    story_id=story_id,
                    job_id=attempt,
                    kind=JobKind.PLANNING,
                    attempt_id=attempt,
                    worker="planner",
                    attempt=1,
                ),
            )
        )
        plan = tuple(
            SceneSpec(
                scene_id=new_id(),
                position=i,
                duration_seconds=7,
                prompt=ScenePrompt(character="a fox", background="a forest"),
                narration=f"Line {i}.",
                seed=i,
            )
            for i in range(scenes)
        )
        await self.run(
            c.RecordPlan(story_id=story_id, attempt_id=attempt, scenes=plan, planner="rules"),
            "planner",
        )

    async def generated(
        self,
        story_id: str,
        stage: Stage,
        fail_scene: bool = False,
        media: MediaOutput | None = None,
    ) -> str:
        """An attempt of ``stage`` whose scenes were generated and composed (or whose second
        scene failed); its id."""
        attempt = await self.scenes_generated(story_id, stage, fail_scene)
        if not fail_scene:
            await self.composed(story_id, stage, attempt, media)
        return attempt

    async def scenes_generated(self, story_id: str, stage: Stage, fail_scene: bool = False) -> str:
        """An attempt of ``stage`` with every scene generated (or the second one failed)."""
        attempt = new_id()
        request = c.RequestPreview if stage == Stage.PREVIEW else c.RequestRender
        outcome = await self.run(request(story_id=story_id, attempt_id=attempt))
        for index, scene in enumerate(outcome.view.scenes):
            job = scene_job_id(attempt, scene.scene_id)
            await self.run(
                c.RecordFact(
                    story_id=story_id,
                    event=j.JobStarted(
                        story_id=story_id,
                        job_id=job,
                        kind=JobKind.SCENE,
                        attempt_id=attempt,
                        scene_id=scene.scene_id,
                        worker="generator",
                        attempt=1,
                    ),
                ),
                "generator",
            )
            if fail_scene and index == 1:
                await self.run(
                    c.RecordFact(
                        story_id=story_id,
                        event=j.JobRetried(
                            story_id=story_id,
                            job_id=job,
                            kind=JobKind.SCENE,
                            attempt_id=attempt,
                            scene_id=scene.scene_id,
                            attempt=1,
                            error="provider answered 503",
                            retry_in_seconds=2,
                        ),
                    ),
                    "generator",
                )
                await self.run(
                    c.RecordSceneFailure(
                        story_id=story_id,
                        attempt_id=attempt,
                        scene_id=scene.scene_id,
                        code="provider_unavailable",
                        reason="no provider answered",
                        attempts=3,
                    ),
                    "generator",
                )
                return attempt
            await self.run(
                c.RecordFact(
                    story_id=story_id,
                    event=e.CostRecorded(
                        story_id=story_id,
                        attempt_id=attempt,
                        job_id=job,
                        scene_id=scene.scene_id,
                        provider="stability",
                        operation="image",
                        units=2,
                        amount=Decimal("0.04"),
                        provider_job_id=f"p-{index}",
                    ),
                ),
                "generator",
            )
            assets = SceneAssets(
                background_key=f"{story_id}/{attempt}/{index}/bg.png", width=854, height=480
            )
            await self.run(
                c.RecordSceneGenerated(
                    story_id=story_id,
                    attempt_id=attempt,
                    scene_id=scene.scene_id,
                    assets=assets,
                    provider="stability",
                    cost=Decimal("0.04"),
                    cache_hit=False,
                    generation_seconds=1.5,
                ),
                "generator",
            )
        return attempt

    async def composed(
        self,
        story_id: str,
        stage: Stage,
        attempt: str,
        media: MediaOutput | None = None,
        finish: bool = True,
    ) -> None:
        """The attempt's video composed (and a final one finished, unless not ``finish``)."""
        await self.run(
            c.RecordFact(
                story_id=story_id,
                event=j.JobStarted(
                    story_id=story_id,
                    job_id=stage_job_id(attempt, "compose"),
                    kind=JobKind.COMPOSE,
                    attempt_id=attempt,
                    worker="compositor",
                    attempt=1,
                ),
            ),
            "compositor",
        )
        media = media or MediaOutput(
            video_key=f"{story_id}/{attempt}/out.mp4",
            thumbnail_key=f"{story_id}/{attempt}/t.jpg",
            duration_seconds=21,
            width=854,
            height=480,
            fps=24,
            size_bytes=1000,
        )
        if stage == Stage.PREVIEW:
            await self.run(
                c.RecordPreviewComposed(story_id=story_id, attempt_id=attempt, media=media),
                "compositor",
            )
            return
        await self.run(
            c.RecordFinalComposed(story_id=story_id, attempt_id=attempt, media=media),
            "compositor",
        )
        if finish:
            await self.run(
                c.RecordRenderCompleted(
                    story_id=story_id, attempt_id=attempt, media=media, upscaled=False
                ),
                "upscaler",
            )

    async def many_lives(self, owners: int = 2) -> int:
        """Several stories through every path: done, failed, cancelled, archived, edited."""
        for owner in range(owners):
            done = await self.created(f"owner-{owner}")
            await self.run(c.UpdateStory(story_id=done, changes={"title": "Edited"}))
            await self.planned(done)
            await self.generated(done, Stage.PREVIEW)
            await self.generated(done, Stage.RENDER)
            await self.run(c.Archive(story_id=done))

            failed = await self.created(f"owner-{owner}")
            await self.planned(failed)
            await self.generated(failed, Stage.PREVIEW, fail_scene=True)
            await self.run(c.RequestPlanning(story_id=failed, attempt_id=new_id()))

            cancelled = await self.created(f"owner-{owner}")
            await self.planned(cancelled, scenes=2)
            await self.run(c.RequestPreview(story_id=cancelled, attempt_id=new_id()))
            await self.run(c.Cancel(story_id=cancelled))
            view = (
                await self.run(
                    c.CreateScenes(
                        story_id=cancelled, scenes=(c.NewScene(scene_id=new_id(), fields={}),)
                    )
                )
            ).view
            await self.run(
                c.ReorderScene(story_id=cancelled, scene_id=view.scenes[-1].scene_id, position=0)
            )
        return await self.store.head()
