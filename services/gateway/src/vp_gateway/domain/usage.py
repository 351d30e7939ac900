"""Usage: the cost ledger summed by period (day or month, in the deployment's time zone), user,
project, provider, stage and operation; the same figures as CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

MICROS = Decimal(1_000_000)
Period = Literal["day", "month"]
CSV_COLUMNS = (
    "period",
    "user_id",
    "project_id",
    "provider",
    "stage",
    "operation",
    "calls",
    "cache_hits",
    "failed",
    "spent_usd",
)


class LedgerEntry(Protocol):
    """One provider call as the read model keeps it (a row of ``costs``)."""

    @property
    def owner_id(self) -> str: ...
    @property
    def project_id(self) -> str | None: ...
    @property
    def provider(self) -> str: ...
    @property
    def stage(self) -> str | None: ...
    @property
    def operation(self) -> str: ...
    @property
    def amount_micros(self) -> int: ...
    @property
    def cache_hit(self) -> bool: ...
    @property
    def failed(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...


@dataclass(frozen=True)
class UsageRow:
    period: str
    user_id: str
    project_id: str | None
    provider: str
    stage: str
    operation: str
    calls: int
    """Calls made (paid or free), not counting cache hits and failed calls."""
    cache_hits: int
    failed: int
    spent: Decimal


def period_of(moment: datetime, by: Period, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d" if by == "day" else "%Y-%m")


def summed(entries: Iterable[LedgerEntry], by: Period, zone: str = "UTC") -> list[UsageRow]:
    """One row per period, user, project, provider, stage and operation, oldest first."""
    groups: dict[tuple[str, str, str, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for entry in entries:
        key = (
            period_of(entry.created_at, by, zone),
            entry.owner_id,
            entry.project_id or "",
            entry.provider,
            entry.stage or "other",
            entry.operation,
        )
        figures = groups[key]
        if entry.cache_hit:
            figures[1] += 1
        elif entry.failed:
            figures[2] += 1
        else:
            figures[0] += 1
        figures[3] += entry.amount_micros
    return [
        UsageRow(
            period,
            user,
            project or None,
            provider,
            stage,
            operation,
            calls,
            hits,
            failed,
            Decimal(micros) / MICROS,
        )
        for (period, user, project, provider, stage, operation), (
            calls,
            hits,
            failed,
            micros,
        ) in sorted(groups.items())
    ]


def as_csv(rows: Sequence[UsageRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.period,
                row.user_id,
                row.project_id or "",
                row.provider,
                row.stage,
                row.operation,
                row.calls,
                row.cache_hits,
                row.failed,
                f"{row.spent:f}",
            ]
        )
    return buffer.getvalue()
