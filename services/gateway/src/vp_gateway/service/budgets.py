"""Monthly spending caps: admins set them; a run is checked against them before it starts
(the decider refuses an estimate that does not fit) and each paid call while it runs (the
stages charge the budget log before paying, see :mod:`vp_runtime.budget`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from vp_contracts.budget import BudgetScope, BudgetSet, BudgetStatus, month_of, scopes_of
from vp_contracts.story.errors import InvalidInput
from vp_runtime.budget import Budgets
from vp_runtime.web.auth import Principal

MAX_LIMIT = Decimal("1000000")


@dataclass(frozen=True)
class CapChange:
    """One cap an admin set, for the audit list."""

    at: datetime
    fact: BudgetSet


class BudgetOffice:
    def __init__(self, budgets: Budgets, zone: str) -> None:
        self._budgets = budgets
        self._zone = zone

    def month(self, at: datetime) -> str:
        return month_of(at, self._zone)

    async def of_story(
        self, owner_id: str | None, project_id: str | None, at: datetime
    ) -> tuple[BudgetStatus, ...]:
        """The budgets a story's run counts against, as they stand at ``at``."""
        return await self.statuses(scopes_of(owner_id, project_id), at)

    async def statuses(
        self, scopes: tuple[BudgetScope, ...], at: datetime
    ) -> tuple[BudgetStatus, ...]:
        month = self.month(at)
        return tuple(
            await asyncio.gather(*(self._budgets.status(scope, month) for scope in scopes))
        )

    async def set_limit(
        self, admin: Principal, scope: BudgetScope, limit: Decimal | None, at: datetime
    ) -> BudgetStatus:
        """Set (or with None remove) a monthly cap; an audited fact on the budget log."""
        if limit is not None and not Decimal(0) <= limit <= MAX_LIMIT:
            raise InvalidInput.field("monthly_limit", f"0 to {MAX_LIMIT} dollars, or null")
        await self._budgets.set_limit(scope, limit, admin.user_id)
        return await self._budgets.status(scope, self.month(at))

    async def history(self, scope: BudgetScope) -> list[CapChange]:
        return [CapChange(at, fact) for at, fact in await self._budgets.limits(scope)]
