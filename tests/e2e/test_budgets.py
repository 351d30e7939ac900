"""Spending caps through the REST API: an admin sets them (audited), a user sees theirs, and
a preview, render or scene regeneration whose estimate does not fit is refused (402) before
anything is queued, naming the budget, what is spent and what the run would cost."""

from __future__ import annotations

import json

import pytest
from vp_devtools import devnats

from tests.e2e.test_gateway_api import API, create, planned
from tests.support.gateway import ADMIN, running_gateway

pytestmark = pytest.mark.e2e

PAID = [{"name": "stability", "kind": "stability", "cost_per_image": "0.05"}]


async def test_a_run_over_the_budget_is_refused_before_anything_is_queued(
    nats_server: devnats.NatsServerProcess, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VP_PROVIDERS", json.dumps(PAID))
    async with running_gateway(nats_server, database_url) as gateway:
        admin, alice = await gateway.user(ADMIN), await gateway.user()
        story = await planned(gateway, alice)
        other = await create(gateway, alice, project_id="launch")
        owner = story["owner_id"]
        async with gateway.client(admin) as boss, gateway.client(alice) as http:
            cap = await boss.put(
                f"{API}/admin/budgets/user/{owner}/", json={"monthly_limit": "0.10"}
            )
            project = await boss.put(
                f"{API}/admin/budgets/project/launch/", json={"monthly_limit": 5}
            )
            by_user = await http.put(
                f"{API}/admin/budgets/user/{owner}/", json={"monthly_limit": "100"}
            )
            negative = await boss.put(f"{API}/admin/budgets/global/", json={"monthly_limit": -1})
            mine = await http.get(f"{API}/budgets/", params={"project_id": "launch"})
            refused = await http.post(f"{API}/stories/{story['id']}/generate_preview/")
            scene_id = story["scenes"][0]["id"]
            one_scene = await http.post(f"{API}/scenes/{scene_id}/generate/")
            after = await http.get(f"{API}/stories/{story['id']}/")
            raised = await boss.put(
                f"{API}/admin/budgets/user/{owner}/", json={"monthly_limit": "1.00"}
            )
            started = await http.post(f"{API}/stories/{story['id']}/generate_preview/")
            audit = await boss.get(f"{API}/admin/budgets/user/{owner}/")

    assert cap.status_code == 200, cap.text
    assert cap.json()["monthly_limit"] == "0.10" and cap.json()["spent"] == "0"
    assert project.json()["budget"] == "project launch"
    assert by_user.status_code == 403
    assert negative.status_code == 422
    assert [b["scope"] for b in mine.json()] == ["user", "project", "global"]
    assert mine.json()[0]["remaining"] == "0.10" and mine.json()[2]["monthly_limit"] is None

    assert refused.status_code == 402, refused.text
    error = refused.json()["error"]
    assert error["code"] == "budget_exceeded"
    assert f"user {owner} is $0.10" in error["message"]
    assert error["details"]["cost"] == "0.15"  # three scenes at $0.05
    assert one_scene.status_code == 202, one_scene.text  # one picture, $0.05: it fits
    assert after.json()["status"] == "planned"  # nothing was written by the refusal
    assert raised.status_code == 200 and started.status_code == 202, started.text
    history = audit.json()["history"]
    assert [h["monthly_limit"] for h in history] == ["0.10", "1.00"]
    assert len({h["set_by"] for h in history}) == 1 and history[0]["set_by"] != owner
    assert other["project_id"] == "launch"
