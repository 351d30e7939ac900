"""Usage through the REST API equals the ledger: the cost facts on the stories' logs, summed by
day, provider, stage and project, as JSON and as CSV; a user sees only their own, an admin
everyone's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_runtime.eventstore import EventMeta

from tests.e2e.test_gateway_api import API, create, planned
from tests.support.gateway import ADMIN, RunningGateway

pytestmark = pytest.mark.e2e


async def _cost(
    gateway: RunningGateway, story: dict, operation: str, amount: str, **more: object
) -> None:
    view = await gateway.store.view(story["id"])
    attempt = view.attempt.id if view.attempt else new_id()
    fact = e.CostRecorded(
        story_id=story["id"],
        attempt_id=attempt,
        job_id=attempt,
        provider=str(more.pop("provider", "stability")),
        operation=operation,
        units=1,
        amount=Decimal(amount),
        **more,  # type: ignore[arg-type]
    )
    meta = EventMeta(command_id=new_id(), at=datetime.now(UTC), actor="generator")
    await gateway.store.execute(c.RecordFact(story_id=story["id"], event=fact), meta)


async def test_usage_equals_the_ledger_by_day_provider_stage_and_project(
    gateway: RunningGateway,
) -> None:
    alice, bob, admin = await gateway.user(), await gateway.user(), await gateway.user(ADMIN)
    first = await planned(gateway, alice)  # its attempt is the planning: stage "planning"
    launch = await create(gateway, alice, project_id="launch")
    theirs = await create(gateway, bob)
    ledger = [
        (first, "image", "0.05"),
        (first, "image", "0.05"),
        (first, "narration", "0.0016"),
        (launch, "video", "0.40"),
        (theirs, "image", "0.05"),
    ]
    for story, operation, amount in ledger:
        await _cost(gateway, story, operation, amount)
    await _cost(gateway, first, "image", "0", cache_hit=True, outcome="cache_hit")
    await _cost(gateway, first, "image", "0", outcome="error: 503", provider="runway")

    async with gateway.client(alice) as http, gateway.client(admin) as boss:
        mine = (await http.get(f"{API}/usage/")).json()
        monthly = (await http.get(f"{API}/usage/", params={"by": "month"})).json()
        project = (await http.get(f"{API}/usage/", params={"project_id": "launch"})).json()
        table = await http.get(f"{API}/usage/", params={"format": "csv"})
        snooping = await http.get(f"{API}/usage/", params={"user_id": theirs["owner_id"]})
        everyone = (await boss.get(f"{API}/usage/")).json()
        bobs = (await boss.get(f"{API}/usage/", params={"user_id": theirs["owner_id"]})).json()

    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert Decimal(mine["total_spent"]) == Decimal("0.5016")  # alice's part of the ledger
    assert mine["total_calls"] == 4
    rows = {(r["provider"], r["operation"], r["project_id"]): r for r in mine["rows"]}
    assert {r["period"] for r in mine["rows"]} == {today}
    image = rows[("stability", "image", None)]
    assert (image["calls"], image["cache_hits"], Decimal(image["spent"])) == (2, 1, Decimal("0.10"))
    assert image["stage"] == "planning"
    assert rows[("runway", "image", None)]["failed"] == 1
    assert Decimal(rows[("stability", "video", "launch")]["spent"]) == Decimal("0.40")
    assert Decimal(monthly["total_spent"]) == Decimal(mine["total_spent"])
    assert [r["project_id"] for r in project["rows"]] == ["launch"]

    assert table.headers["content-type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(table.text)))
    assert sum(Decimal(line["spent_usd"]) for line in lines) == Decimal("0.5016")
    assert len(lines) == len(mine["rows"])

    assert snooping.status_code == 403
    mine_and_bobs = {first["owner_id"], theirs["owner_id"]}
    assert mine_and_bobs <= {r["user_id"] for r in everyone["rows"]}
    assert Decimal(bobs["total_spent"]) == Decimal("0.05")
