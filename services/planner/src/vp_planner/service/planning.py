"""Planning requested -> a plan (one ``planned`` fact with every scene) or a failure.

Scenes the creator wrote by hand are kept as the plan. Otherwise the story's planner is used:
the rules, or a language model whose answer is repaired, validated and retried, and which
falls back to the rules when it cannot deliver.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.story import commands as c
from vp_contracts.story.view import StoryView
from vp_contracts.values import JobKind, ProviderCosts, SceneSpec, Stage, StorySpec
from vp_runtime.budget import BudgetReached, Budgets, story_spender
from vp_runtime.observability.metrics import timed_generation
from vp_runtime.providers.base import TRANSIENT, ProviderError
from vp_runtime.providers.chat import Chat
from vp_runtime.stage import Job, Worker

from vp_planner.domain.llm_plan import (
    SYSTEM_PROMPT,
    PlanUnreadable,
    read_plan,
    to_scenes,
    user_prompt,
)
from vp_planner.domain.rules import plan_by_rules

log = logging.getLogger(__name__)


@dataclass
class Planner:
    worker: Worker
    chat: Chat | None
    costs: Callable[[], ProviderCosts]
    """The prices estimates count, as admins set them now."""
    default_planner: str = "rules"
    llm_tries: int = 3
    llm_backoff: float = 1.0
    budgets: Budgets | None = None
    """A language-model call is charged to the story's budgets first (None: uncapped)."""
    budget_zone: str = "UTC"

    async def on_planning_requested(
        self, recorded: RecordedEvent[Event], delivery_attempt: int
    ) -> None:
        event = recorded.event
        assert isinstance(event, e.PlanningRequested)
        view = await self.worker.log.view(event.story_id)
        if not view.is_current(event.attempt_id, Stage.PLANNING):
            log.info("planning %s is no longer current: nothing to do", event.attempt_id)
            return
        assert view.spec is not None
        job = self._job(event)
        await job.start(delivery_attempt)
        await job.tick(10, "planning the scenes")
        with timed_generation("plan"):
            scenes, planner = await self._plan(job, event, view, view.spec)
        await job.tick(90, f"{len(scenes)} scenes planned ({planner})")
        command = c.RecordPlan(
            story_id=event.story_id,
            attempt_id=event.attempt_id,
            scenes=scenes,
            planner=planner,
            costs=self.costs(),
        )
        await job.execute(command, "planned")
        await job.tick(100, "planned")

    def _job(self, event: e.PlanningRequested) -> Job:
        return self.worker.job(event.story_id, event.attempt_id, JobKind.PLANNING)

    async def _plan(
        self, job: Job, event: e.PlanningRequested, view: StoryView, spec: StorySpec
    ) -> tuple[tuple[SceneSpec, ...], str]:
        if view.scenes and view.planner is None:
            return tuple(scene.spec for scene in view.scenes), "manual"
        choice = event.planner or spec.generation_params.planner or self.default_planner
        if choice == "llm":
            if self.chat is None:
                await job.tick(20, "no language model is configured: planning by rules")
            else:
                planned = await self._by_llm(job, view, spec, self.chat)
                if planned is not None:
                    return planned, f"llm:{self.chat.model}"
        return plan_by_rules(event.story_id, spec), "rules"

    async def _by_llm(
        self, job: Job, view: StoryView, spec: StorySpec, chat: Chat
    ) -> tuple[SceneSpec, ...] | None:
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user_prompt(spec)},
        ]
        spender = (
            story_spender(self.budgets, view, self.budget_zone, self.worker.clock)
            if self.budgets is not None
            else None
        )
        for attempt in range(1, self.llm_tries + 1):
            try:
                charge = (
                    await spender.charge(chat.name, "plan", chat.estimate(messages))
                    if spender is not None
                    else None
                )
            except BudgetReached as reached:  # the rules plan for free
                log.info("planning %s by rules: %s", job.story_id, reached)
                await job.tick(
                    50, "the budget does not allow the language model: planning by rules"
                )
                return None
            try:
                answer = await chat.complete(messages)
            except ProviderError as error:
                if charge is not None:  # a call that failed cost nothing
                    await charge.settle(Decimal(0))
                await self._cost(job, chat, attempt, 0, f"error: {error}")
                if not isinstance(error, TRANSIENT):
                    log.warning("language model refused: %s", error)
                    break
                log.warning("language model call %d failed: %s", attempt, error)
                await asyncio.sleep(self.llm_backoff * 2 ** (attempt - 1))
                continue
            if charge is not None:
                await charge.settle(answer.cost)
            await self._cost(
                job, chat, attempt, answer.tokens, "ok", answer.cost, answer.request_id
            )
            try:
                return to_scenes(job.story_id, spec, read_plan(answer.text))
            except PlanUnreadable as error:
                log.warning("language model answer %d unreadable: %s", attempt, error)
                messages += [
                    {"role": "assistant", "content": answer.text[:4000]},
                    {
                        "role": "user",
                        "content": f"That was not a valid plan ({error}). Reply with the JSON object only.",
                    },
                ]
        await job.tick(50, "the language model did not deliver a plan: planning by rules")
        return None

    async def _cost(
        self,
        job: Job,
        chat: Chat,
        attempt: int,
        tokens: int,
        outcome: str,
        amount: Decimal = Decimal(0),
        request_id: str | None = None,
    ) -> None:
        fact = e.CostRecorded(
            story_id=job.story_id,
            attempt_id=job.attempt_id,
            job_id=job.job_id,
            provider=chat.name,
            operation="plan",
            units=tokens,
            amount=amount,
            provider_job_id=request_id,
            outcome=outcome[:500],
        )
        await job.record(fact, f"cost-{attempt}")

    async def give_up(self, recorded: RecordedEvent[Event], error: BaseException) -> None:
        event = recorded.event
        assert isinstance(event, e.PlanningRequested)
        command = c.RecordPlanningFailure(
            story_id=event.story_id,
            attempt_id=event.attempt_id,
            code="internal_error",
            reason=f"planning failed ({error}); try again, or plan the story by hand with bulk_create",
        )
        await self._job(event).execute(command, "failed")
