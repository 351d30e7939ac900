"""Jobs: list, inspect, retry, cancel, statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from vp_contracts.values import JobStatus
from vp_runtime.web.access import owner_filter

from vp_gateway.domain.jobs import JOB_TYPES
from vp_gateway.entrypoints.deps import ContextDep, GatewayDep, PrincipalDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.presenters import job_out, story_out
from vp_gateway.entrypoints.routes.stories import Cursor, Limit, _check_cursor
from vp_gateway.entrypoints.schemas import (
    GENERATION_REFUSALS,
    AcceptedOut,
    ErrorOut,
    Id,
    JobIdPath,
    JobOut,
    JobStatisticsOut,
    Page,
    query_id,
)
from vp_gateway.service.jobs import job_statistics

router = APIRouter(
    prefix="/api/ai-video/jobs",
    tags=["jobs"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut}},
)


@router.get("/", response_model=Page[JobOut])
async def list_jobs(
    gw: GatewayDep,
    caller: PrincipalDep,
    story: Annotated[Id | None, query_id("story's jobs")] = None,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
    type: Annotated[
        str | None, Query(description="planning, preview, final, scene or upscale")
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[JobOut]:
    """Your jobs, newest first."""
    _check_cursor(cursor)
    if type is not None and type not in JOB_TYPES:
        raise ApiError(
            422,
            "invalid_input",
            f"type: must be one of {', '.join(JOB_TYPES)}",
            {
                "errors": [
                    {"field": "type", "rule": f"one of {', '.join(JOB_TYPES)}", "in": "query"}
                ]
            },
        )
    if story is not None:
        await gw.stories.read(story, caller)
    await gw.fresh_read_model()
    owner = owner_filter(caller)
    page = await gw.readmodel.jobs(
        owner, story, status.value if status else None, type, limit, cursor
    )
    return Page[JobOut](results=[job_out(row) for row in page.items], next_cursor=page.next_cursor)


@router.get("/statistics/", response_model=JobStatisticsOut)
async def get_job_statistics(gw: GatewayDep, caller: PrincipalDep) -> JobStatisticsOut:
    """Counts by status and type, success rate, average generation time and queue wait, costs."""
    await gw.fresh_read_model()
    owner = owner_filter(caller)
    stats = job_statistics(
        await gw.readmodel.job_rows(owner),
        await gw.readmodel.cost_rows(owner),
        await gw.readmodel.ratings(owner),
    )
    return JobStatisticsOut(**stats.__dict__)


@router.get("/{job_id}/", response_model=JobOut)
async def get_job(job_id: JobIdPath, gw: GatewayDep, caller: PrincipalDep) -> JobOut:
    """One job."""
    await gw.fresh_read_model()
    return job_out(await gw.jobs.get(job_id, caller))


@router.post("/{job_id}/cancel/", response_model=JobOut)
async def cancel_job(job_id: JobIdPath, gw: GatewayDep, ctx: ContextDep) -> JobOut:
    """Cancel a queued or running job: its whole attempt (the preview or render) stops."""
    await gw.fresh_read_model()
    outcome = await gw.jobs.cancel(ctx, job_id)
    await gw.readmodel.wait_for(outcome.version, gw.settings.read_wait_seconds)
    return job_out(await gw.jobs.get(job_id, ctx.principal))


@router.post(
    "/{job_id}/retry/", status_code=202, response_model=AcceptedOut, responses=GENERATION_REFUSALS
)
async def retry_job(job_id: JobIdPath, gw: GatewayDep, ctx: ContextDep) -> AcceptedOut:
    """Run a failed or cancelled job's stage again (a failed story is planned again first)."""
    await gw.fresh_read_model()
    retried = await gw.jobs.retry(ctx, job_id)
    event = retried.outcome.events[0].event if retried.outcome.events else None
    return AcceptedOut(
        job_id=retried.job_id,
        estimated_time=int(getattr(event, "estimated_seconds", 5)),
        story=story_out(retried.outcome.view, gw.link),
    )
