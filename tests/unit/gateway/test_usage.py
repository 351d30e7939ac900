"""Usage sums of the ledger: grouped per period in the deployment's time zone, cache hits and
failed calls counted apart, and the CSV the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from vp_gateway.domain.usage import CSV_COLUMNS, as_csv, summed


@dataclass(frozen=True)
class Entry:
    created_at: datetime
    amount_micros: int
    owner_id: str = "alice"
    project_id: str | None = None
    provider: str = "stability"
    stage: str | None = "preview"
    operation: str = "image"
    cache_hit: bool = False
    failed: bool = False


LATE = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 1 December 01:30 in Seoul


def test_calls_are_summed_per_day_of_the_deployment_s_zone() -> None:
    entries = [
        Entry(LATE, 50_000),
        Entry(datetime(2026, 12, 1, 3, tzinfo=UTC), 50_000),
        Entry(datetime(2026, 12, 1, 4, tzinfo=UTC), 0, cache_hit=True),
        Entry(datetime(2026, 12, 1, 5, tzinfo=UTC), 0, failed=True),
    ]
    utc = summed(entries, "day")
    assert [(r.period, r.calls, r.cache_hits, r.failed) for r in utc] == [
        ("2026-11-30", 1, 0, 0),
        ("2026-12-01", 1, 1, 1),
    ]
    seoul = summed(entries, "day", "Asia/Seoul")
    assert [(r.period, r.calls, r.spent) for r in seoul] == [("2026-12-01", 2, Decimal("0.1"))]
    assert [r.period for r in summed(entries, "month", "Asia/Seoul")] == ["2026-12"]


def test_users_projects_providers_and_stages_are_apart_and_the_csv_agrees() -> None:
    entries = [
        Entry(LATE, 400_000, project_id="launch", operation="video", stage="final"),
        Entry(LATE, 1_600, provider="google", operation="narration"),
        Entry(LATE, 50_000, owner_id="bob"),
    ]
    rows = summed(entries, "month")
    assert len(rows) == 3
    text = as_csv(rows)
    lines = text.strip().split("\r\n")
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert "2026-11,alice,launch,stability,final,video,1,0,0,0.4" in lines
    assert "2026-11,alice,,google,preview,narration,1,0,0,0.0016" in lines
