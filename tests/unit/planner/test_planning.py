"""The planner's service layer on an in-memory log: what it records for each way a plan
comes about (rules, a language model, a model that fails), and for work that is stale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from vp_contracts.budget import BudgetScope, ScopeKind, month_of
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events import jobs as j
from vp_contracts.events import story as e
from vp_contracts.events.base import Event
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.values import ProviderCosts
from vp_planner.service.planning import Planner
from vp_runtime.budget import MemoryBudgets
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.providers.base import ProviderError, ProviderUnavailable

from tests.support.facts import Driver
from tests.unit.fakes import RecordingProgress, ScriptedChat, worker

PLAN = (
    '{"scenes": [{"duration_seconds": 10, "background": "a cave", "action": "hides",'
    ' "narration": "It hides."}, {"duration_seconds": 11, "background": "a hill",'
    ' "action": "looks", "narration": "It looks."}]}'
)


async def _requested(log: InMemoryStoryLog, planner: str | None = None) -> RecordedEvent[Event]:
    driver = Driver(log)
    story_id = await driver.created()
    outcome = await driver.run(
        c.RequestPlanning(story_id=story_id, attempt_id=new_id(), planner=planner)
    )
    return outcome.events[0]


def _planner(log: InMemoryStoryLog, chat: Any = None) -> Planner:
    return Planner(worker("planner", log), chat, ProviderCosts, llm_backoff=0)


def _of(log: InMemoryStoryLog, story_id: str, kind: type[Event]) -> list[Any]:
    return [event for event in log.events(story_id) if isinstance(event, kind)]


async def test_rules_plan_the_story_and_the_job_is_reported_start_to_finish() -> None:
    log = InMemoryStoryLog()
    requested = await _requested(log)
    planner = _planner(log)
    await planner.on_planning_requested(requested, 1)

    story_id = requested.event.story_id
    (planned,) = _of(log, story_id, e.StoryPlanned)
    assert planned.planner == "rules" and len(planned.scenes) == 3
    (started,) = _of(log, story_id, j.JobStarted)
    assert started.worker == "planner@test:1" and started.kind == "planning"
    progress = planner.worker.progress
    assert isinstance(progress, RecordingProgress)
    assert progress.percents() == [10, 90, 100]


async def test_a_redelivered_request_plans_once() -> None:
    log = InMemoryStoryLog()
    requested = await _requested(log)
    planner = _planner(log)
    await planner.on_planning_requested(requested, 1)
    await planner.on_planning_requested(requested, 1)
    assert len(_of(log, requested.event.story_id, e.StoryPlanned)) == 1


async def test_a_stale_request_records_nothing() -> None:
    log = InMemoryStoryLog()
    stale = await _requested(log)
    story_id = stale.event.story_id
    await Driver(log).run(c.Cancel(story_id=story_id))
    before = len(log.facts)
    await _planner(log).on_planning_requested(stale, 1)
    assert len(log.facts) == before


async def test_a_language_model_plan_is_kept_and_its_call_costed() -> None:
    log = InMemoryStoryLog()
    requested = await _requested(log, planner="llm")
    chat = ScriptedChat(["Sure! " + PLAN])
    await _planner(log, chat).on_planning_requested(requested, 1)

    story_id = requested.event.story_id
    (planned,) = _of(log, story_id, e.StoryPlanned)
    assert planned.planner == "llm:gpt-test"
    assert [s.prompt.action for s in planned.scenes] == ["hides", "looks"]
    (cost,) = _of(log, story_id, e.CostRecorded)
    assert (cost.operation, cost.units, cost.outcome) == ("plan", 100, "ok")


async def test_an_unreadable_answer_is_asked_again_then_a_failing_model_falls_back_to_rules() -> (
    None
):
    log = InMemoryStoryLog()
    requested = await _requested(log, planner="llm")
    chat = ScriptedChat(
        ["I cannot help with that.", ProviderUnavailable("503"), ProviderUnavailable("503")]
    )
    await _planner(log, chat).on_planning_requested(requested, 1)

    story_id = requested.event.story_id
    (planned,) = _of(log, story_id, e.StoryPlanned)
    assert planned.planner == "rules"
    assert [cost.outcome for cost in _of(log, story_id, e.CostRecorded)] == [
        "ok",
        "error: 503",
        "error: 503",
    ]
    assert "not a valid plan" in chat.sent[1][-1]["content"]


async def test_a_refusing_model_is_not_asked_again() -> None:
    log = InMemoryStoryLog()
    requested = await _requested(log, planner="llm")
    chat = ScriptedChat([ProviderError("content policy")])
    await _planner(log, chat).on_planning_requested(requested, 1)
    assert len(chat.sent) == 1
    (planned,) = _of(log, requested.event.story_id, e.StoryPlanned)
    assert planned.planner == "rules"


async def test_giving_up_records_a_planning_failure_saying_what_to_do() -> None:
    log = InMemoryStoryLog()
    requested = await _requested(log)
    await _planner(log).give_up(requested, RuntimeError("boom"))
    (failed,) = _of(log, requested.event.story_id, e.PlanningFailed)
    assert failed.code == "internal_error" and "bulk_create" in failed.reason


async def test_a_language_model_call_is_charged_and_one_over_the_budget_plans_by_rules() -> None:
    log = InMemoryStoryLog()
    requested = await _requested(log, planner="llm")
    owner = (await log.view(requested.event.story_id)).owner_id or ""
    budgets = MemoryBudgets()
    planner = Planner(
        worker("planner", log), ScriptedChat([PLAN]), ProviderCosts, llm_backoff=0, budgets=budgets
    )
    await planner.on_planning_requested(requested, 1)
    (planned,) = _of(log, requested.event.story_id, e.StoryPlanned)
    assert planned.planner.startswith("llm:")
    user = BudgetScope(ScopeKind.USER, owner)
    month = month_of(planner.worker.clock())
    assert (await budgets.status(user, month)).spent == Decimal("0.0002")  # settled: its price

    poor = await _requested(log, planner="llm")
    await budgets.set_limit(user, Decimal("0.0003"), "admin")  # the estimate is $0.0005
    chat = ScriptedChat([PLAN])
    stingy = Planner(worker("planner", log), chat, ProviderCosts, llm_backoff=0, budgets=budgets)
    await stingy.on_planning_requested(poor, 1)
    (by_rules,) = _of(log, poor.event.story_id, e.StoryPlanned)
    assert by_rules.planner == "rules" and chat.sent == []  # the call was not made
