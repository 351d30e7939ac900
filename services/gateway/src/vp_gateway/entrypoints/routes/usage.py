"""Usage: spending and generation counts by day or month, provider, stage and project; JSON or
CSV. A user sees their own; an admin everyone's, or one user's."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from vp_gateway.domain.usage import Period, UsageRow, as_csv, summed
from vp_gateway.entrypoints.deps import GatewayDep, PrincipalDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.schemas import ErrorOut, UsageOut, UsageRowOut

router = APIRouter(
    prefix="/api/ai-video/usage",
    tags=["usage"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
MAX_DAYS = 400


def _window(
    by: Period, since: date | None, until: date | None, zone: str, now: datetime
) -> tuple[datetime, datetime]:
    """``[since, until]`` as instants in the deployment's zone: by default this month (by day)
    or the last twelve months (by month)."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    if since is None:
        first = today.replace(day=1)
        since = first if by == "day" else _months_back(first, 11)
    until = until or today
    if until < since:
        raise ApiError(422, "invalid_input", "until: must not be before since")
    if (until - since).days > MAX_DAYS:
        raise ApiError(422, "invalid_input", f"until: at most {MAX_DAYS} days after since")
    start = datetime.combine(since, time(), tz).astimezone(UTC)
    end = datetime.combine(until + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


def _months_back(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _out(row: UsageRow) -> UsageRowOut:
    return UsageRowOut(
        period=row.period,
        user_id=row.user_id,
        project_id=row.project_id,
        provider=row.provider,
        stage=row.stage,
        operation=row.operation,
        calls=row.calls,
        cache_hits=row.cache_hits,
        failed=row.failed,
        spent=row.spent,
    )


@router.get(
    "/",
    response_model=UsageOut,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
async def get_usage(
    gw: GatewayDep,
    caller: PrincipalDep,
    by: Annotated[Literal["day", "month"], Query(description="Sum per day or per month")] = "day",
    since: Annotated[
        date | None,
        Query(description="First day (default: this month's first, or 12 months back by month)"),
    ] = None,
    until: Annotated[date | None, Query(description="Last day, included (default: today)")] = None,
    project_id: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Only this project")
    ] = None,
    user_id: Annotated[
        str | None, Query(max_length=64, description="Admins: only this user (default: everyone)")
    ] = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv")] = "json",
) -> UsageOut | Response:
    """Every provider call of the ledger summed per period, user, project, provider, stage
    (planning, preview, final, scene) and operation (image, video, narration, upscale, plan):
    calls made, cache hits, failed calls and dollars spent. Periods are days or months in
    ``VP_BUDGET_TIMEZONE``. Your own calls; an admin sees everyone's."""
    if user_id is not None and not caller.is_admin and user_id != caller.user_id:
        raise ApiError(403, "forbidden", "only admins can see other users' usage")
    owner = user_id if caller.is_admin else caller.user_id
    zone = gw.settings.budget_timezone
    start, end = _window(by, since, until, zone, gw.clock())
    await gw.fresh_read_model()
    rows = summed(await gw.readmodel.ledger(owner, start, end, project_id), by, zone)
    if format == "csv":
        return Response(
            as_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="usage-{by}.csv"'},
        )
    return UsageOut(
        by=by,
        since=start,
        until=end,
        rows=[_out(row) for row in rows],
        total_spent=sum((row.spent for row in rows), Decimal(0)),
        total_calls=sum(row.calls for row in rows),
    )
