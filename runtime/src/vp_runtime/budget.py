"""Spending caps enforced while generating: every paid call is charged to its story's budgets
before it is made, and a call that would cross a cap is not made (:class:`BudgetReached`).

The budget log is described in :mod:`vp_contracts.budget`. :class:`JetStreamBudgets` keeps it
on its own stream (each change appended only if it follows the last one it read, so two
replicas charging at once never both slip under a cap); :class:`MemoryBudgets` is the same for
tests. :class:`Spender` is what a stage hands to the provider router for one story.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal, Protocol

from nats.aio.client import Client
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError
from vp_contracts.budget import (
    BUDGET_FACTS,
    BudgetFact,
    BudgetScope,
    BudgetSet,
    BudgetStatus,
    SpendingChanged,
    month_of,
    scopes_of,
)
from vp_contracts.envelope import Envelope
from vp_contracts.ids import new_id
from vp_contracts.story.view import StoryView

from vp_runtime.eventstore.append import CONFLICT_CODES, backoff
from vp_runtime.messaging.topology import Topology

log = logging.getLogger(__name__)

TIMEOUT = 5.0
MAX_CONFLICTS = 50
Reason = Literal["charge", "settle", "refund"]


class BudgetReached(Exception):
    """A paid call would cross a monthly cap: it is not made."""

    def __init__(self, status: BudgetStatus, amount: Decimal, what: str) -> None:
        super().__init__(status.describe(amount, what))
        self.status = status
        self.amount = amount


@dataclass(frozen=True)
class Charged:
    """What a spending change is for."""

    story_id: str = ""
    provider: str = ""
    operation: str = ""


class Budgets(Protocol):
    """The budget log: caps and each month's spending."""

    async def status(self, scope: BudgetScope, month: str) -> BudgetStatus: ...

    async def set_limit(self, scope: BudgetScope, limit: Decimal | None, actor: str) -> None: ...

    async def change(
        self,
        scope: BudgetScope,
        month: str,
        amount: Decimal,
        reason: Reason,
        charged: Charged,
        *,
        capped: bool,
    ) -> BudgetStatus:
        """Add ``amount`` (negative gives back) to the month's spending and return the budget
        after it; with ``capped``, raise :class:`BudgetReached` instead when it would cross
        the cap."""
        ...

    async def limits(self, scope: BudgetScope) -> list[tuple[datetime, BudgetSet]]:
        """Every cap set on the budget, oldest first (the audit trail)."""
        ...


def _checked(status: BudgetStatus, amount: Decimal, capped: bool, what: str) -> None:
    if capped and amount > 0 and not status.allows(amount):
        raise BudgetReached(status, amount, what)


def _fact(
    scope: BudgetScope, month: str, amount: Decimal, total: Decimal, reason: Reason, c: Charged
) -> SpendingChanged:
    return SpendingChanged(
        scope=scope.kind,
        scope_id=scope.id,
        month=month,
        change=amount,
        total=max(Decimal(0), total),
        reason=reason,
        story_id=c.story_id,
        provider=c.provider,
        operation=c.operation,
    )


def _what(charged: Charged) -> str:
    return f"this {charged.operation or 'call'} by {charged.provider or 'a provider'}"


@dataclass
class MemoryBudgets:
    """The budget log in memory (service-layer tests)."""

    caps: dict[BudgetScope, Decimal | None] = field(default_factory=dict)
    spent: dict[tuple[BudgetScope, str], Decimal] = field(default_factory=dict)
    facts: list[BudgetFact] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def status(self, scope: BudgetScope, month: str) -> BudgetStatus:
        spent = self.spent.get((scope, month), Decimal(0))
        return BudgetStatus(scope, month, self.caps.get(scope), spent)

    async def set_limit(self, scope: BudgetScope, limit: Decimal | None, actor: str) -> None:
        self.caps[scope] = limit
        self.facts.append(
            BudgetSet(scope=scope.kind, scope_id=scope.id, monthly_limit=limit, set_by=actor)
        )

    async def change(
        self,
        scope: BudgetScope,
        month: str,
        amount: Decimal,
        reason: Reason,
        charged: Charged,
        *,
        capped: bool,
    ) -> BudgetStatus:
        async with self._lock:
            status = await self.status(scope, month)
            _checked(status, amount, capped, _what(charged))
            total = status.spent + amount
            self.spent[(scope, month)] = total
            self.facts.append(_fact(scope, month, amount, total, reason, charged))
            return BudgetStatus(scope, month, status.limit, total)

    async def limits(self, scope: BudgetScope) -> list[tuple[datetime, BudgetSet]]:
        now = datetime.now(UTC)
        return [(now, f) for f in self.facts if isinstance(f, BudgetSet) and f.budget == scope]


class JetStreamBudgets:
    """The budget log on its JetStream stream."""

    def __init__(self, client: Client, topology: Topology, source: str) -> None:
        self._client = client
        self._js = client.jetstream(timeout=TIMEOUT)
        self._subjects = topology.subjects
        self._stream = topology.budget_stream
        self._direct = f"$JS.API.DIRECT.GET.{self._stream}"
        self._source = source

    async def _last(self, subject: str) -> tuple[int, dict[str, Any] | None]:
        """The last fact on ``subject``: its stream sequence (0: none) and its body."""
        reply = await self._client.request(
            self._direct, json.dumps({"last_by_subj": subject}).encode(), timeout=TIMEOUT
        )
        headers = reply.headers or {}
        if headers.get("Status") == "404":
            return 0, None
        if "Status" in headers:
            raise RuntimeError(f"reading {subject} failed: {headers}")
        return int(headers["Nats-Sequence"]), json.loads(reply.data)

    async def _limit(self, scope: BudgetScope) -> Decimal | None:
        _, body = await self._last(self._subjects.budget_limit(scope.key))
        return BudgetSet.model_validate(body).monthly_limit if body else None

    async def _spending(self, scope: BudgetScope, month: str) -> tuple[int, Decimal]:
        sequence, body = await self._last(self._subjects.budget_spending(scope.key, month))
        return sequence, SpendingChanged.model_validate(body).total if body else Decimal(0)

    async def status(self, scope: BudgetScope, month: str) -> BudgetStatus:
        limit, (_, spent) = await asyncio.gather(self._limit(scope), self._spending(scope, month))
        return BudgetStatus(scope, month, limit, spent)

    async def set_limit(self, scope: BudgetScope, limit: Decimal | None, actor: str) -> None:
        fact = BudgetSet(scope=scope.kind, scope_id=scope.id, monthly_limit=limit, set_by=actor)
        await self._publish(self._subjects.budget_limit(scope.key), fact, new_id(), actor, None)

    async def change(
        self,
        scope: BudgetScope,
        month: str,
        amount: Decimal,
        reason: Reason,
        charged: Charged,
        *,
        capped: bool,
    ) -> BudgetStatus:
        subject = self._subjects.budget_spending(scope.key, month)
        event_id = new_id()
        for attempt in range(MAX_CONFLICTS):
            limit, (sequence, spent) = await asyncio.gather(
                self._limit(scope), self._spending(scope, month)
            )
            status = BudgetStatus(scope, month, limit, spent)
            _checked(status, amount, capped, _what(charged))
            fact = _fact(scope, month, amount, spent + amount, reason, charged)
            try:
                await self._publish(subject, fact, event_id, self._source, sequence)
            except _Conflict:
                await asyncio.sleep(backoff(attempt))
                continue
            return BudgetStatus(scope, month, limit, fact.total)
        raise RuntimeError(f"{scope.label}: {MAX_CONFLICTS} charges in a row came in between")

    async def limits(self, scope: BudgetScope) -> list[tuple[datetime, BudgetSet]]:
        subject = self._subjects.budget_limit(scope.key)
        found: list[tuple[datetime, BudgetSet]] = []
        sequence = 0
        while True:
            reply = await self._client.request(
                self._direct,
                json.dumps({"seq": sequence + 1, "next_by_subj": subject}).encode(),
                timeout=TIMEOUT,
            )
            headers = reply.headers or {}
            if "Status" in headers:
                return found
            sequence = int(headers["Nats-Sequence"])
            at = datetime.fromisoformat(headers["ce-time"].replace("Z", "+00:00"))
            found.append((at, BudgetSet.model_validate_json(reply.data)))

    async def _publish(
        self, subject: str, fact: BudgetFact, event_id: str, actor: str, after: int | None
    ) -> None:
        envelope = Envelope(
            id=event_id,
            type=fact.ce_type(),
            source=self._source,
            time=datetime.now(UTC),
            story_id=fact.budget.key,
            actor=actor,
        )
        headers = envelope.headers()
        headers["Nats-Msg-Id"] = event_id
        if after is not None:
            headers["Nats-Expected-Last-Subject-Sequence"] = str(after)
        for attempt in range(3):
            try:
                await self._js.publish(subject, fact.model_dump_json().encode(), headers=headers)
                return
            except APIError as error:
                if error.err_code in CONFLICT_CODES:
                    raise _Conflict from error
                raise
            except NatsTimeoutError:
                if attempt == 2:
                    raise
                await asyncio.sleep(backoff(attempt))


class _Conflict(Exception):
    """Another change came in after the one read: read again."""


def parse_budget_fact(headers: dict[str, str], data: bytes) -> BudgetFact:
    """A budget fact from its message (CloudEvents ``ce-type`` picks the model)."""
    model = BUDGET_FACTS.get(headers.get("ce-type", ""))
    if model is None:
        raise ValueError(f"unknown budget fact type {headers.get('ce-type')!r}")
    return model.model_validate_json(data)


@dataclass(frozen=True)
class Charge:
    """A paid call's charge, made before the call; settled with what it really cost."""

    spender: Spender
    month: str
    amount: Decimal
    charged: Charged

    async def settle(self, actual: Decimal) -> None:
        """Give back what the call did not cost (all of it when it failed unpaid), or add
        what it cost beyond the charge (never refused: it is spent)."""
        difference = actual - self.amount
        if difference == 0:
            return
        reason: Reason = "refund" if actual == 0 else "settle"
        for scope in self.spender.scopes:
            await self.spender.budgets.change(
                scope, self.month, difference, reason, self.charged, capped=False
            )


@dataclass(frozen=True)
class Spender:
    """Charges one story's paid calls to its budgets (owner, project, global)."""

    budgets: Budgets
    scopes: tuple[BudgetScope, ...]
    story_id: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    zone: str = "UTC"

    async def charge(self, provider: str, operation: str, amount: Decimal) -> Charge:
        """Charge ``amount`` to every budget, or none of them: :class:`BudgetReached` when
        it does not fit in one (the charges already made are given back)."""
        month = month_of(self.clock(), self.zone)
        charged = Charged(self.story_id, provider, operation)
        made: list[BudgetScope] = []
        try:
            for scope in self.scopes:
                await self.budgets.change(scope, month, amount, "charge", charged, capped=True)
                made.append(scope)
        except Exception:
            for scope in made:
                await self.budgets.change(scope, month, -amount, "refund", charged, capped=False)
            raise
        return Charge(self, month, amount, charged)


def story_spender(
    budgets: Budgets,
    view: StoryView,
    zone: str = "UTC",
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Spender:
    """The spender of one story's paid calls: its owner's, its project's and the global budget."""
    project = view.spec.project_id if view.spec else None
    return Spender(budgets, scopes_of(view.owner_id, project), view.story_id, clock, zone)
