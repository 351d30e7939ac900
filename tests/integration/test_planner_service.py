"""The planner service on real NATS: rules, and a language model that answers in fences,
with broken JSON, or not at all."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_planner.bootstrap import running
from vp_planner.settings import PlannerSettings
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.topology import Topology
from vp_runtime.settings import RuntimeSettings

from tests.support.facts import Driver
from tests.support.fake_providers import KEY, FakeProviders, fake_providers
from tests.support.watch import has, wait_for

pytestmark = pytest.mark.integration
PLAN = {
    "scenes": [
        {
            "duration_seconds": 8,
            "background": "a dark cave",
            "action": "hides",
            "motion": "fast",
            "narration": "It hides.",
        },
        {
            "duration_seconds": 6,
            "background": "a sunny hill",
            "action": "looks out",
            "narration": "It looks out.",
        },
        {
            "duration_seconds": 7,
            "background": "a river",
            "action": "drinks",
            "narration": "It drinks.",
        },
    ]
}


@pytest.fixture
async def fakes(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeProviders]:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    async with fake_providers() as running_fakes:
        providers = [
            {
                "name": "chat",
                "kind": "openai",
                "api_key_env": "FAKE_PROVIDER_KEY",
                "cost_per_1k_tokens": "0.15",
                "settings": {"base_url": running_fakes.url, "model": "fake-model", "timeout": 0.5},
            }
        ]
        monkeypatch.setenv("VP_PROVIDERS", json.dumps(providers))
        yield running_fakes


async def plan(
    client: Client, topology: Topology, settings: RuntimeSettings, planner: str | None
) -> list:  # type: ignore[type-arg]
    store = EventStore(client, topology, source="/tests")
    driver = Driver(store)
    story_id = await driver.created()
    async with running(PlannerSettings(**settings.model_dump())):
        await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id(), planner=planner))
        return await wait_for(
            client,
            topology,
            story_id,
            lambda facts: has(e.StoryPlanned)(facts) or has(e.PlanningFailed)(facts),
        )


def planned(facts: list) -> e.StoryPlanned:  # type: ignore[type-arg]
    return next(f.event for f in facts if isinstance(f.event, e.StoryPlanned))


async def test_the_rules_plan_seven_second_scenes(
    nats_client: Client, topology: Topology, settings: RuntimeSettings
) -> None:
    facts = await plan(nats_client, topology, settings, "rules")
    event = planned(facts)
    assert event.planner == "rules"
    assert [s.duration_seconds for s in event.scenes] == [7, 7, 7]
    assert [s.narration for s in event.scenes] == ["One.", "Two.", "Three."]


async def test_a_fenced_llm_answer_becomes_the_plan(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, fakes: FakeProviders
) -> None:
    fakes.chat_answers.append(("text", f"Here it is:\n```json\n{json.dumps(PLAN)}\n```"))
    facts = await plan(nats_client, topology, settings, "llm")
    event = planned(facts)
    assert event.planner == "llm:fake-model"
    assert [s.prompt.background for s in event.scenes] == ["a dark cave", "a sunny hill", "a river"]
    assert {s.prompt.character for s in event.scenes} == {"a fox"}
    assert sum(s.duration_seconds for s in event.scenes) == 21
    costs = [f.event for f in facts if isinstance(f.event, e.CostRecorded)]
    assert [(c.operation, c.units, str(c.amount)) for c in costs] == [("plan", 200, "0.03")]


async def test_broken_json_is_sent_back_and_the_second_answer_is_used(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, fakes: FakeProviders
) -> None:
    fakes.chat_answers.extend(
        [("text", '{"scenes": [{"duration_seconds": 7, "background": '), ("text", json.dumps(PLAN))]
    )
    facts = await plan(nats_client, topology, settings, "llm")
    assert planned(facts).planner == "llm:fake-model"
    assert fakes.seen("POST", "/v1/chat/completions") == 2
    retry = next(b for m, p, b in reversed(fakes.requests) if p == "/v1/chat/completions")
    assert "not a valid plan" in retry["messages"][-1]["content"]


async def test_a_model_that_times_out_falls_back_to_the_rules(
    nats_client: Client, topology: Topology, settings: RuntimeSettings, fakes: FakeProviders
) -> None:
    fakes.chat_answers.extend([("sleep", 2), ("sleep", 2), ("sleep", 2)])
    facts = await plan(nats_client, topology, settings, "llm")
    assert planned(facts).planner == "rules"
    failed_calls = [f.event for f in facts if isinstance(f.event, e.CostRecorded)]
    assert len(failed_calls) == 3 and all(c.outcome.startswith("error") for c in failed_calls)
