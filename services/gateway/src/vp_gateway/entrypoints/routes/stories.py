"""Stories: create, read, edit, move through the state machine, preview and render."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from vp_contracts.story.errors import NotFound
from vp_contracts.story.rules import cost_breakdown, split_duration, story_language
from vp_contracts.values import StorySpec, StoryStatus
from vp_runtime.eventstore import Outcome
from vp_runtime.web.access import owner_filter

from vp_gateway.adapters.db.readmodel import decode_cursor
from vp_gateway.entrypoints.deps import ContextDep, Gateway, GatewayDep, PrincipalDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.presenters import story_out
from vp_gateway.entrypoints.routes.fonts import check_font
from vp_gateway.entrypoints.routes.voices import check_voice
from vp_gateway.entrypoints.schemas import (
    GENERATION_REFUSALS,
    AcceptedOut,
    CostEstimateOut,
    ErrorOut,
    ExportOut,
    FeedbackIn,
    HistoryItem,
    Page,
    StoryCreate,
    StoryIdPath,
    StoryOut,
    StoryPatch,
    TicketOut,
    TransitionIn,
    VariantsIn,
    VariantsOut,
)
from vp_gateway.service.assets import AssetKind
from vp_gateway.service.export import export
from vp_gateway.service.stories import RequestContext

router = APIRouter(
    prefix="/api/ai-video/stories",
    tags=["stories"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


def _accepted(outcome: Outcome, gw: GatewayDep) -> AcceptedOut:
    attempt = outcome.view.attempt
    event = outcome.events[0].event if outcome.events else None
    estimated = int(getattr(event, "estimated_seconds", 0))
    job_id = getattr(event, "attempt_id", None) or (attempt.id if attempt else "")
    return AcceptedOut(
        job_id=job_id, estimated_time=estimated, story=story_out(outcome.view, gw.link)
    )


@router.get("/", response_model=Page[StoryOut])
async def list_stories(
    gw: GatewayDep,
    caller: PrincipalDep,
    status: Annotated[StoryStatus | None, Query(description="Only stories in this status")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[StoryOut]:
    """Your stories, newest first (an admin sees everyone's)."""
    _check_cursor(cursor)
    await gw.fresh_read_model()
    owner = owner_filter(caller)
    page = await gw.readmodel.stories(owner, status.value if status else None, limit, cursor)
    return Page[StoryOut](
        results=[story_out(view, gw.link, stale=stale) for view, stale in page.items],
        next_cursor=page.next_cursor,
    )


def _check_cursor(cursor: str | None) -> None:
    if cursor is None:
        return
    try:
        decode_cursor(cursor)
    except ValueError:
        raise ApiError(
            422,
            "invalid_input",
            "cursor: not a cursor from this API",
            {"errors": [{"field": "cursor", "rule": "not a cursor from this API", "in": "query"}]},
        ) from None


@router.post("/", status_code=201, response_model=StoryOut)
async def create_story(body: StoryCreate, gw: GatewayDep, ctx: ContextDep) -> StoryOut:
    """Start a story (status draft)."""
    spec = StorySpec.model_validate(body.model_dump())
    check_voice(gw.providers, spec.generation_params.voice, story_language(spec))
    await check_font(spec.subtitle_style.font, story_language(spec))
    await _own_assets(gw, ctx, spec.music.asset_id if spec.music else None, spec.character_asset_id)
    outcome = await gw.stories.create(ctx, spec)
    return story_out(outcome.view, gw.link)


@router.get("/{story_id}/", response_model=StoryOut)
async def get_story(story_id: StoryIdPath, gw: GatewayDep, caller: PrincipalDep) -> StoryOut:
    """One story with its scenes, folded from its log (never older than your last write)."""
    return story_out(await gw.stories.read(story_id, caller), gw.link)


@router.post("/{story_id}/export/", response_model=ExportOut, responses={409: {"model": ErrorOut}})
async def export_story(story_id: StoryIdPath, gw: GatewayDep, caller: PrincipalDep) -> ExportOut:
    """The finished story as one zip for an editor: the final video, SRT and WebVTT
    subtitles, the thumbnail, each scene's pictures, clip and narration, and the plan as
    JSON (made once per final; 409 before the story is completed)."""
    bundle = await export(await gw.stories.read(story_id, caller), gw.storage)
    return ExportOut(
        url=gw.link(bundle.key) or "", files=bundle.files, size_bytes=bundle.size_bytes
    )


@router.post("/{story_id}/events/ticket/", response_model=TicketOut)
async def issue_live_ticket(
    story_id: StoryIdPath, gw: GatewayDep, caller: PrincipalDep
) -> TicketOut:
    """A ticket to follow the story live on the notifier (SSE or WebSocket).

    Browsers cannot send an Authorization header with EventSource: put the ticket in the URL
    instead of the access token. It is valid for this story only, for about a minute; to
    reconnect later ask for a new one and pass ``last_event_id``.
    """
    view = await gw.stories.read(story_id, caller)
    ticket, expires = gw.tickets.issue(caller.user_id, view.story_id, gw.clock())
    base = gw.settings.notifier_url.rstrip("/")
    query = urlencode({"ticket": ticket})
    socket_base = "ws" + base.removeprefix("http")
    return TicketOut(
        ticket=ticket,
        expires_at=expires,
        events_url=f"{base}/api/ai-video/stories/{story_id}/events/?{query}",
        websocket_url=f"{socket_base}/ws/stories/{story_id}/?{query}",
    )


@router.patch("/{story_id}/", response_model=StoryOut, responses={409: {"model": ErrorOut}})
async def update_story(
    story_id: StoryIdPath, body: StoryPatch, gw: GatewayDep, ctx: ContextDep
) -> StoryOut:
    """Change some fields (draft, planned, preview_ready or failed stories)."""
    changes = body.model_dump(exclude_unset=True)
    music = (changes.get("music") or {}).get("asset_id")
    await _own_assets(gw, ctx, music, changes.get("character_asset_id"))
    voice = (changes.get("generation_params") or {}).get("voice")
    font = (changes.get("subtitle_style") or {}).get("font")
    if voice or font:
        current = await gw.stories.read(story_id, ctx.principal)
        language = changes.get("language") or current.language or "en"
        check_voice(gw.providers, voice, language)
        await check_font(font, language)
    outcome = await gw.stories.update(ctx, story_id, changes)
    return story_out(outcome.view, gw.link)


@router.delete("/{story_id}/", response_model=StoryOut, responses={409: {"model": ErrorOut}})
async def archive_story(story_id: StoryIdPath, gw: GatewayDep, ctx: ContextDep) -> StoryOut:
    """Archive the story (draft or completed); a transition to draft restores it."""
    outcome = await gw.stories.archive(ctx, story_id)
    return story_out(outcome.view, gw.link)


@router.post(
    "/{story_id}/transition/",
    response_model=StoryOut,
    responses={409: {"model": ErrorOut}, **GENERATION_REFUSALS},
)
async def transition_story(
    story_id: StoryIdPath, body: TransitionIn, gw: GatewayDep, ctx: ContextDep
) -> StoryOut:
    """Move the story along the state machine; 409 names the current state and allowed targets."""
    outcome = await gw.stories.transition(ctx, story_id, body.to)
    return story_out(outcome.view, gw.link)


@router.post(
    "/{story_id}/generate_preview/",
    status_code=202,
    response_model=AcceptedOut,
    responses={409: {"model": ErrorOut}, **GENERATION_REFUSALS},
)
async def generate_preview(story_id: StoryIdPath, gw: GatewayDep, ctx: ContextDep) -> AcceptedOut:
    """Queue a fast low-resolution preview of a planned story."""
    return _accepted(await gw.stories.preview(ctx, story_id), gw)


@router.post(
    "/{story_id}/variants/",
    status_code=202,
    response_model=VariantsOut,
    responses={409: {"model": ErrorOut}, **GENERATION_REFUSALS},
)
async def make_variants(
    story_id: StoryIdPath, body: VariantsIn, gw: GatewayDep, ctx: ContextDep
) -> VariantsOut:
    """``count`` variants of a planned story, previewed at once: new stories with its spec and
    plan and new seeds (other pictures), to compare side by side; take the one you like to the
    final with its own ``render_final``."""
    made = await gw.stories.variants(ctx, story_id, body.count)
    return VariantsOut(variants=[_accepted(outcome, gw) for outcome in made])


@router.get("/{story_id}/variants/", response_model=list[StoryOut])
async def list_variants(
    story_id: StoryIdPath, gw: GatewayDep, caller: PrincipalDep
) -> list[StoryOut]:
    """The variants made from the story, as they are now (made together: in id order)."""
    await gw.stories.read(story_id, caller)
    await gw.fresh_read_model()
    return [story_out(view, gw.link) for view in await gw.readmodel.variants(story_id)]


@router.post(
    "/{story_id}/render_final/",
    status_code=202,
    response_model=AcceptedOut,
    responses={409: {"model": ErrorOut}, **GENERATION_REFUSALS},
)
async def render_final(story_id: StoryIdPath, gw: GatewayDep, ctx: ContextDep) -> AcceptedOut:
    """Queue the final render of a story whose preview is ready."""
    return _accepted(await gw.stories.render(ctx, story_id), gw)


@router.post("/{story_id}/feedback/", response_model=StoryOut, responses={409: {"model": ErrorOut}})
async def give_feedback(
    story_id: StoryIdPath, body: FeedbackIn, gw: GatewayDep, ctx: ContextDep
) -> StoryOut:
    """Rate the finished video, 1 to 5 stars with a comment (the latest rating counts); the
    mean is in the job statistics and the ``video_feedback_rating`` metric."""
    outcome = await gw.stories.give_feedback(ctx, story_id, body.rating, body.comment)
    return story_out(outcome.view, gw.link)


@router.get("/{story_id}/history/", response_model=list[HistoryItem])
async def story_history(
    story_id: StoryIdPath, gw: GatewayDep, caller: PrincipalDep
) -> list[HistoryItem]:
    """Every fact of the story, oldest first, with the status before and after it."""
    await gw.stories.read(story_id, caller)
    await gw.fresh_read_model()
    return [
        HistoryItem(
            sequence=row.sequence,
            type=row.type,
            time=row.at,
            actor=row.actor,
            from_status=row.from_status,
            to_status=row.to_status,
        )
        for row in await gw.readmodel.history(story_id)
    ]


@router.get("/{story_id}/cost_estimate/", response_model=CostEstimateOut)
async def estimate_cost(
    story_id: StoryIdPath, gw: GatewayDep, caller: PrincipalDep
) -> CostEstimateOut:
    """The estimate, broken down as the backend guide computes it, and the cost so far."""
    view = await gw.stories.read(story_id, caller)
    spec = view.spec
    if spec is None:
        raise NotFound(f"story {story_id} does not exist")
    scenes = len(view.scenes) or len(split_duration(spec.duration_seconds))
    duration = view.duration_seconds or spec.duration_seconds
    parts = cost_breakdown(scenes, duration, gw.costs)
    return CostEstimateOut(
        story=story_id,
        scene_count=scenes,
        duration_seconds=duration,
        image_cost=parts.images,
        video_cost=parts.video,
        preview_cost=parts.preview,
        storage_cost=parts.storage,
        total=parts.total,
        actual_cost=view.actual_cost,
    )


async def _own_assets(
    gw: Gateway, ctx: RequestContext, music: str | None, character: str | None
) -> None:
    """Uploads a story refers to must be the caller's own ready assets of their kind."""
    if music:
        await gw.assets.usable(ctx.principal, music, AssetKind.MUSIC, "music.asset_id")
    if character:
        await gw.assets.usable(ctx.principal, character, AssetKind.CHARACTER, "character_asset_id")
