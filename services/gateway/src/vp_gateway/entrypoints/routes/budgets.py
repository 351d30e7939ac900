"""Monthly spending caps: each user sees their own; admins set and audit everyone's."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from vp_contracts.budget import BudgetScope, BudgetStatus, ScopeKind

from vp_gateway.entrypoints.deps import GatewayDep, PrincipalDep
from vp_gateway.entrypoints.routes.admin import AdminDep
from vp_gateway.entrypoints.schemas import (
    BudgetDetailOut,
    BudgetIn,
    BudgetOut,
    CapChangeOut,
    ErrorOut,
)
from vp_gateway.service.budgets import BudgetOffice

ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    422: {"model": ErrorOut},
}
router = APIRouter(prefix="/api/ai-video", tags=["budgets"], responses=ERRORS)
ScopeId = Annotated[str, Path(min_length=1, max_length=200, description="User or project id")]


def _out(status: BudgetStatus) -> BudgetOut:
    return BudgetOut(
        budget=status.scope.label,
        scope=status.scope.kind.value,
        scope_id=status.scope.id,
        month=status.month,
        monthly_limit=status.limit,
        spent=status.spent,
        remaining=status.remaining,
    )


async def _detail(office: BudgetOffice, scope: BudgetScope, gw: GatewayDep) -> BudgetDetailOut:
    (status,) = await office.statuses((scope,), gw.clock())
    history = [
        CapChangeOut(at=c.at, monthly_limit=c.fact.monthly_limit, set_by=c.fact.set_by)
        for c in await office.history(scope)
    ]
    return BudgetDetailOut(**_out(status).model_dump(), history=history)


@router.get("/budgets/", response_model=list[BudgetOut])
async def list_my_budgets(
    gw: GatewayDep,
    caller: PrincipalDep,
    project_id: Annotated[
        str | None,
        Query(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Also show this project's budget"),
    ] = None,
) -> list[BudgetOut]:
    """The budgets your runs count against this month: yours, the project's (when asked),
    and the global one; a preview or render whose estimate does not fit in one is refused
    (402), and a paid call that would cross one is not made (the story fails with
    ``budget_reached``)."""
    statuses = await gw.budgets.of_story(caller.user_id, project_id, gw.clock())
    return [_out(status) for status in statuses]


def _scope(kind: Literal["user", "project"], scope_id: str) -> BudgetScope:
    return BudgetScope(ScopeKind(kind), scope_id)


@router.get("/admin/budgets/global/", response_model=BudgetDetailOut)
async def get_global_budget(gw: GatewayDep, caller: AdminDep) -> BudgetDetailOut:
    """Everyone's spending this month against the global cap, and every cap set on it."""
    return await _detail(gw.budgets, BudgetScope(ScopeKind.GLOBAL), gw)


@router.put("/admin/budgets/global/", response_model=BudgetOut)
async def set_global_budget(gw: GatewayDep, caller: AdminDep, body: BudgetIn) -> BudgetOut:
    """Set the monthly cap on everyone's spending together (null removes it)."""
    scope = BudgetScope(ScopeKind.GLOBAL)
    return _out(await gw.budgets.set_limit(caller, scope, body.monthly_limit, gw.clock()))


@router.get("/admin/budgets/{kind}/{scope_id}/", response_model=BudgetDetailOut)
async def get_budget(
    gw: GatewayDep, caller: AdminDep, kind: Literal["user", "project"], scope_id: ScopeId
) -> BudgetDetailOut:
    """A user's or a project's spending this month, its cap, and every cap set on it."""
    return await _detail(gw.budgets, _scope(kind, scope_id), gw)


@router.put("/admin/budgets/{kind}/{scope_id}/", response_model=BudgetOut)
async def set_budget(
    gw: GatewayDep,
    caller: AdminDep,
    kind: Literal["user", "project"],
    scope_id: ScopeId,
    body: BudgetIn,
) -> BudgetOut:
    """Set a user's or a project's monthly cap (null removes it); recorded as a fact."""
    scope = _scope(kind, scope_id)
    return _out(await gw.budgets.set_limit(caller, scope, body.monthly_limit, gw.clock()))
