"""Operators' endpoints: facts the projector parked, and replaying them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from vp_runtime.web.auth import Principal

from vp_gateway.entrypoints.deps import GatewayDep, PrincipalDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.schemas import (
    ErrorOut,
    ParkedOut,
    ReplayIn,
    ReplayOut,
    ReplayResultOut,
)


async def admin(caller: PrincipalDep) -> Principal:
    if not caller.is_admin:
        raise ApiError(403, "forbidden", "this endpoint is for admins only")
    return caller


AdminDep = Annotated[Principal, Depends(admin)]
router = APIRouter(
    prefix="/api/ai-video/admin",
    tags=["admin"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


@router.get("/parked/", response_model=list[ParkedOut])
async def list_parked_facts(gw: GatewayDep, caller: AdminDep) -> list[ParkedOut]:
    """Facts the read model could not apply, oldest first, with the error; their stories
    show as stale in lists until replayed."""
    return [
        ParkedOut(
            sequence=row.sequence,
            story=row.story_id,
            event_id=row.event_id,
            type=row.type,
            error=row.error,
            blocked_by=row.blocked_by,
            parked_at=row.parked_at,
        )
        for row in await gw.readmodel.parked()
    ]


@router.post("/parked/replay/", response_model=ReplayOut)
async def replay_parked_facts(
    gw: GatewayDep, caller: AdminDep, body: ReplayIn | None = None
) -> ReplayOut:
    """Project the stories with parked facts (or the ones named) again from their logs, once
    the cause is fixed. A story that still fails keeps its parked facts and says why."""
    results = await gw.projector.replay(body.stories if body else None)
    return ReplayOut(
        results=[
            ReplayResultOut(story=r.story_id, applied=r.applied, error=r.error) for r in results
        ],
        parked_left=await gw.readmodel.parked_count(),
    )
