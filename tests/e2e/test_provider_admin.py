"""Provider admin through the REST API: an admin lists the providers, changes one (the price
the estimates count changes at once), and the change is in its audit list; other users are
refused, and a change that is not a valid configuration says what is wrong."""

from __future__ import annotations

import pytest

from tests.e2e.test_gateway_api import API, planned
from tests.support.gateway import ADMIN, RunningGateway

pytestmark = pytest.mark.e2e


async def test_an_admin_changes_a_provider_and_estimates_follow(
    gateway: RunningGateway, token: str
) -> None:
    admin = await gateway.user(ADMIN)
    story = await planned(gateway, token)
    async with gateway.client(admin) as boss, gateway.client(token) as http:
        listed = await boss.get(f"{API}/admin/providers/")
        before = (await http.get(f"{API}/stories/{story['id']}/cost_estimate/")).json()
        changed = await boss.patch(
            f"{API}/admin/providers/offline/",
            json={"cost_per_image": "0.25", "rate_limit_per_minute": 600},
        )
        after = (await http.get(f"{API}/stories/{story['id']}/cost_estimate/")).json()
        history = await boss.get(f"{API}/admin/providers/offline/history/")
        refused = await http.patch(f"{API}/admin/providers/offline/", json={"is_active": False})
        invalid = await boss.patch(f"{API}/admin/providers/offline/", json={"cost_per_image": -1})
        unknown = await boss.patch(f"{API}/admin/providers/nobody/", json={"is_active": False})
        restored = await boss.patch(f"{API}/admin/providers/offline/", json={"cost_per_image": 0})

    assert listed.status_code == 200 and [p["name"] for p in listed.json()] == ["offline"]
    assert changed.status_code == 200, changed.text
    assert changed.json()["cost_per_image"] == "0.25"
    assert changed.json()["rate_limit_per_minute"] == 600
    assert before["image_cost"] == "0.0000" and after["image_cost"] == "0.7500"  # 3 scenes
    entries = history.json()
    assert entries[-1]["config"]["cost_per_image"] == "0.25"
    assert entries[-1]["changed_by"] and entries[-1]["changed_by"] != story["owner_id"]
    assert refused.status_code == 403
    assert invalid.status_code == 422 and unknown.status_code == 404
    assert restored.status_code == 200
