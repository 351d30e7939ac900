"""The REST API end to end: real HTTP, real NATS, real PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from vp_contracts.story.status import USER_TRANSITIONS
from vp_contracts.values import Stage, StoryStatus
from vp_devtools import devnats

from tests.support.facts import Driver
from tests.support.gateway import ADMIN, SECRET, RunningGateway, running_gateway

pytestmark = pytest.mark.e2e

STORY = {
    "title": "The fox and the lantern",
    "description": "A fox finds a lantern. It lights the forest. The owls gather.",
    "character_prompt": "a small red fox with a blue scarf",
    "background_prompt": "a misty pine forest at dusk",
    "action_prompt": "walks carefully",
    "duration_seconds": 21,
}


API = "/api/ai-video"


async def create(gateway: RunningGateway, token: str, **changes: Any) -> dict[str, Any]:
    async with gateway.client(token) as http:
        answer = await http.post("/api/ai-video/stories/", json={**STORY, **changes})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


async def planned(gateway: RunningGateway, token: str) -> dict[str, Any]:
    story = await create(gateway, token)
    async with gateway.client(token) as http:
        moved = await http.post(
            f"/api/ai-video/stories/{story['id']}/transition/", json={"to": "planning"}
        )
        assert moved.status_code == 200, moved.text
        await gateway.plan_as_the_planner(story["id"])
        answer = await http.get(f"/api/ai-video/stories/{story['id']}/")
        assert answer.json()["status"] == "planned"
        return dict(answer.json())


# -- auth ------------------------------------------------------------------------------


async def test_register_then_log_in(gateway: RunningGateway) -> None:
    async with gateway.client() as http:
        made = await http.post(
            "/api/auth/register", json={"email": "Ann@Example.com", "password": "long enough"}
        )
        again = await http.post(
            "/api/auth/register", json={"email": "ann@example.com", "password": "long enough"}
        )
        good = await http.post(
            "/api/auth/token", json={"email": "ann@example.com", "password": "long enough"}
        )
        bad = await http.post(
            "/api/auth/token", json={"email": "ann@example.com", "password": "wrong password"}
        )

    assert made.status_code == 201 and made.json()["email"] == "ann@example.com"
    assert again.status_code == 409 and again.json()["error"]["code"] == "email_taken"
    assert good.status_code == 200
    assert good.json()["token_type"] == "bearer" and good.json()["expires_in"] == 900
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_credentials"


async def test_a_short_password_is_refused_naming_the_rule(gateway: RunningGateway) -> None:
    async with gateway.client() as http:
        answer = await http.post(
            "/api/auth/register", json={"email": "b@example.com", "password": "short"}
        )
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["errors"][0]["field"] == "password"


def _token(**claims: Any) -> str:
    now = datetime.now(UTC)
    base = {
        "sub": "someone",
        "role": "user",
        "iss": "videoplanet",
        "aud": "videoplanet-api",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "not-a-jwt",
        _token(exp=int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())),
        _token(aud="another-api"),
        _token(iss="someone-else"),
        jwt.encode(
            {"sub": "x", "iss": "videoplanet", "aud": "videoplanet-api", "iat": 0, "exp": 2**31},
            "wrong-key-" + "y" * 32,
            algorithm="HS256",
        ),
    ],
    ids=["missing", "garbage", "expired", "wrong-audience", "wrong-issuer", "tampered"],
)
async def test_every_api_route_needs_a_valid_token(
    gateway: RunningGateway, bad: str | None
) -> None:
    async with gateway.client(bad) as http:
        answers = [
            await http.get("/api/ai-video/stories/"),
            await http.post("/api/ai-video/stories/", json=STORY),
            await http.get("/api/ai-video/jobs/statistics/"),
            await http.get("/api/ai-video/scenes/"),
        ]
    assert {a.status_code for a in answers} == {401}
    assert answers[0].json()["error"]["code"] == "unauthorized"
    assert answers[0].headers["www-authenticate"] == "Bearer"


async def test_a_token_whose_payload_was_edited_is_refused(
    gateway: RunningGateway, token: str
) -> None:
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    async with gateway.client(f"{head}.{forged}.{signature}") as http:
        assert (await http.get("/api/ai-video/stories/")).status_code == 401


# -- stories ---------------------------------------------------------------------------


async def test_a_created_story_has_every_field_the_frontend_uses(
    gateway: RunningGateway, token: str
) -> None:
    story = await create(gateway, token)

    expected = {
        "id",
        "title",
        "description",
        "character_prompt",
        "background_prompt",
        "action_prompt",
        "style",
        "duration_seconds",
        "resolution",
        "fps",
        "aspect_ratio",
        "narration",
        "burn_subtitles",
        "subtitle_style",
        "transition",
        "status",
        "scenes",
        "preview_url",
        "final_url",
        "thumbnail_url",
        "subtitles_url",
        "subtitles_srt_url",
        "cost_estimate",
        "actual_cost",
        "generation_params",
        "created_at",
        "updated_at",
        "version",
    }
    assert expected <= story.keys()
    assert story["status"] == "draft" and story["version"] > 0
    assert (story["resolution"], story["fps"], story["aspect_ratio"]) == ("1080p", 30, "16:9")
    assert story["cost_estimate"] == "0.1000"


async def test_a_write_is_visible_at_once_in_the_list_and_the_detail(
    gateway: RunningGateway, token: str
) -> None:
    async with gateway.client(token) as http:
        made = (await http.post("/api/ai-video/stories/", json=STORY)).json()
        patched = (
            await http.patch(f"/api/ai-video/stories/{made['id']}/", json={"title": "Renamed"})
        ).json()
        listed = (await http.get("/api/ai-video/stories/")).json()["results"]
        detail = (await http.get(f"/api/ai-video/stories/{made['id']}/")).json()

    assert patched["version"] > made["version"]
    assert listed[0]["id"] == made["id"] and listed[0]["title"] == "Renamed"
    assert listed[0]["version"] == patched["version"] == detail["version"]
    assert listed[0] == detail


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"duration_seconds": 0}, "duration_seconds", "greater than or equal to 1"),
        ({"duration_seconds": 601}, "duration_seconds", "less than or equal to 600"),
        ({"resolution": "8k"}, "resolution", "'480p', '720p', '1080p' or '4k'"),
        ({"fps": 29}, "fps", "24, 25, 30 or 60"),
        ({"style": "vaporwave"}, "style", "realistic"),
        ({"title": ""}, "title", "at least 1 character"),
        ({"mood": "happy"}, "mood", "unknown field"),
        ({"generation_params": {"sed": 3}}, "generation_params.sed", "unknown field"),
        ({"subtitle_style": {"color": "#fff"}}, "subtitle_style.color", "unknown field"),
        ({"subtitle_style": {"colour": "yellow"}}, "subtitle_style.colour", "pattern"),
        ({"subtitle_style": {"position": "left"}}, "subtitle_style.position", "'bottom'"),
        ({"subtitle_style": {"font": "Comic Sans"}}, "subtitle_style.font", "installed font"),
        ({"transition": "spin"}, "transition", "'cut', 'fade'"),
        ({"title": "a\x00b"}, "title", "NUL"),
        ({"subtitle_style": {"font": "Nanum\x00"}}, "subtitle_style", "NUL"),
        ({"music": {"track": "jazz"}}, "music.track", "'calm', 'ambient' or 'upbeat'"),
        ({"music": {"track": "calm", "volume": 3}}, "music.volume", "unknown field"),
    ],
)
async def test_bad_input_answers_422_naming_the_field_and_rule(
    gateway: RunningGateway, token: str, body: dict[str, Any], field: str, rule: str
) -> None:
    async with gateway.client(token) as http:
        answer = await http.post("/api/ai-video/stories/", json={**STORY, **body})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"]["errors"][0]["field"] == field
    assert rule in error["details"]["errors"][0]["rule"]


async def test_malformed_and_oversized_bodies_are_refused_clearly(
    gateway: RunningGateway, token: str
) -> None:
    async with gateway.client(token) as http:
        broken = await http.post(
            "/api/ai-video/stories/",
            content=b'{"title": "x",',
            headers={"content-type": "application/json"},
        )
        huge = await http.post(
            "/api/ai-video/stories/", json={**STORY, "description": "x" * 300_000}
        )
    assert broken.status_code == 422
    assert broken.json()["error"]["details"]["errors"][0]["field"] == "body"
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("source", [StoryStatus.DRAFT, StoryStatus.PLANNING, StoryStatus.PLANNED])
async def test_every_refused_transition_answers_409_and_writes_nothing(
    gateway: RunningGateway, token: str, source: StoryStatus
) -> None:
    story = await create(gateway, token)
    async with gateway.client(token) as http:
        if source != StoryStatus.DRAFT:
            await http.post(
                f"/api/ai-video/stories/{story['id']}/transition/", json={"to": "planning"}
            )
        if source == StoryStatus.PLANNED:
            await gateway.plan_as_the_planner(story["id"])
        before = (await http.get(f"/api/ai-video/stories/{story['id']}/")).json()
        for target in sorted(set(StoryStatus) - USER_TRANSITIONS[source]):
            answer = await http.post(
                f"/api/ai-video/stories/{story['id']}/transition/", json={"to": target.value}
            )
            assert answer.status_code == 409, (source, target, answer.text)
            details = answer.json()["error"]["details"]
            assert details["current"] == source.value
            assert details["allowed"] == sorted(t.value for t in USER_TRANSITIONS[source])
        after = (await http.get(f"/api/ai-video/stories/{story['id']}/")).json()
    assert after["version"] == before["version"]


async def test_a_user_over_the_quota_gets_429_with_retry_after_and_others_go_on(
    nats_server: devnats.NatsServerProcess, database_url: str
) -> None:
    async with running_gateway(nats_server, database_url, max_stories_in_generation=2) as limited:
        alice, bob = await limited.user(), await limited.user()
        stories = [await planned(limited, alice) for _ in range(3)]
        theirs = await planned(limited, bob)
        async with limited.client(alice) as http, limited.client(bob) as other:
            for story in stories[:2]:
                started = await http.post(f"{API}/stories/{story['id']}/generate_preview/")
                assert started.status_code == 202, started.text
            over = await http.post(f"{API}/stories/{stories[2]['id']}/generate_preview/")
            again = await http.post(
                f"{API}/stories/{stories[2]['id']}/transition/", json={"to": "planning"}
            )
            bobs = await other.post(f"{API}/stories/{theirs['id']}/generate_preview/")
            after = (await http.get(f"{API}/stories/{stories[2]['id']}/")).json()

    assert over.status_code == 429 and over.headers["Retry-After"] == "30"
    error = over.json()["error"]
    assert error["code"] == "too_many_stories_in_generation"
    assert "2 stories in generation (the limit is 2)" in error["message"]
    assert sorted(error["details"]["in_generation"]) == sorted(s["id"] for s in stories[:2])
    assert again.status_code == 429
    assert after["status"] == "planned"  # nothing was written
    assert bobs.status_code == 202  # one user's batch holds nobody else


async def test_from_draft_to_a_queued_preview(gateway: RunningGateway, token: str) -> None:
    story = await planned(gateway, token)
    async with gateway.client(token) as http:
        accepted = await http.post(f"/api/ai-video/stories/{story['id']}/generate_preview/")
        too_early = await http.post(f"/api/ai-video/stories/{story['id']}/render_final/")
        jobs = (await http.get("/api/ai-video/jobs/", params={"story": story["id"]})).json()[
            "results"
        ]

    assert accepted.status_code == 202
    body = accepted.json()
    assert body["status"] == "queued" and body["estimated_time"] > 0
    assert body["story"]["status"] == "previewing"
    assert too_early.status_code == 409
    assert too_early.json()["error"]["details"]["current"] == "previewing"
    by_type = {(job["type"], job["status"]) for job in jobs}
    assert ("planning", "succeeded") in by_type and ("preview", "queued") in by_type
    assert sum(1 for job in jobs if job["type"] == "scene") == 3
    assert body["job_id"] in {job["id"] for job in jobs}


async def test_history_shows_each_fact_with_its_status_change(
    gateway: RunningGateway, token: str
) -> None:
    story = await planned(gateway, token)
    async with gateway.client(token) as http:
        history = (await http.get(f"/api/ai-video/stories/{story['id']}/history/")).json()

    assert [(h["type"], h["from_status"], h["to_status"]) for h in history] == [
        ("vp.story.created.v1", None, "draft"),
        ("vp.story.planning_requested.v1", "draft", "planning"),
        ("vp.story.content_checked.v1", "planning", "planning"),  # the policy let it plan
        ("vp.story.planned.v1", "planning", "planned"),
    ]
    assert history[1]["actor"] == history[0]["actor"] == history[2]["actor"] != "planner"
    assert history[3]["actor"] == "planner"


async def test_cost_estimate_is_broken_down(gateway: RunningGateway, token: str) -> None:
    story = await planned(gateway, token)
    async with gateway.client(token) as http:
        estimate = (await http.get(f"/api/ai-video/stories/{story['id']}/cost_estimate/")).json()
    assert estimate["scene_count"] == 3 and estimate["duration_seconds"] == 21
    assert estimate["total"] == "0.1000" and estimate["storage_cost"] == "0.10"


async def test_lists_paginate_newest_first_and_filter_by_status(gateway: RunningGateway) -> None:
    token = await gateway.user()
    made = [await create(gateway, token, title=f"Story {i}") for i in range(5)]
    async with gateway.client(token) as http:
        await http.delete(f"/api/ai-video/stories/{made[0]['id']}/")
        pages, cursor = [], None
        while True:
            answer = (
                await http.get(
                    "/api/ai-video/stories/",
                    params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                )
            ).json()
            pages.append([story["title"] for story in answer["results"]])
            cursor = answer["next_cursor"]
            if cursor is None:
                break
        archived = (await http.get("/api/ai-video/stories/", params={"status": "archived"})).json()[
            "results"
        ]
        bad_cursor = await http.get("/api/ai-video/stories/", params={"cursor": "nonsense"})

    assert pages == [["Story 4", "Story 3"], ["Story 2", "Story 1"], ["Story 0"]]
    assert [story["id"] for story in archived] == [made[0]["id"]]
    assert bad_cursor.status_code == 422


async def test_another_users_ids_answer_404_without_leaking_existence(
    gateway: RunningGateway, token: str
) -> None:
    story = await planned(gateway, token)
    scene_id = story["scenes"][0]["id"]
    async with gateway.client(token) as http:
        job_id = (await http.get("/api/ai-video/jobs/", params={"story": story["id"]})).json()[
            "results"
        ][0]["id"]
    stranger = await gateway.user()
    async with gateway.client(stranger) as http:
        answers = [
            await http.get(f"/api/ai-video/stories/{story['id']}/"),
            await http.patch(f"/api/ai-video/stories/{story['id']}/", json={"title": "mine"}),
            await http.post(
                f"/api/ai-video/stories/{story['id']}/transition/", json={"to": "planning"}
            ),
            await http.get(f"/api/ai-video/stories/{story['id']}/history/"),
            await http.patch(f"/api/ai-video/scenes/{scene_id}/", json={"narration": "mine"}),
            await http.get(f"/api/ai-video/jobs/{job_id}/"),
            await http.post(f"/api/ai-video/jobs/{job_id}/cancel/"),
            await http.get("/api/ai-video/scenes/", params={"story": story["id"]}),
            await http.get(f"/api/ai-video/stories/{'0' * 8}-0000-0000-0000-000000000000/"),
        ]
        listed = (await http.get("/api/ai-video/stories/")).json()["results"]
    assert [a.status_code for a in answers] == [404] * len(answers)
    assert answers[0].json()["error"]["message"] == answers[-1].json()["error"]["message"].replace(
        "00000000-0000-0000-0000-000000000000", story["id"]
    )
    assert listed == []


async def test_an_admin_reads_everything_but_changes_nothing(
    gateway: RunningGateway, token: str
) -> None:
    story = await create(gateway, token)
    admin = await gateway.user(ADMIN)
    async with gateway.client(admin) as http:
        read = await http.get(f"/api/ai-video/stories/{story['id']}/")
        write = await http.patch(
            f"/api/ai-video/stories/{story['id']}/", json={"title": "admin was here"}
        )
        listed = (await http.get("/api/ai-video/stories/", params={"limit": 100})).json()["results"]
    assert read.status_code == 200
    assert write.status_code == 403 and write.json()["error"]["code"] == "forbidden"
    assert story["id"] in {s["id"] for s in listed}


async def test_concurrent_edits_all_land_without_errors(
    gateway: RunningGateway, token: str
) -> None:
    story = await create(gateway, token)
    async with gateway.client(token) as http:
        answers = await asyncio.gather(
            *(
                http.patch(f"/api/ai-video/stories/{story['id']}/", json={"title": f"Title {i}"})
                for i in range(8)
            )
        )
        final = (await http.get(f"/api/ai-video/stories/{story['id']}/history/")).json()
    assert [a.status_code for a in answers] == [200] * 8
    assert len({a.json()["version"] for a in answers}) == 8
    assert len(final) == 9


async def test_a_request_repeated_with_its_idempotency_key_is_applied_once(
    gateway: RunningGateway,
) -> None:
    token = await gateway.user()
    async with gateway.client(token) as http:
        story = await create(gateway, token)
        headers = {"Idempotency-Key": "plan-it-once-123"}
        first = await http.post(
            f"/api/ai-video/stories/{story['id']}/transition/",
            json={"to": "planning"},
            headers=headers,
        )
        again = await http.post(
            f"/api/ai-video/stories/{story['id']}/transition/",
            json={"to": "planning"},
            headers=headers,
        )
        history = (await http.get(f"/api/ai-video/stories/{story['id']}/history/")).json()
    assert first.status_code == again.status_code == 200
    assert first.json()["version"] == again.json()["version"]
    assert len(history) == 3  # created, planning requested and its content check: once


# -- scenes ----------------------------------------------------------------------------


async def test_scenes_can_be_added_edited_reordered_and_generated(
    gateway: RunningGateway, token: str
) -> None:
    story = await planned(gateway, token)
    async with gateway.client(token) as http:
        added = await http.post(
            "/api/ai-video/scenes/bulk_create/",
            json={
                "story": story["id"],
                "scenes": [{"narration": "The end.", "prompt": {"action": "bows"}}],
            },
        )
        new_id = added.json()["scenes"][0]["id"]
        edited = await http.patch(
            f"/api/ai-video/scenes/{new_id}/",
            json={"duration_seconds": 3, "prompt": {"motion": "fast"}},
        )
        moved = await http.post(f"/api/ai-video/scenes/{new_id}/reorder/", json={"position": 0})
        generated = await http.post(f"/api/ai-video/scenes/{new_id}/generate/", json={"seed": 99})
        bad = await http.patch(f"/api/ai-video/scenes/{new_id}/", json={"position": 2})
        listed = (await http.get("/api/ai-video/scenes/", params={"story": story["id"]})).json()

    assert added.status_code == 201 and added.json()["scenes"][0]["position"] == 3
    assert added.json()["scenes"][0]["prompt"]["character"] == STORY["character_prompt"]
    assert edited.json()["duration_seconds"] == 3 and edited.json()["prompt"]["motion"] == "fast"
    assert moved.json()["scenes"][0]["id"] == new_id
    assert generated.status_code == 202
    assert bad.status_code == 422
    assert [s["position"] for s in listed] == [0, 1, 2, 3]
    assert listed[0]["id"] == new_id and listed[0]["status"] == "queued" and listed[0]["seed"] == 99


async def test_a_story_s_look_is_chosen_merged_and_shown(
    gateway: RunningGateway, token: str
) -> None:
    async with gateway.client(token) as http:
        fonts = (await http.get(f"{API}/fonts/", params={"language": "ko"})).json()
        assert {"NanumMyeongjo", "Noto Sans CJK KR"} <= set(fonts["fonts"])
        assert "DejaVu Sans" not in fonts["fonts"]  # draws no Hangul
        look = {"font": "NanumMyeongjo", "colour": "#FFE000", "position": "top"}
        story = await create(
            gateway, token, language="ko", subtitle_style=look, transition="wipeleft"
        )
        patched = await http.patch(
            f"{API}/stories/{story['id']}/",
            json={"subtitle_style": {"size_percent": 8, "max_chars_per_line": 16}},
        )
    assert story["transition"] == "wipeleft"
    assert story["subtitle_style"] | look == story["subtitle_style"]
    assert story["subtitle_style"]["size_percent"] == 5.5  # the default where left out
    merged = patched.json()["subtitle_style"]
    assert merged | look | {"size_percent": 8, "max_chars_per_line": 16} == merged
    assert "subtitles_srt_url" in story


async def test_a_scene_s_own_transition_keeps_its_images(
    gateway: RunningGateway, token: str
) -> None:
    story = await planned(gateway, token)
    scene = story["scenes"][0]
    async with gateway.client(token) as http:
        edited = await http.patch(f"{API}/scenes/{scene['id']}/", json={"transition": "cut"})
        cleared = await http.patch(f"{API}/scenes/{scene['id']}/", json={"transition": None})
    assert edited.status_code == 200, edited.text
    assert edited.json()["transition"] == "cut" and cleared.json()["transition"] is None
    assert edited.json()["seed"] == scene["seed"] and edited.json()["status"] == scene["status"]


async def test_music_is_listed_previewed_chosen_changed_and_removed(
    gateway: RunningGateway, token: str
) -> None:
    async with gateway.client(token) as http:
        library = (await http.get(f"{API}/music/")).json()["tracks"]
        preview = await http.get(library[0]["preview_url"], headers={"Authorization": ""})
        story = await create(gateway, token, music={"track": "calm"})
        louder = await http.patch(
            f"{API}/stories/{story['id']}/", json={"music": {"volume_db": -8}}
        )
        incomplete = await _post_story(http, music={"volume_db": -8})
        removed = await http.patch(f"{API}/stories/{story['id']}/", json={"music": None})
    assert [track["id"] for track in library] == ["calm", "ambient", "upbeat"]
    assert library[0]["names"] == {"ko": "잔잔한", "en": "Calm"}
    assert preview.status_code == 200 and preview.headers["content-type"] == "audio/wav"
    assert preview.content[:4] == b"RIFF" and len(preview.content) > 100_000  # no login needed
    assert story["music"] == {
        "track": "calm",
        "asset_id": None,
        "volume_db": -14.0,
        "fade_in_seconds": 1.5,
        "fade_out_seconds": 2.0,
        "duck": True,
    }
    assert louder.json()["music"] == {**story["music"], "volume_db": -8.0}  # merged
    assert incomplete.status_code == 422
    error = incomplete.json()["error"]["details"]["errors"][0]
    assert error["field"] == "music" and "either track" in error["rule"]
    assert removed.json()["music"] is None


async def test_variants_copy_the_plan_with_new_seeds_and_start_their_previews(
    gateway: RunningGateway, token: str
) -> None:
    story = await planned(gateway, token)
    async with gateway.client(token) as http:
        draft = await create(gateway, token)
        refused = await http.post(f"{API}/stories/{draft['id']}/variants/", json={"count": 2})
        made = await http.post(f"{API}/stories/{story['id']}/variants/", json={"count": 2})
        listed = await http.get(f"{API}/stories/{story['id']}/variants/")
    assert refused.status_code == 409 and "plan it first" in refused.json()["error"]["message"]
    assert made.status_code == 202, made.text
    variants = [accepted["story"] for accepted in made.json()["variants"]]
    assert [v["status"] for v in variants] == ["previewing", "previewing"]
    assert {v["variant_of"] for v in variants} == {story["id"]}
    assert sorted(v["id"] for v in listed.json()) == sorted(v["id"] for v in variants)
    seeds = {tuple(scene["seed"] for scene in v["scenes"]) for v in [story, *variants]}
    assert len(seeds) == 3  # each its own pictures
    for variant in variants:
        assert variant["id"] != story["id"] and variant["title"] == story["title"]
        assert [s["prompt"] for s in variant["scenes"]] == [s["prompt"] for s in story["scenes"]]
        assert [s["narration"] for s in variant["scenes"]] == [
            s["narration"] for s in story["scenes"]
        ]


async def test_only_a_completed_story_is_exported(gateway: RunningGateway, token: str) -> None:
    story = await create(gateway, token)
    async with gateway.client(token) as http:
        answer = await http.post(f"{API}/stories/{story['id']}/export/")
    assert answer.status_code == 409
    assert "only a completed story can be exported" in answer.json()["error"]["message"]


async def _post_story(http: Any, **changes: Any) -> Any:
    return await http.post(f"{API}/stories/", json={**STORY, **changes})


# -- jobs ------------------------------------------------------------------------------


async def test_cancelling_a_preview_job_returns_the_story_to_planned(
    gateway: RunningGateway, token: str
) -> None:
    story = await planned(gateway, token)
    async with gateway.client(token) as http:
        job_id = (await http.post(f"/api/ai-video/stories/{story['id']}/generate_preview/")).json()[
            "job_id"
        ]
        cancelled = await http.post(f"/api/ai-video/jobs/{job_id}/cancel/")
        again = await http.post(f"/api/ai-video/jobs/{job_id}/cancel/")
        scene_jobs = (
            await http.get("/api/ai-video/jobs/", params={"story": story["id"], "type": "scene"})
        ).json()
        after = (await http.get(f"/api/ai-video/stories/{story['id']}/")).json()
        retried = await http.post(f"/api/ai-video/jobs/{job_id}/retry/")

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409 and again.json()["error"]["code"] == "job_finished"
    assert {job["status"] for job in scene_jobs["results"]} == {"cancelled"}
    assert after["status"] == "planned"
    assert retried.status_code == 202 and retried.json()["story"]["status"] == "previewing"
    assert retried.json()["job_id"] != job_id


async def test_job_statistics_count_by_status_and_type(gateway: RunningGateway) -> None:
    token = await gateway.user()
    await planned(gateway, token)
    async with gateway.client(token) as http:
        stats = (await http.get("/api/ai-video/jobs/statistics/")).json()
    assert stats["total"] == 1
    assert stats["by_status"]["succeeded"] == 1 and stats["by_type"] == {"planning": 1}
    assert stats["success_rate"] == 1.0
    assert stats["average_queue_wait_seconds"] is None
    assert stats["total_cost"] == "0"


# -- operations ------------------------------------------------------------------------


async def test_health_readiness_and_documentation(gateway: RunningGateway) -> None:
    async with gateway.client() as http:
        health = await http.get("/healthz")
        ready = await http.get("/readyz")
        docs = await http.get("/api/ai-video/docs/")
        events = await http.get("/api/ai-video/events/docs/")
        schema = (await http.get("/api/ai-video/openapi.json")).json()

    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200 and ready.json()["checks"] == {"nats": "ok", "database": "ok"}
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # The event contracts' page: every fact with its subject, nothing loaded from elsewhere.
    assert events.status_code == 200 and events.headers["content-type"].startswith("text/html")
    assert "<code>vp.story.{story_id}.completed</code>" in events.text
    assert 'href="#schema-StorySpec"' in events.text and 'id="schema-StorySpec"' in events.text
    assert "<script" not in events.text and "https://" not in events.text
    undescribed = [
        f"{name}.{field}"
        for name, model in schema["components"]["schemas"].items()
        if name
        in {"StoryOut", "SceneOut", "JobOut", "StoryCreate", "AcceptedOut", "JobStatisticsOut"}
        for field, prop in model.get("properties", {}).items()
        if "description" not in prop
    ]
    assert undescribed == []


async def test_every_endpoint_answers_the_same_after_a_rebuild_from_the_log(
    gateway: RunningGateway,
) -> None:
    token = await gateway.user()
    story = await planned(gateway, token)
    async with gateway.client(token) as http:
        await http.post(f"/api/ai-video/stories/{story['id']}/generate_preview/")
        await create(gateway, token, title="Another")
        paths = [
            "/api/ai-video/stories/",
            f"/api/ai-video/stories/{story['id']}/",
            f"/api/ai-video/stories/{story['id']}/history/",
            f"/api/ai-video/scenes/?story={story['id']}",
            "/api/ai-video/scenes/",
            "/api/ai-video/jobs/",
            "/api/ai-video/jobs/statistics/",
        ]
        before = [(await http.get(path)).json() for path in paths]
        env = {
            **os.environ,
            "VP_NATS_URL": gateway.settings.nats_url,
            "VP_SUBJECT_ROOT": gateway.settings.subject_root,
            "VP_STREAM_PREFIX": gateway.settings.stream_prefix,
            "VP_DATABASE_URL": gateway.settings.database_url,
        }
        rebuild = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "vp-gateway"),
            "rebuild",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await rebuild.communicate()
        after = [(await http.get(path)).json() for path in paths]

    assert rebuild.returncode == 0, output.decode()
    assert b"read model rebuilt from" in output
    assert after == before


async def test_a_finished_video_is_rated_and_the_mean_is_in_statistics_and_metrics(
    gateway: RunningGateway,
) -> None:
    token = await gateway.user()
    driver = Driver(gateway.store)
    stories = [await planned(gateway, token) for _ in range(2)]
    async with gateway.client(token) as http:
        early = await http.post(
            f"/api/ai-video/stories/{stories[0]['id']}/feedback/", json={"rating": 5}
        )
        assert early.status_code == 409 and early.json()["error"]["details"]["current"] == "planned"
        for story, rating in zip(stories, (4, 5), strict=True):
            await driver.generated(story["id"], Stage.PREVIEW)
            await driver.generated(story["id"], Stage.RENDER)
            rated = await http.post(
                f"/api/ai-video/stories/{story['id']}/feedback/",
                json={"rating": rating, "comment": "좋아요"},
            )
            assert rated.status_code == 200, rated.text
            assert rated.json()["feedback"] == {"rating": rating, "comment": "좋아요"}
        bad = await http.post(
            f"/api/ai-video/stories/{stories[0]['id']}/feedback/", json={"rating": 6}
        )
        stats = (await http.get("/api/ai-video/jobs/statistics/")).json()
        metrics = (await http.get("/metrics")).text
    assert (
        bad.status_code == 422 and bad.json()["error"]["details"]["errors"][0]["field"] == "rating"
    )
    assert stats["average_rating"] == 4.5 and stats["ratings"] == 2
    assert "video_feedback_rating_count" in metrics
