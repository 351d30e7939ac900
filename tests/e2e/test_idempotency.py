"""The Idempotency-Key contract through the REST API: a repeat replays, another request under a
used key is refused, and no acknowledged write is ever lost (restart included)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.support.gateway import RunningGateway

pytestmark = pytest.mark.e2e
API = "/api/ai-video"
STORY = {
    "title": "A",
    "character_prompt": "a small red fox",
    "background_prompt": "a misty pine forest",
    "duration_seconds": 7,
}


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def _story(gateway: RunningGateway, token: str, title: str) -> dict[str, Any]:
    async with gateway.client(token) as http:
        answer = await http.post(f"{API}/stories/", json={**STORY, "title": title})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


async def test_one_key_on_two_stories_never_loses_the_second_write(
    gateway: RunningGateway,
) -> None:
    token = await gateway.user()
    a, b = await _story(gateway, token, "A"), await _story(gateway, token, "B")
    same = key()
    async with gateway.client(token) as http:
        first = await http.patch(f"{API}/stories/{a['id']}/", json={"title": "A-one"}, headers=same)
        second = await http.patch(
            f"{API}/stories/{b['id']}/", json={"title": "B-one"}, headers=same
        )
        assert first.status_code == 200 and first.json()["title"] == "A-one"
        assert second.status_code == 422, second.text
        error = second.json()["error"]
        assert error["code"] == "idempotency_key_reused"
        assert "another request" in error["message"] and a["id"] in error["message"]

        # What B answers is what is stored: fresh gateway caches and the log agree.
        await gateway.restart()
        assert (await http.get(f"{API}/stories/{b['id']}/")).json()["title"] == "B"
        assert (await gateway.store.view(b["id"])).spec.title == "B"  # type: ignore[union-attr]
        listed = {
            s["id"]: s["title"] for s in (await http.get(f"{API}/stories/")).json()["results"]
        }
        assert listed == {a["id"]: "A-one", b["id"]: "B"}
        history = (await http.get(f"{API}/stories/{b['id']}/history/")).json()
        assert [row["type"] for row in history] == ["vp.story.created.v1"]


async def test_a_repeat_with_the_same_body_replays_the_first_answer(
    gateway: RunningGateway,
) -> None:
    token = await gateway.user()
    headers = key()
    async with gateway.client(token) as http:
        first = await http.post(f"{API}/stories/", json=STORY, headers=headers)
        # Same content, other key order and spacing: the same request.
        body = (
            '{ "duration_seconds": 7, "background_prompt": "a misty pine forest",'
            ' "character_prompt": "a small red fox", "title": "A" }'
        )
        again = await http.post(
            f"{API}/stories/",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
        listed = (await http.get(f"{API}/stories/")).json()["results"]
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert [story["id"] for story in listed] == [first.json()["id"]]


async def test_a_used_key_with_another_body_is_refused_and_writes_nothing(
    gateway: RunningGateway,
) -> None:
    token = await gateway.user()
    story = await _story(gateway, token, "Kept")
    headers = key()
    async with gateway.client(token) as http:
        first = await http.patch(
            f"{API}/stories/{story['id']}/", json={"title": "One"}, headers=headers
        )
        other = await http.patch(
            f"{API}/stories/{story['id']}/", json={"title": "Two"}, headers=headers
        )
        after = (await http.get(f"{API}/stories/{story['id']}/")).json()
    assert first.status_code == 200
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert after["title"] == "One" and after["version"] == first.json()["version"]


async def test_keys_are_per_user_and_refusals_are_replayed_too(gateway: RunningGateway) -> None:
    alice, bob = await gateway.user(), await gateway.user()
    story = await _story(gateway, alice, "Alice's")
    shared = key()
    async with gateway.client(alice) as http:
        refused = await http.post(f"{API}/stories/{story['id']}/render_final/", headers=shared)
        again = await http.post(f"{API}/stories/{story['id']}/render_final/", headers=shared)
    async with gateway.client(bob) as http:
        bobs = await http.post(f"{API}/stories/", json=STORY, headers=shared)
    assert refused.status_code == again.status_code == 409
    assert again.json() == refused.json() and again.headers["idempotent-replayed"] == "true"
    assert bobs.status_code == 201


async def test_concurrent_repeats_apply_once(gateway: RunningGateway) -> None:
    token = await gateway.user()
    story = await _story(gateway, token, "Race")
    headers = key()
    async with gateway.client(token) as http:
        answers = await asyncio.gather(
            *(
                http.post(
                    f"{API}/stories/{story['id']}/transition/",
                    json={"to": "planning"},
                    headers=headers,
                )
                for _ in range(6)
            )
        )
        history = (await http.get(f"{API}/stories/{story['id']}/history/")).json()
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 409} and statuses.count(200) >= 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["error"]["code"] == "idempotency_in_progress"
            assert int(answer.headers["retry-after"]) >= 1
    assert [row["type"] for row in history] == [
        "vp.story.created.v1",
        "vp.story.planning_requested.v1",
        "vp.story.content_checked.v1",
    ]


async def test_a_malformed_key_is_refused_naming_the_header(gateway: RunningGateway) -> None:
    token = await gateway.user()
    async with gateway.client(token) as http:
        answer = await http.post(
            f"{API}/stories/", json=STORY, headers={"Idempotency-Key": "short"}
        )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["errors"][0]["field"] == "Idempotency-Key"
