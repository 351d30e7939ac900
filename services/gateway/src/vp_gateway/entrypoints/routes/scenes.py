"""Scenes: list, add by hand, edit, reorder, and generate one scene again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from vp_contracts.story.errors import NotFound
from vp_contracts.story.view import StoryView
from vp_contracts.values import StoryStatus
from vp_runtime.web.access import can_read, owner_filter
from vp_runtime.web.auth import Principal

from vp_gateway.adapters.db.readmodel import scene_data
from vp_gateway.entrypoints.deps import ContextDep, Gateway, GatewayDep, PrincipalDep
from vp_gateway.entrypoints.presenters import scene_out, story_out
from vp_gateway.entrypoints.schemas import (
    GENERATION_REFUSALS,
    AcceptedOut,
    BulkCreateIn,
    ErrorOut,
    Id,
    ReorderIn,
    SceneGenerateIn,
    SceneIdPath,
    SceneIn,
    SceneOut,
    StoryOut,
    query_id,
)
from vp_gateway.service.assets import AssetKind
from vp_gateway.service.stories import RequestContext

router = APIRouter(
    prefix="/api/ai-video/scenes",
    tags=["scenes"],
    responses={
        401: {"model": ErrorOut},
        404: {"model": ErrorOut},
        409: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)


class ScenesOut(BaseModel):
    story: StoryOut = Field(description="The story after the change")
    scenes: list[SceneOut] = Field(description="The scenes concerned, in order")


async def _story_of_scene(gw: Gateway, scene_id: str, caller: Principal) -> str:
    await gw.fresh_read_model()
    found = await gw.readmodel.scene_story(scene_id)
    if found is None or not can_read(caller, found[1]):
        raise NotFound(f"scene {scene_id} does not exist")
    return found[0]


@router.get("/", response_model=list[SceneOut])
async def list_scenes(
    gw: GatewayDep,
    caller: PrincipalDep,
    story: Annotated[Id | None, query_id("story's scenes, in order")] = None,
    status: Annotated[
        str | None, Query(description="pending, queued, generating, generated or failed")
    ] = None,
) -> list[SceneOut]:
    """Scenes of your stories (of one story with ?story=), in story order."""
    if story is not None:
        view = await gw.stories.read(story, caller)
        return [
            scene_out(scene_data(view.story_id, scene), gw.link)
            for scene in view.scenes
            if status is None or scene.status.value == status
        ]
    await gw.fresh_read_model()
    owner = owner_filter(caller)
    return [scene_out(data, gw.link) for data in await gw.readmodel.scenes(owner, None, status)]


@router.post("/bulk_create/", status_code=201, response_model=ScenesOut)
async def bulk_create_scenes(body: BulkCreateIn, gw: GatewayDep, ctx: ContextDep) -> ScenesOut:
    """Add scenes after the story's existing ones; missing prompt parts come from the story."""
    fields = [scene.model_dump(exclude_unset=True) for scene in body.scenes]
    for item, scene in zip(fields, body.scenes, strict=True):
        if scene.prompt is not None:
            item["prompt"] = scene.prompt.model_dump(exclude_unset=True)
        await _own_assets(gw, ctx, scene.background_asset_id, scene.narration_asset_id)
    outcome = await gw.stories.add_scenes(ctx, body.story, fields)
    added = outcome.view.scenes[-len(fields) :]
    story = story_out(outcome.view, gw.link)
    return ScenesOut(
        story=story, scenes=[s for s in story.scenes if s.id in {a.scene_id for a in added}]
    )


@router.patch("/{scene_id}/", response_model=SceneOut)
async def update_scene(
    scene_id: SceneIdPath, body: SceneIn, gw: GatewayDep, ctx: ContextDep
) -> SceneOut:
    """Edit a scene's prompt, narration, duration, seed or transition (a new transition keeps
    its images; the other fields set its old assets aside)."""
    story_id = await _story_of_scene(gw, scene_id, ctx.principal)
    changes = body.model_dump(exclude_unset=True)
    if body.prompt is not None:
        changes["prompt"] = body.prompt.model_dump(exclude_unset=True)
    await _own_assets(gw, ctx, body.background_asset_id, body.narration_asset_id)
    outcome = await gw.stories.update_scene(ctx, story_id, scene_id, changes)
    return _scene_of(outcome.view, scene_id, gw)


@router.post("/{scene_id}/reorder/", response_model=ScenesOut)
async def reorder_scene(
    scene_id: SceneIdPath, body: ReorderIn, gw: GatewayDep, ctx: ContextDep
) -> ScenesOut:
    """Move a scene to another position; every scene's position is renumbered."""
    story_id = await _story_of_scene(gw, scene_id, ctx.principal)
    outcome = await gw.stories.reorder_scene(ctx, story_id, scene_id, body.position)
    story = story_out(outcome.view, gw.link)
    return ScenesOut(story=story, scenes=story.scenes)


@router.post(
    "/{scene_id}/generate/",
    status_code=202,
    response_model=AcceptedOut,
    responses=GENERATION_REFUSALS,
)
async def generate_scene(
    scene_id: SceneIdPath, gw: GatewayDep, ctx: ContextDep, body: SceneGenerateIn | None = None
) -> AcceptedOut:
    """Generate this scene's visuals again with a new seed (planned or preview_ready stories)."""
    story_id = await _story_of_scene(gw, scene_id, ctx.principal)
    seed = body.seed if body else None
    outcome, job_id = await gw.stories.generate_scene(ctx, story_id, scene_id, seed)
    return AcceptedOut(job_id=job_id, estimated_time=5, story=story_out(outcome.view, gw.link))


def _scene_of(view: StoryView, scene_id: str, gw: Gateway) -> SceneOut:
    scene = view.scene(scene_id)
    if scene is None or view.status == StoryStatus.ARCHIVED:
        raise NotFound(f"scene {scene_id} does not exist")
    return scene_out(scene_data(view.story_id, scene), gw.link)


async def _own_assets(
    gw: Gateway, ctx: RequestContext, background: str | None, narration: str | None
) -> None:
    """A scene's uploads must be the caller's own ready assets of their kind."""
    if background:
        await gw.assets.usable(
            ctx.principal, background, AssetKind.BACKGROUND, "background_asset_id"
        )
    if narration:
        await gw.assets.usable(ctx.principal, narration, AssetKind.NARRATION, "narration_asset_id")
