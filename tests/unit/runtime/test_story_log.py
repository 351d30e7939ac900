"""The in-memory story log keeps the StoryLog contract (the JetStream store runs the same
checks in tests/integration/test_eventstore.py)."""

from __future__ import annotations

import pytest
from vp_runtime.eventstore import InMemoryStoryLog

from tests.support.story_log_contract import CHECKS, Check


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_the_in_memory_log_keeps_the_contract(check: Check) -> None:
    await check(InMemoryStoryLog())
