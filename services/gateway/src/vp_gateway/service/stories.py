"""User commands on stories and scenes: load, check ownership, decide, append.

Every command runs through the event store, which retries write conflicts inside the
gateway. The outcome carries the story as folded after the command, so the answer always
shows the user's own write.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from vp_contracts.ids import derived_id
from vp_contracts.story import commands as c
from vp_contracts.story.decider.guards import with_verdict
from vp_contracts.story.errors import IllegalTransition, NotFound, Refused
from vp_contracts.story.view import StoryView
from vp_contracts.values import ProviderCosts, StorySpec, StoryStatus
from vp_runtime.eventstore import EventMeta, Outcome, StoryLog
from vp_runtime.web.access import can_change, can_read
from vp_runtime.web.auth import Principal

from vp_gateway.service.budgets import BudgetOffice
from vp_gateway.service.policy import ContentPolicy, refuse_if_blocked


class Forbidden(Refused):
    """An admin may read other users' stories but not change them."""

    code = "forbidden"


IN_GENERATION = (StoryStatus.PLANNING, StoryStatus.PREVIEWING, StoryStatus.RENDERING)
PAID_TARGETS = frozenset({StoryStatus.PREVIEWING, StoryStatus.RENDERING})


class TooManyInGeneration(Refused):
    """The user already has as many stories in generation as the quota allows."""

    code = "too_many_stories_in_generation"
    retry_after_seconds = 30


class ActiveStories(Protocol):
    async def in_generation(self, owner_id: str) -> Sequence[str]:
        """Ids of the owner's stories being planned, previewed or rendered."""
        ...


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` stories of one user in generation at once (fair sharing of the
    workers between users: one user's batch of 50 stories cannot fill the queues)."""

    limit: int
    active: ActiveStories


VARIANT_SOURCES = frozenset({StoryStatus.PLANNED, StoryStatus.PREVIEW_READY, StoryStatus.COMPLETED})
VARIANT_SEED_STEP = 7919
"""Seeds of the n-th variant: the source's plus n times this prime (other pictures)."""
SEEDS = 2**31


@dataclass(frozen=True)
class RequestContext:
    """Who asks, when, and the ids of the request.

    ``command_id`` derives every id the command makes (event ids, a new story's id, attempt and
    job ids): fresh for each request, or the one stored with the request's Idempotency-Key, so a
    request run again after a crash makes the same ids and nothing is written twice.
    ``request_id`` only correlates logs and facts (a client may choose it).
    """

    principal: Principal
    at: datetime
    request_id: str
    command_id: str

    def meta(self) -> EventMeta:
        return EventMeta(
            command_id=self.command_id,
            at=self.at,
            actor=self.principal.user_id,
            correlation_id=self.request_id,
        )

    def new_id(self, kind: str) -> str:
        """The id of the ``kind`` thing (story, attempt, job) this request makes."""
        return derived_id(kind, self.command_id)


class Stories:
    def __init__(
        self,
        store: StoryLog,
        costs: Callable[[], ProviderCosts],
        quota: Quota | None = None,
        budgets: BudgetOffice | None = None,
        policy: ContentPolicy | None = None,
    ) -> None:
        self._store = store
        self._costs = costs
        self._quota = quota
        self._budgets = budgets
        self._policy = policy

    async def _verdict(
        self, view: StoryView, scene_ids: Sequence[str] | None = None
    ) -> c.ContentVerdict | None:
        """The content policy's decision on what the run would make (None: no policy)."""
        return None if self._policy is None else await self._policy.verdict(view, scene_ids)

    async def _run_checked(self, command: c.Command, ctx: RequestContext) -> Outcome:
        """Run a command that starts a paid run; a refused one records only the decision and
        answers what to change."""
        outcome = await self._run(command, ctx)
        refuse_if_blocked(getattr(command, "content", None))
        return outcome

    async def _spending(self, view: StoryView, ctx: RequestContext) -> c.Spending:
        """The budgets the story's next run counts against and the prices to estimate it."""
        if self._budgets is None:
            return c.Spending(costs=self._costs())
        project = view.spec.project_id if view.spec else None
        budgets = await self._budgets.of_story(view.owner_id, project, ctx.at)
        return c.Spending(budgets=budgets, costs=self._costs())

    async def _admitted(self, story_id: str, principal: Principal) -> StoryView:
        """The owned story, if its owner may start one more generation."""
        view = await self._owned(story_id, principal)
        if self._quota is None or view.owner_id is None:
            return view
        others = [i for i in await self._quota.active.in_generation(view.owner_id) if i != story_id]
        if len(others) >= self._quota.limit:
            raise TooManyInGeneration(
                f"you already have {len(others)} stories in generation (the limit is"
                f" {self._quota.limit}): wait until one is ready, or cancel one, then try again",
                {"in_generation": sorted(others), "limit": self._quota.limit},
            )
        return view

    async def read(self, story_id: str, principal: Principal) -> StoryView:
        """The story, folded from the log; NotFound unless the caller owns it (or is an admin)."""
        view = await self._store.view(story_id)
        if not view.exists or not can_read(principal, view.owner_id):
            raise NotFound(f"story {story_id} does not exist")
        return view

    async def _owned(self, story_id: str, principal: Principal) -> StoryView:
        view = await self.read(story_id, principal)
        if not can_change(principal, view.owner_id):
            raise Forbidden("admins can read other users' stories but not change them")
        return view

    async def _run(self, command: c.Command, ctx: RequestContext) -> Outcome:
        return await self._store.execute(command, ctx.meta())

    async def record(self, ctx: RequestContext, command: c.RecordFact) -> Outcome:
        """Record a plain fact (a job cancelled by its owner)."""
        await self._owned(command.story_id, ctx.principal)
        return await self._run(command, ctx)

    async def create(self, ctx: RequestContext, spec: StorySpec) -> Outcome:
        command = c.CreateStory(
            story_id=ctx.new_id("story"),
            owner_id=ctx.principal.user_id,
            spec=spec,
            costs=self._costs(),
        )
        return await self._run(command, ctx)

    async def update(
        self, ctx: RequestContext, story_id: str, changes: Mapping[str, Any]
    ) -> Outcome:
        await self._owned(story_id, ctx.principal)
        return await self._run(
            c.UpdateStory(story_id=story_id, changes=changes, costs=self._costs()), ctx
        )

    async def transition(self, ctx: RequestContext, story_id: str, to: StoryStatus) -> Outcome:
        if to in IN_GENERATION:
            view = await self._admitted(story_id, ctx.principal)
        else:
            view = await self._owned(story_id, ctx.principal)
        spending = await self._spending(view, ctx) if to in PAID_TARGETS else c.Spending()
        planning = to == StoryStatus.PLANNING  # only the story's fields: no scenes yet
        content = (
            await self._verdict(view, () if planning else None) if to in IN_GENERATION else None
        )
        command = c.Transition(
            story_id=story_id,
            to=to,
            attempt_id=ctx.new_id("attempt"),
            spending=spending,
            content=content,
        )
        return await self._run_checked(command, ctx)

    async def plan(self, ctx: RequestContext, story_id: str, planner: str | None = None) -> Outcome:
        view = await self._admitted(story_id, ctx.principal)
        command = c.RequestPlanning(
            story_id=story_id,
            attempt_id=ctx.new_id("attempt"),
            planner=planner,
            content=await self._verdict(view, ()),  # the story's fields: no scenes yet
        )
        return await self._run_checked(command, ctx)

    async def preview(self, ctx: RequestContext, story_id: str) -> Outcome:
        view = await self._admitted(story_id, ctx.principal)
        command = c.RequestPreview(
            story_id=story_id,
            attempt_id=ctx.new_id("attempt"),
            spending=await self._spending(view, ctx),
            content=await self._verdict(view),
        )
        return await self._run_checked(command, ctx)

    async def variants(self, ctx: RequestContext, story_id: str, count: int) -> list[Outcome]:
        """``count`` new stories with the story's spec and plan but new seeds, each previewed:
        what the creator compares side by side before taking one to the final. The quota is
        checked for all of them before any is made."""
        source = await self._owned(story_id, ctx.principal)
        if source.status not in VARIANT_SOURCES or source.spec is None:
            status = source.status.value if source.status else "missing"
            raise IllegalTransition(
                f"variants are made from a planned story (this one is {status}): plan it first",
                source.status or StoryStatus.DRAFT,
                VARIANT_SOURCES,
            )
        if self._quota is not None and source.owner_id is not None:
            busy = await self._quota.active.in_generation(source.owner_id)
            if len(busy) + count > self._quota.limit:
                raise TooManyInGeneration(
                    f"{count} variants would make {len(busy) + count} stories in generation (the"
                    f" limit is {self._quota.limit}): ask for fewer, or wait until some are ready",
                    {"in_generation": sorted(busy), "limit": self._quota.limit},
                )
        content = await self._verdict(source)
        if content is not None and not content.allowed:  # recorded on the source, none made
            (decision,) = with_verdict(content, source.story_id, "preview", [])
            await self._run(c.RecordFact(story_id=source.story_id, event=decision), ctx)
            refuse_if_blocked(content)
        spending = await self._spending(source, ctx)  # one look at the budgets for them all
        made = []
        for number in range(1, count + 1):
            own = replace(ctx, command_id=derived_id(f"variant-{number}", ctx.command_id))
            shift = VARIANT_SEED_STEP * number
            spec = source.spec.model_copy(
                update={
                    "generation_params": source.spec.generation_params.model_copy(
                        update={"seed": ((source.spec.generation_params.seed or 0) + shift) % SEEDS}
                    )
                }
            )
            scenes = tuple(
                scene.spec.model_copy(
                    update={
                        "scene_id": own.new_id(f"scene-{index}"),
                        "seed": (scene.spec.seed + shift) % SEEDS,
                    }
                )
                for index, scene in enumerate(source.scenes)
            )
            variant_id = own.new_id("story")
            await self._run(
                c.CreateVariant(
                    story_id=variant_id,
                    owner_id=ctx.principal.user_id,
                    variant_of=source.story_id,
                    spec=spec,
                    scenes=scenes,
                    attempt_id=own.new_id("plan"),
                    costs=self._costs(),
                ),
                own,
            )
            # A command of its own (its ids and facts are derived from its command id).
            preview = replace(own, command_id=derived_id("preview", own.command_id))
            command = c.RequestPreview(
                story_id=variant_id,
                attempt_id=preview.new_id("attempt"),
                spending=spending,
                content=content,
            )
            made.append(await self._run(command, preview))
        return made

    async def render(self, ctx: RequestContext, story_id: str) -> Outcome:
        view = await self._admitted(story_id, ctx.principal)
        command = c.RequestRender(
            story_id=story_id,
            attempt_id=ctx.new_id("attempt"),
            spending=await self._spending(view, ctx),
            content=await self._verdict(view),
        )
        return await self._run_checked(command, ctx)

    async def archive(self, ctx: RequestContext, story_id: str) -> Outcome:
        await self._owned(story_id, ctx.principal)
        return await self._run(c.Archive(story_id=story_id), ctx)

    async def cancel(self, ctx: RequestContext, story_id: str, attempt_id: str | None) -> Outcome:
        await self._owned(story_id, ctx.principal)
        return await self._run(c.Cancel(story_id=story_id, attempt_id=attempt_id), ctx)

    async def give_feedback(
        self, ctx: RequestContext, story_id: str, rating: int, comment: str
    ) -> Outcome:
        await self._owned(story_id, ctx.principal)
        return await self._run(
            c.GiveFeedback(story_id=story_id, rating=rating, comment=comment), ctx
        )

    async def add_scenes(
        self, ctx: RequestContext, story_id: str, scenes: list[dict[str, Any]]
    ) -> Outcome:
        await self._owned(story_id, ctx.principal)
        new = tuple(
            c.NewScene(scene_id=ctx.new_id(f"scene-{index}"), fields=fields)
            for index, fields in enumerate(scenes)
        )
        return await self._run(c.CreateScenes(story_id=story_id, scenes=new), ctx)

    async def update_scene(
        self, ctx: RequestContext, story_id: str, scene_id: str, changes: Mapping[str, Any]
    ) -> Outcome:
        await self._owned(story_id, ctx.principal)
        return await self._run(
            c.UpdateScene(story_id=story_id, scene_id=scene_id, changes=changes), ctx
        )

    async def reorder_scene(
        self, ctx: RequestContext, story_id: str, scene_id: str, position: int
    ) -> Outcome:
        await self._owned(story_id, ctx.principal)
        return await self._run(
            c.ReorderScene(story_id=story_id, scene_id=scene_id, position=position), ctx
        )

    async def generate_scene(
        self, ctx: RequestContext, story_id: str, scene_id: str, seed: int | None
    ) -> tuple[Outcome, str]:
        """Queue the scene's generation again; the outcome and the new job's id."""
        view = await self._admitted(story_id, ctx.principal)
        scene = view.scene(scene_id)
        if scene is None:
            raise NotFound(f"scene {scene_id} does not exist")
        job_id = ctx.new_id("scene-job")
        next_seed = seed if seed is not None else (scene.spec.seed + 1) % (2**31)
        command = c.RequestSceneGeneration(
            story_id=story_id,
            scene_id=scene_id,
            job_id=job_id,
            seed=next_seed,
            spending=await self._spending(view, ctx),
            content=await self._verdict(view, (scene_id,)),
        )
        return await self._run_checked(command, ctx), job_id
