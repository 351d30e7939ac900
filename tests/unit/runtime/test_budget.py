"""Spending caps, as the decider checks them before a run and as the stages charge each paid
call while it runs (in memory: the JetStream budget log is tested in the integration suite)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from vp_contracts.budget import BudgetScope, BudgetStatus, ScopeKind, month_of, scopes_of
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.story.errors import BudgetExceeded
from vp_contracts.values import ProviderCosts
from vp_generator.adapters.offline.provider import OfflineProvider
from vp_runtime.budget import BudgetReached, MemoryBudgets, Spender
from vp_runtime.eventstore import InMemoryStoryLog
from vp_runtime.providers.base import Capability, Generated, ImageRequest
from vp_runtime.providers.config import OFFLINE, ProviderConfig
from vp_runtime.providers.router import ProviderRouter, Routed
from vp_runtime.storage import InMemoryStorage

from tests.support.facts import Driver

ALICE = BudgetScope(ScopeKind.USER, "alice")
EVERYONE = BudgetScope(ScopeKind.GLOBAL)
DECEMBER = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
JANUARY = datetime(2027, 1, 1, 0, 1, tzinfo=UTC)
PRICES = ProviderCosts(cost_per_image=Decimal("0.05"), cost_per_video_second=Decimal("0.01"))


def _capped(limit: str, spent: str = "0") -> BudgetStatus:
    return BudgetStatus(ALICE, "2026-12", Decimal(limit), Decimal(spent))


async def _planned(log: InMemoryStoryLog, scenes: int = 3) -> str:
    driver = Driver(log)
    story_id = await driver.created("alice", narration=False)
    await driver.planned(story_id, scenes=scenes)
    return story_id


# -- before a run: the decider ---------------------------------------------------------


async def test_a_preview_whose_estimate_does_not_fit_is_refused_naming_the_budget() -> None:
    log = InMemoryStoryLog()
    story_id = await _planned(log)
    spending = c.Spending(budgets=(_capped("1.00", "0.90"),), costs=PRICES)
    with pytest.raises(BudgetExceeded) as refused:
        await Driver(log).run(
            c.RequestPreview(story_id=story_id, attempt_id=new_id(), spending=spending)
        )
    details = refused.value.details
    assert details["budget"] == "user alice" and details["limit"] == "1.00"
    assert details["spent"] == "0.90" and Decimal(details["cost"]) > Decimal("0.10")
    assert "this preview would cost" in refused.value.message
    assert (await log.view(story_id)).status == "planned"  # nothing written


async def test_a_run_that_fits_starts_and_an_uncapped_budget_never_refuses() -> None:
    log = InMemoryStoryLog()
    story_id = await _planned(log)
    uncapped = BudgetStatus(EVERYONE, "2026-12", None, Decimal("1000"))
    spending = c.Spending(budgets=(_capped("5.00", "1.00"), uncapped), costs=PRICES)
    outcome = await Driver(log).run(
        c.RequestPreview(story_id=story_id, attempt_id=new_id(), spending=spending)
    )
    assert isinstance(outcome.events[0].event, e.PreviewRequested)


async def test_the_transition_endpoint_and_scene_regeneration_are_checked_too() -> None:
    log = InMemoryStoryLog()
    story_id = await _planned(log)
    spent = c.Spending(budgets=(_capped("1.00", "1.00"),), costs=PRICES)
    with pytest.raises(BudgetExceeded):
        await Driver(log).run(
            c.Transition(story_id=story_id, to="previewing", attempt_id=new_id(), spending=spent)
        )
    scene_id = (await log.view(story_id)).scenes[0].scene_id
    with pytest.raises(BudgetExceeded) as refused:
        await Driver(log).run(
            c.RequestSceneGeneration(
                story_id=story_id, scene_id=scene_id, job_id=new_id(), seed=1, spending=spent
            )
        )
    assert refused.value.details["cost"] == "0.05"


# -- while it runs: charging each paid call ----------------------------------------------


async def test_a_charge_that_does_not_fit_one_budget_is_charged_to_none() -> None:
    budgets = MemoryBudgets()
    await budgets.set_limit(EVERYONE, Decimal("0.10"), "admin")
    spender = Spender(budgets, scopes_of("alice", None), "story", lambda: DECEMBER)
    await spender.charge("stability", "image", Decimal("0.06"))
    with pytest.raises(BudgetReached) as reached:
        await spender.charge("stability", "image", Decimal("0.06"))
    assert "the global budget is $0.10" in str(reached.value)
    assert (await budgets.status(ALICE, "2026-12")).spent == Decimal("0.06")  # given back
    assert (await budgets.status(EVERYONE, "2026-12")).spent == Decimal("0.06")


async def test_a_charge_is_settled_with_the_actual_price_and_a_failed_call_is_refunded() -> None:
    budgets = MemoryBudgets()
    spender = Spender(budgets, (ALICE,), "story", lambda: DECEMBER)
    charge = await spender.charge("runway", "video", Decimal("0.40"))
    await charge.settle(Decimal("0.35"))
    failed = await spender.charge("runway", "video", Decimal("0.40"))
    await failed.settle(Decimal(0))
    assert (await budgets.status(ALICE, "2026-12")).spent == Decimal("0.35")
    reasons = [getattr(fact, "reason", None) for fact in budgets.facts]
    assert reasons == ["charge", "settle", "charge", "refund"]


async def test_a_new_month_starts_from_nothing() -> None:
    budgets = MemoryBudgets()
    await budgets.set_limit(ALICE, Decimal("0.10"), "admin")
    december = Spender(budgets, (ALICE,), "story", lambda: DECEMBER)
    await december.charge("stability", "image", Decimal("0.10"))
    with pytest.raises(BudgetReached):
        await december.charge("stability", "image", Decimal("0.01"))
    january = Spender(budgets, (ALICE,), "story", lambda: JANUARY)
    await january.charge("stability", "image", Decimal("0.10"))
    assert month_of(JANUARY) == "2027-01"
    assert month_of(DECEMBER, "Asia/Seoul") == "2027-01"  # 08:59 on 1 January in Seoul


class PaidPainter(OfflineProvider):
    """The offline painter billed like a cloud image provider, counting its calls."""

    def __init__(self, price: Decimal) -> None:
        super().__init__(OFFLINE)
        self.name, self.price, self.calls = "paid", price, 0

    def estimate_cost(self, capability: Capability, units: float) -> Decimal:
        return self.price * Decimal(str(units))

    async def generate_image(self, request: ImageRequest, call_key: str) -> Generated:
        self.calls += 1
        made = await super().generate_image(request, call_key)
        return Generated(made.data, made.content_type, self.price, 1)


async def test_the_router_does_not_make_a_call_that_would_cross_the_cap() -> None:
    painter = PaidPainter(Decimal("0.05"))
    router = ProviderRouter(
        [Routed(ProviderConfig(name="paid", kind="stability"), painter)], InMemoryStorage(), None
    )
    budgets = MemoryBudgets()
    await budgets.set_limit(ALICE, Decimal("0.12"), "admin")
    spender = Spender(budgets, (ALICE,), "story", lambda: DECEMBER)
    calls: list[Any] = []

    async def ledger(call: Any) -> None:
        calls.append(call)

    def fox(seed: int) -> Any:
        return lambda _: ImageRequest(prompt="a fox", width=64, height=36, seed=seed)

    for seed in (1, 2):
        await router.produce(Capability.IMAGE, fox(seed), ledger, spender=spender)
    with pytest.raises(BudgetReached):
        await router.produce(Capability.IMAGE, fox(3), ledger, spender=spender)
    assert painter.calls == 2, "the crossing call was not made"
    assert sum(call.amount for call in calls) == Decimal("0.10")
    assert (await budgets.status(ALICE, "2026-12")).spent == Decimal("0.10")
