"""Spending caps and what counts against them: the budget log.

Admins set a monthly cap per user, per project, or for everyone (``budget_set``); every paid
provider call is charged to the user's, the project's and the global budget of its month
before it is made (``spending_changed``), and settled or refunded after. Both are facts on
``vp.budget.<scope>.limit`` and ``vp.budget.<scope>.<month>.spending``; each spending fact
carries the month's running total, so the current figure is the last fact of its subject (one
read, no replay), and a charge appends only if no other charge came in between (optimistic
concurrency on that subject). Replicas therefore agree, and a restart loses nothing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from vp_contracts.values import Contract, Money

TYPE_PREFIX = "vp.budget"
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ScopeKind(StrEnum):
    """Whose spending a budget caps."""

    USER = "user"
    PROJECT = "project"
    GLOBAL = "global"


@dataclass(frozen=True)
class BudgetScope:
    """One budget: a user's, a project's (``StorySpec.project_id``), or the global one."""

    kind: ScopeKind
    id: str = ""

    def __post_init__(self) -> None:
        if (self.kind == ScopeKind.GLOBAL) != (self.id == ""):
            raise ValueError("the global budget has no id; a user or project budget needs one")

    @property
    def key(self) -> str:
        """The subject token: ``global``, or the kind and a digest of the id (ids may hold
        characters a subject cannot)."""
        if self.kind == ScopeKind.GLOBAL:
            return "global"
        return f"{self.kind.value}-{hashlib.blake2s(self.id.encode(), digest_size=12).hexdigest()}"

    @property
    def label(self) -> str:
        """How a message names it: ``user 1f2e...``, ``project launch``, ``global``."""
        return "the global budget" if self.kind == ScopeKind.GLOBAL else f"{self.kind} {self.id}"


def scopes_of(owner_id: str | None, project_id: str | None) -> tuple[BudgetScope, ...]:
    """The budgets a story's spending counts against: its owner's, its project's, global."""
    scopes = []
    if owner_id:
        scopes.append(BudgetScope(ScopeKind.USER, owner_id))
    if project_id:
        scopes.append(BudgetScope(ScopeKind.PROJECT, project_id))
    scopes.append(BudgetScope(ScopeKind.GLOBAL))
    return tuple(scopes)


def dollars(amount: Decimal) -> str:
    """An amount as people read it: cents always, smaller fractions only when there are any
    (``1.00``, ``0.15``, ``0.0015``)."""
    text = f"{amount.quantize(Decimal('0.000001')).normalize():f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def month_of(moment: datetime, zone: str = "UTC") -> str:
    """The calendar month (``2026-12``) of ``moment`` in the deployment's time zone."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m")


@dataclass(frozen=True)
class BudgetStatus:
    """A budget in one month: its cap (None: uncapped) and what is spent so far."""

    scope: BudgetScope
    month: str
    limit: Decimal | None
    spent: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.limit is None else max(Decimal(0), self.limit - self.spent)

    def allows(self, amount: Decimal) -> bool:
        return self.limit is None or self.spent + amount <= self.limit

    def describe(self, amount: Decimal, what: str) -> str:
        """Why ``amount`` more is refused, naming the budget, the spending and the cost."""
        limit = dollars(self.limit) if self.limit is not None else "unlimited"
        return (
            f"the monthly budget of {self.scope.label} is ${limit} and ${dollars(self.spent)} is"
            f" spent in {self.month}: {what} would cost ${dollars(amount)}. Ask an admin to"
            " raise the budget, or wait for next month"
        )

    def details(self, amount: Decimal) -> dict[str, str]:
        return {
            "budget": self.scope.label,
            "scope": self.scope.kind.value,
            "month": self.month,
            "limit": dollars(self.limit) if self.limit is not None else "unlimited",
            "spent": dollars(self.spent),
            "cost": dollars(amount),
        }


class BudgetFact(Contract):
    """Base of the budget log's facts."""

    name: ClassVar[str]
    version: ClassVar[int] = 1

    scope: ScopeKind = Field(description="Whose spending: user, project or global")
    scope_id: str = Field(
        default="", max_length=200, description="The user or project id ('' for global)"
    )

    @classmethod
    def ce_type(cls) -> str:
        return f"{TYPE_PREFIX}.{cls.name}.v{cls.version}"

    @property
    def budget(self) -> BudgetScope:
        return BudgetScope(self.scope, self.scope_id)


class BudgetSet(BudgetFact):
    """An admin set (or removed) a monthly cap."""

    name = "budget_set"

    monthly_limit: Money | None = Field(
        default=None, description="Dollars per calendar month; null removes the cap"
    )
    set_by: str = Field(default="", max_length=200, description="The admin who set it")


class SpendingChanged(BudgetFact):
    """A paid call was charged before it was made (``charge``), its actual price settled the
    difference after (``settle``), or a call that cost nothing gave its charge back
    (``refund``)."""

    name = "spending_changed"

    month: str = Field(pattern=MONTH.pattern, description="Calendar month, YYYY-MM")
    change: Decimal = Field(
        max_digits=14, decimal_places=6, description="Dollars added (negative: given back)"
    )
    total: Money = Field(description="The month's spending after this change")
    reason: Literal["charge", "settle", "refund"]
    story_id: str = Field(default="", max_length=64, description="The story the call was for")
    provider: str = Field(default="", max_length=100)
    operation: str = Field(default="", max_length=50, description="image, video, narration, ...")


BUDGET_FACTS: dict[str, type[BudgetFact]] = {
    fact.ce_type(): fact for fact in (BudgetSet, SpendingChanged)
}
