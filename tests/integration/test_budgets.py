"""Monthly spending caps on the real budget log (JetStream) with a paid fake provider: charges
from several connections at once never cross a cap; a run that would cross it mid-way stops
before the crossing call, fails visibly and spends no more than the cap, keeps what it made,
and runs again the next month; a run whose estimate does not fit is refused before any call."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import vp_runtime.budget as budget_module
from nats.aio.client import Client
from vp_contracts.budget import BudgetScope, ScopeKind, SpendingChanged
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.story.errors import BudgetExceeded
from vp_contracts.values import ProviderCosts
from vp_gateway.service.budgets import BudgetOffice
from vp_runtime.budget import BudgetReached, Charged, JetStreamBudgets
from vp_runtime.eventstore import EventStore
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.topology import Topology
from vp_runtime.settings import RuntimeSettings
from vp_runtime.web.auth import Principal

from tests.support.facts import Driver
from tests.support.fake_providers import KEY, fake_providers
from tests.support.pipeline import stages
from tests.support.watch import has, wait_for

pytestmark = pytest.mark.integration

PRICE = Decimal("0.10")
CAP = Decimal("1.00")
NOW = datetime.now(UTC)
ADMIN = Principal("admin", "admin@example.com", "admin")


async def test_charges_from_many_replicas_at_once_never_cross_the_cap(
    nats_client: Client, topology: Topology, settings: RuntimeSettings
) -> None:
    other = await connect(settings, name="second-replica")
    try:
        books = [
            JetStreamBudgets(nats_client, topology, "/tests/a"),
            JetStreamBudgets(other, topology, "/tests/b"),
        ]
        scope = BudgetScope(ScopeKind.USER, f"user-{new_id()}")
        await books[0].set_limit(scope, CAP, "admin-1")

        async def charge(index: int) -> bool:
            try:
                await books[index % 2].change(
                    scope, "2026-12", PRICE, "charge", Charged("story", "stability"), capped=True
                )
            except BudgetReached:
                return False
            return True

        results = await asyncio.gather(*(charge(index) for index in range(24)))
        assert sum(results) == 10, "exactly the charges that fit the cap went through"
        status = await books[1].status(scope, "2026-12")
        assert status.spent == CAP and status.remaining == 0
        await books[1].set_limit(scope, Decimal("2.50"), "admin-2")
        history = await books[0].limits(scope)
        assert [(f.monthly_limit, f.set_by) for _, f in history] == [
            (CAP, "admin-1"),
            (Decimal("2.50"), "admin-2"),
        ]
    finally:
        await other.close()


async def _spending_facts(client: Client, topology: Topology) -> list[SpendingChanged]:
    js = client.jetstream()
    subscription = await js.subscribe(
        topology.subjects.all_budgets(), ordered_consumer=True, stream=topology.budget_stream
    )
    facts = []
    try:
        while True:
            try:
                message = await subscription.next_msg(timeout=0.5)
            except TimeoutError:
                return facts
            if message.subject.endswith(".spending"):
                facts.append(SpendingChanged.model_validate_json(message.data))
    finally:
        await subscription.unsubscribe()


async def test_a_run_over_the_cap_stops_before_the_crossing_call_and_runs_next_month(
    nats_client: Client,
    topology: Topology,
    settings: RuntimeSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Six scenes of two paid pictures each at $0.10 is $1.20; the estimate (one picture a
    scene, the backend guide's formula) is $0.60, so the run starts under a $1 cap and must be
    stopped by the stages before its eleventh picture."""
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    store = EventStore(nats_client, topology, source="/tests")
    driver = Driver(store)
    owner = f"owner-{new_id()}"
    office = BudgetOffice(JetStreamBudgets(nats_client, topology, "/tests"), "UTC")
    user = BudgetScope(ScopeKind.USER, owner)
    await office.set_limit(ADMIN, user, CAP, NOW)
    prices = ProviderCosts(cost_per_image=PRICE)

    async def spending() -> c.Spending:
        return c.Spending(budgets=await office.of_story(owner, None, NOW), costs=prices)

    story_id = await driver.created(  # a Korean story: its prompts go to the paid provider
        owner,
        narration=False,
        duration_seconds=42,
        language="ko",
        title="등대지기의 밤",
        description="등대지기가 폭풍 속에서 불을 밝힌다. 배들이 항구로 돌아온다.",
        character_prompt="노란 비옷을 입은 늙은 등대지기",
        background_prompt="폭풍우 치는 밤바다의 등대",
    )
    async with fake_providers() as fakes:
        provider = {**fakes.stability_provider(), "cost_per_image": str(PRICE)}
        monkeypatch.setenv("VP_PROVIDERS", json.dumps([provider]))
        async with stages(settings, tmp_path):
            # Planned by the rules (the same story gives the same plan when planned again).
            await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
            await wait_for(nats_client, topology, story_id, has(e.StoryPlanned))
            await driver.run(
                c.RequestPreview(story_id=story_id, attempt_id=new_id(), spending=await spending())
            )
            facts = await wait_for(nats_client, topology, story_id, has(e.SceneFailed))
            failed = next(f.event for f in facts if isinstance(f.event, e.SceneFailed))
            assert failed.code == "budget_reached" and f"user {owner}" in failed.reason
            view = await store.view(story_id)
            assert view.status == "failed" and view.failure is not None
            assert view.failure.code == "budget_reached"
            # Calls charged before the refusal finish; nothing past the cap is paid for, and
            # the budget log agrees with the ledger and with the provider's own count.
            paid: list[e.CostRecorded] = []
            for _ in range(40):
                facts = await store.load(story_id)
                paid = [
                    f.event
                    for f in facts
                    if isinstance(f.event, e.CostRecorded) and f.event.amount > 0
                ]
                if len(paid) >= 10:
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(1)  # and nothing more comes
            assert fakes.seen("POST", "/v1/generation/") == len(paid) == 10
            assert sum(p.amount for p in paid) == CAP
            december = (await office.of_story(owner, None, NOW))[0]
            assert december.spent == CAP

            # Refused before any call: planned again, the estimate does not fit what is left.
            await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
            await wait_for(nats_client, topology, story_id, has(e.StoryPlanned, 2))
            with pytest.raises(BudgetExceeded) as refused:
                await driver.run(
                    c.RequestPreview(
                        story_id=story_id, attempt_id=new_id(), spending=await spending()
                    )
                )
            assert refused.value.details["spent"] == "1.00"
            assert refused.value.details["budget"] == f"user {owner}"
            assert fakes.seen("POST", "/v1/generation/") == 10

            # Next month the run goes through, paying only for the pictures not made yet.
            monkeypatch.setattr(budget_module, "month_of", lambda moment, zone="UTC": "2027-01")
            january = c.Spending(
                budgets=await office.statuses((user,), datetime(2027, 1, 2, tzinfo=UTC)),
                costs=prices,
            )
            await driver.run(
                c.RequestPreview(story_id=story_id, attempt_id=new_id(), spending=january)
            )
            await wait_for(nats_client, topology, story_id, has(e.PreviewComposed), 90)
    assert fakes.seen("POST", "/v1/generation/") == 12, "the ten pictures made were kept"
    spent = [f for f in await _spending_facts(nats_client, topology) if f.month == "2027-01"]
    assert sum(f.change for f in spent if f.scope == ScopeKind.USER) == Decimal("0.20")
