"""The generated Python client (``vp_client``) against a running gateway: every operation of
the OpenAPI document is called through it, each answer parsed into its generated model, each
refusal raised as ``ApiError`` with the API's code."""

from __future__ import annotations

import inspect
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from vp_client import ApiError, VideoPlanet, models
from vp_runtime.storage.signer import UrlSigner, media_secret

from tests.support.assets import picture
from tests.support.gateway import ADMIN, RunningGateway

pytestmark = pytest.mark.e2e

OPERATIONS = sorted(
    name
    for name, member in vars(VideoPlanet).items()
    if inspect.iscoroutinefunction(member) and not name.startswith("_")
)

STORY = {
    "title": "여우와 등불",
    "description": "작은 여우가 숲에서 등불을 찾습니다. 등불이 빛납니다. 부엉이들이 모입니다.",
    "character_prompt": "빨간 목도리를 한 작은 여우",
    "background_prompt": "안개 낀 소나무 숲",
    "action_prompt": "조심스럽게 걷습니다",
    "duration_seconds": 21,
    "language": "ko",
}


def recording(api: VideoPlanet, called: set[str]) -> VideoPlanet:
    """``api`` with each operation noting its name once it has answered (a model or an
    ``ApiError``)."""
    for name in OPERATIONS:
        method: Callable[..., Awaitable[Any]] = getattr(api, name)

        async def noted(*args: Any, _method: Any = method, _name: str = name, **kw: Any) -> Any:
            try:
                answer = await _method(*args, **kw)
            except ApiError:
                called.add(_name)
                raise
            called.add(_name)
            return answer

        setattr(api, name, noted)
    return api


async def refused(call: Awaitable[Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await call
    return caught.value


async def test_every_operation_round_trips_through_the_generated_client(
    gateway: RunningGateway,
) -> None:
    called: set[str] = set()
    email, password = f"c{uuid.uuid4().hex[:10]}@example.com", "correct horse battery"
    credentials = models.Credentials(email=email, password=password)
    async with (
        VideoPlanet(gateway.url) as anonymous,
        VideoPlanet(gateway.url, await gateway.user(ADMIN)) as admin,
    ):
        api = recording(anonymous, called)
        boss = recording(admin, called)

        # -- auth
        user = await api.register_user(credentials)
        assert user.email == email
        assert (await refused(api.register_user(credentials))).code == "email_taken"
        session = await api.log_in(credentials)
        api.token = session.access_token
        renewed = await api.refresh_session(models.RefreshIn(refresh_token=session.refresh_token))
        key = await api.create_api_key(models.ApiKeyIn(name="자동화", scopes=["read"]))
        assert [k.id for k in await api.list_api_keys()] == [key.id]
        await api.revoke_api_key(key.id)
        await api.log_out(models.RefreshIn(refresh_token=renewed.refresh_token))

        # -- a story, planned, its scenes and jobs
        story = await api.create_story(STORY, idempotency_key=uuid.uuid4().hex)
        assert isinstance(story, models.StoryOut) and story.language == "ko"
        assert story.status == models.StoryStatus.draft
        changed = await api.update_story(story.id, models.StoryPatch(title="여우와 등불 (2)"))
        assert changed.title == "여우와 등불 (2)"
        page = await api.list_stories(status=models.StoryStatus.draft, limit=5)
        assert [s.id for s in page.results] == [story.id]
        ticket = await api.issue_live_ticket(story.id)
        assert story.id in ticket.events_url
        await api.transition_story(story.id, models.TransitionIn(to=models.StoryStatus.planning))
        await gateway.plan_as_the_planner(story.id)
        assert (await api.get_story(story.id)).status == models.StoryStatus.planned
        estimate = await api.estimate_cost(story.id)
        assert estimate.scene_count == 3

        scenes = await api.list_scenes(story=story.id)
        first = scenes[0]
        edited = await api.update_scene(first.id, models.SceneIn(narration="등불이 켜집니다."))
        assert edited.narration == "등불이 켜집니다."
        await api.reorder_scene(first.id, models.ReorderIn(position=2))
        added = await api.bulk_create_scenes(
            models.BulkCreateIn(story=story.id, scenes=[models.SceneIn(duration_seconds=4)])
        )
        assert len(added.scenes) == 1
        scene_job = await api.generate_scene(first.id, models.SceneGenerateIn(seed=7))

        preview = await api.generate_preview(story.id)
        assert preview.status == "queued"
        jobs = await api.list_jobs(story=story.id)
        assert preview.job_id in {job.id for job in jobs.results}
        assert (await api.get_job(preview.job_id)).story == story.id
        cancelled = await api.cancel_job(preview.job_id)
        assert cancelled.status == "cancelled"
        retried = await api.retry_job(preview.job_id)
        assert retried.story.status == models.StoryStatus.previewing
        assert (await api.get_job(scene_job.job_id)).scene == first.id
        assert (await api.get_job_statistics()).total >= 1
        assert (await refused(api.render_final(story.id))).status == 409
        assert (await refused(api.make_variants(story.id, models.VariantsIn(count=2)))).status == (
            409
        )
        assert await api.list_variants(story.id) == []
        assert (await refused(api.give_feedback(story.id, {"rating": 5}))).status == 409
        assert (await refused(api.export_story(story.id))).status == 409
        history = await api.story_history(story.id)
        assert history[0].type.endswith("created.v1")

        # -- assets, uploaded through the signed link, and the media route
        png = picture()
        upload = await api.start_upload(
            models.AssetIn(
                kind=models.AssetKind.character,
                filename="여우.png",
                content_type="image/png",
                size_bytes=len(png),
            )
        )
        link = urlsplit(upload.url)
        query = {name: values[0] for name, values in parse_qs(link.query).items()}
        stored_key = link.path.removeprefix("/media/")
        await api.upload_media(
            stored_key,
            png,
            expires=int(query["expires"]),
            max_bytes=int(query["max_bytes"]),
            signature=query["signature"],
        )
        ready = await api.complete_upload(upload.asset.id)
        assert (ready.status, ready.width) == ("ready", 320)
        assert (await api.get_asset(ready.id)).filename == "여우.png"
        assert [a.id for a in (await api.list_assets(kind=models.AssetKind.character)).results] == [
            ready.id
        ]
        expires = int(time.time()) + 60
        signature = UrlSigner(media_secret(gateway.settings)).signature(stored_key, expires)
        assert (await api.get_media(stored_key, expires=expires, signature=signature)) == png
        await api.delete_asset(ready.id)
        assert (await refused(api.get_asset(ready.id))).status == 404

        # -- catalogues
        voices = await api.list_voices(language="ko")
        assert voices.voices and voices.language == "ko"
        fonts = await api.list_fonts(language="ko")
        assert fonts.fonts
        music = await api.list_music()
        track = music.tracks[0].id
        assert (await api.preview_music(track))[:4] == b"RIFF"
        ideas = await api.list_suggestions(step="character", language="ko")
        assert ideas.suggestions
        usage = await api.get_usage(by="month")
        assert isinstance(usage, models.UsageOut)
        csv = await api.get_usage(by="month", format="csv")
        assert isinstance(csv, str) and csv.startswith("period")
        mine = await api.list_my_budgets()
        assert "user" in {budget.scope for budget in mine}

        # -- admin
        assert isinstance(await boss.list_parked_facts(), list)
        replayed = await boss.replay_parked_facts()
        assert replayed.parked_left == 0
        providers = await boss.list_providers()
        name = providers[0].name
        await boss.change_provider(name, models.ProviderChangeIn(rate_limit_per_minute=50))
        assert (await boss.provider_history(name))[-1].config.rate_limit_per_minute == 50
        await boss.set_global_budget(models.BudgetIn(monthly_limit="100"))
        assert (await boss.get_global_budget()).monthly_limit == "100"
        await boss.set_budget("user", user.id, models.BudgetIn(monthly_limit="5"))
        assert (await boss.get_budget("user", user.id)).history[-1].monthly_limit == "5"
        assert (await refused(api.list_providers())).status == 403

        # -- the event contracts, for other teams
        contracts = await api.get_event_contracts()
        assert contracts["channels"]["vp_story_completed_v1"]["address"] == (
            "vp.story.{story_id}.completed"
        )

        # -- health
        assert (await api.healthz())["status"] == "ok"
        assert (await api.readyz())["checks"]["nats"] == "ok"
        assert b"http_requests_total" in await api.metrics()

        draft = await api.create_story(STORY)
        assert (await api.archive_story(draft.id)).status == models.StoryStatus.archived

    assert sorted(called) == OPERATIONS
