"""Planning requested -> a plan (one ``planned`` fact with every scene) or a failure.

Scenes the creator wrote by hand are kept as the plan. Otherwise the story's planner is used:
the rules, or a language model whose answer is repaired, validated and retried, and which
falls back to the rules when it cannot deliver.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import derived_id
from vp_contracts.story import commands as c
from vp_contracts.story.view import StoryView
from vp_contracts.values import JobKind, ProviderCosts, SceneSpec, Stage, StorySpec
from vp_runtime.eventstore import EventMeta, EventStore
from vp_runtime.messaging.progress import Progress
from vp_runtime.observability.metrics import timed_generation
from vp_runtime.providers.base import TRANSIENT, ProviderError
from vp_runtime.providers.chat import ChatClient

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
    store: EventStore
    chat: ChatClient | None
    progress: Progress
    worker: str
    costs: ProviderCosts
    default_planner: str = "rules"
    llm_tries: int = 3
    llm_backoff: float = 1.0

    async def on_planning_requested(
        self, recorded: RecordedEvent[Event], delivery_attempt: int
    ) -> None:
        event = recorded.event
        assert isinstance(event, e.PlanningRequested)
        view = await self.store.view(event.story_id)
        if not view.is_current(event.attempt_id, Stage.PLANNING):
            log.info("planning %s is no longer current: nothing to do", event.attempt_id)
            return
        assert view.spec is not None
        await self._fact(
            event,
            j.JobStarted(
                story_id=event.story_id,
                job_id=event.attempt_id,
                kind=JobKind.PLANNING,
                attempt_id=event.attempt_id,
                worker=self.worker,
                attempt=delivery_attempt,
            ),
            f"started-{delivery_attempt}",
        )
        await self._tick(event, 10, "planning the scenes")
        with timed_generation("plan"):
            scenes, planner = await self._plan(event, view, view.spec)
        await self._tick(event, 90, f"{len(scenes)} scenes planned ({planner})")
        command = c.RecordPlan(
            story_id=event.story_id,
            attempt_id=event.attempt_id,
            scenes=scenes,
            planner=planner,
            costs=self.costs,
        )
        await self.store.execute(command, self._meta(event, "planned"))
        await self._tick(event, 100, "planned")

    async def _plan(
        self, event: e.PlanningRequested, view: StoryView, spec: StorySpec
    ) -> tuple[tuple[SceneSpec, ...], str]:
        if view.scenes and view.planner is None:
            return tuple(scene.spec for scene in view.scenes), "manual"
        choice = event.planner or spec.generation_params.planner or self.default_planner
        if choice == "llm":
            if self.chat is None:
                await self._tick(event, 20, "no language model is configured: planning by rules")
            else:
                planned = await self._by_llm(event, spec, self.chat)
                if planned is not None:
                    return planned, f"llm:{self.chat.model}"
        return plan_by_rules(event.story_id, spec), "rules"

    async def _by_llm(
        self, event: e.PlanningRequested, spec: StorySpec, chat: ChatClient
    ) -> tuple[SceneSpec, ...] | None:
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": user_prompt(spec)},
        ]
        for attempt in range(1, self.llm_tries + 1):
            try:
                answer = await chat.complete(messages)
            except TRANSIENT as error:
                await self._cost(event, chat, attempt, 0, f"error: {error}")
                log.warning("language model call %d failed: %s", attempt, error)
                await asyncio.sleep(self.llm_backoff * 2 ** (attempt - 1))
                continue
            except ProviderError as error:
                await self._cost(event, chat, attempt, 0, f"error: {error}")
                log.warning("language model refused: %s", error)
                break
            await self._cost(
                event, chat, attempt, answer.tokens, "ok", answer.cost, answer.request_id
            )
            try:
                return to_scenes(event.story_id, spec, read_plan(answer.text))
            except PlanUnreadable as error:
                log.warning("language model answer %d unreadable: %s", attempt, error)
                messages += [
                    {"role": "assistant", "content": answer.text[:4000]},
                    {
                        "role": "user",
                        "content": f"That was not a valid plan ({error}). Reply with the JSON object only.",
                    },
                ]
        await self._tick(event, 50, "the language model did not deliver a plan: planning by rules")
        return None

    async def _cost(
        self,
        event: e.PlanningRequested,
        chat: ChatClient,
        attempt: int,
        tokens: int,
        outcome: str,
        amount: Decimal = Decimal(0),
        request_id: str | None = None,
    ) -> None:
        fact = e.CostRecorded(
            story_id=event.story_id,
            attempt_id=event.attempt_id,
            job_id=event.attempt_id,
            provider=chat.name,
            operation="plan",
            units=tokens,
            amount=amount,
            provider_job_id=request_id,
            outcome=outcome[:500],
        )
        await self._fact(event, fact, f"cost-{attempt}")

    async def _fact(self, event: e.PlanningRequested, fact: Event, what: str) -> None:
        await self.store.execute(
            c.RecordFact(story_id=event.story_id, event=fact), self._meta(event, what)
        )

    def _meta(self, event: e.PlanningRequested, what: str) -> EventMeta:
        return EventMeta(
            command_id=derived_id("planner", event.attempt_id, what),
            at=datetime.now(UTC),
            actor=self.worker,
            correlation_id=event.attempt_id,
            causation_id=event.attempt_id,
        )

    async def _tick(self, event: e.PlanningRequested, percent: float, message: str) -> None:
        await self.progress.tick(event.story_id, event.attempt_id, "planning", percent, message)

    async def give_up(self, recorded: RecordedEvent[Event], error: BaseException) -> None:
        event = recorded.event
        assert isinstance(event, e.PlanningRequested)
        command = c.RecordPlanningFailure(
            story_id=event.story_id,
            attempt_id=event.attempt_id,
            code="internal_error",
            reason=f"planning failed ({error}); try again, or plan the story by hand with bulk_create",
        )
        await self.store.execute(command, self._meta(event, "failed"))
