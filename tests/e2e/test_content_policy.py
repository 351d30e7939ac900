"""The content policy through the REST API, with the OpenAI-compatible moderation adapter
against its local fake: a Korean and an English story naming a protected character are
refused before anything is queued, naming the field; the moderation service's flags refuse
too; every decision is a fact on the story's log."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from vp_devtools import devnats

from tests.e2e.test_gateway_api import API, STORY
from tests.support.fake_providers import KEY, fake_providers
from tests.support.gateway import RunningGateway, running_gateway

pytestmark = pytest.mark.e2e


async def _plan(http: httpx.AsyncClient, **changes: Any) -> tuple[httpx.Response, list[Any]]:
    story = (await http.post(f"{API}/stories/", json={**STORY, **changes})).json()
    answer = await http.post(f"{API}/stories/{story['id']}/transition/", json={"to": "planning"})
    history = (await http.get(f"{API}/stories/{story['id']}/history/")).json()
    return answer, history


def _types(history: list[Any]) -> list[str]:
    return [row["type"].removeprefix("vp.story.").removesuffix(".v1") for row in history]


async def test_protected_names_and_flagged_text_are_refused_before_any_run(
    nats_server: devnats.NatsServerProcess, database_url: str
) -> None:
    async with (
        fake_providers() as fakes,
        running_gateway(
            nats_server, database_url, moderation_url=fakes.url, moderation_api_key=KEY
        ) as gateway,
    ):
        await _check(gateway, fakes.seen)


async def _check(gateway: RunningGateway, seen: Any) -> None:
    token = await gateway.user()
    async with gateway.client(token) as http:
        korean, korean_history = await _plan(
            http, title="숲의 친구", character_prompt="노란 피카츄가 웃는다", language="ko"
        )
        moderated_before = seen("POST", "/v1/moderations")
        english, _ = await _plan(http, description="Mickey Mouse walks into the harbour.")
        flagged, flagged_history = await _plan(
            http, title="전쟁", description="마을에 폭력이 번진다.", language="ko"
        )
        clean, clean_history = await _plan(http, title="바다", description="갈매기가 난다.")

    assert korean.status_code == 422, korean.text
    error = korean.json()["error"]
    assert error["code"] == "content_blocked"
    assert error["details"]["field"] == "character_prompt"
    assert "'피카츄' is a protected character or brand name" in error["message"]
    assert _types(korean_history) == ["created", "content_checked"]  # no planning_requested
    assert moderated_before == 0, "a blocked term is refused without asking the moderation API"

    assert english.status_code == 422
    assert english.json()["error"]["details"]["field"] == "description"
    assert "Mickey Mouse" in english.json()["error"]["message"]

    assert flagged.status_code == 422
    details = flagged.json()["error"]["details"]
    assert details["field"] == "description" and "violence" in details["reason"]
    assert details["checks"] == ["blocked_terms", "moderation"]
    assert _types(flagged_history) == ["created", "content_checked"]

    assert clean.status_code == 200, clean.text
    assert _types(clean_history) == ["created", "planning_requested", "content_checked"]
    assert clean.json()["content_check"] == {
        "run": "planning",
        "allowed": True,
        "field": None,
        "reason": "",
    }
    assert seen("POST", "/v1/moderations") == 2  # the flagged story and the clean one
