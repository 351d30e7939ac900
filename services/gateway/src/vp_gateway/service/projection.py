"""The projector: every fact into the read model, in order, and never stuck on one.

A fact that fails to apply is tried again (a database that is down is waited for, however long
it takes); one that keeps failing for another reason is parked with its error, its story is
marked stale, and every other story keeps flowing. An admin replays parked stories after the
cause is fixed: each is projected again from its own log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_runtime.messaging.batches import Batch, RetrySoon
from vp_runtime.messaging.delivery import TransientError
from vp_runtime.observability.metrics import PARKED, PARKED_TOTAL

log = logging.getLogger(__name__)

PARK_AFTER = 3
"""Deliveries of a failing fact before it is parked (about 1.5 s with the retry backoff)."""


Applied = Literal["applied", "already", "parked"]
"""What became of a fact: applied, applied before (a redelivery), or parked behind an earlier
parked fact of its story."""


class ReadModelUnavailable(Exception):
    """The database cannot be reached: nothing can be applied, wait for it."""


class NotYet(Exception):
    """Earlier facts are still being applied (by another replica): try this batch later."""


class ReadModelWriter(Protocol):
    """What the projector needs of the read model."""

    async def apply(self, recorded: RecordedEvent[Event]) -> Applied: ...

    async def apply_batch(
        self, facts: Sequence[RecordedEvent[Event]], first: int, last: int
    ) -> list[Applied]: ...

    async def park(self, recorded: RecordedEvent[Event], error: str) -> bool: ...

    async def parked_count(self) -> int: ...

    async def parked_stories(self) -> Sequence[str]: ...

    async def reproject(self, story_id: str, facts: Sequence[RecordedEvent[Event]]) -> int: ...


StoryFacts = Callable[[str], Awaitable[Sequence[RecordedEvent[Event]]]]
Observe = Callable[[RecordedEvent[Event]], Awaitable[None]]


@dataclass(frozen=True)
class Replayed:
    story_id: str
    applied: int
    error: str | None = None


class Projector:
    def __init__(
        self,
        readmodel: ReadModelWriter,
        story_facts: StoryFacts,
        observe: Observe,
        describe: Callable[[BaseException], str] = repr,
        park_after: int = PARK_AFTER,
    ) -> None:
        self._readmodel = readmodel
        self._story_facts = story_facts
        self._observe = observe
        self._describe = describe
        self._park_after = park_after

    async def on_facts(self, batch: Batch) -> None:
        """Apply a delivered batch of facts, in order, in one transaction; raising means
        "deliver them again later". When the batch cannot be applied as one, its facts go one
        at a time, so the one that fails is found and, in the end, parked."""
        facts = [recorded for recorded, _ in batch.facts]
        try:
            outcomes = await self._readmodel.apply_batch(facts, batch.first, batch.last)
        except ReadModelUnavailable as error:
            raise TransientError(f"the read model's database is unavailable: {error}") from error
        except NotYet as error:
            raise RetrySoon(str(error)) from error
        except Exception as error:
            log.warning("a batch of %d facts failed (%s); one at a time", len(facts), error)
            for recorded, attempt in batch.facts:
                await self.on_fact(recorded, attempt)
            return
        if "parked" in outcomes:
            PARKED_TOTAL.inc(outcomes.count("parked"))
            await self.refresh_gauge()
        for recorded in facts:
            await self._observe(recorded)

    async def on_fact(self, recorded: RecordedEvent[Event], delivery_attempt: int) -> None:
        """Apply one delivered fact; raising means "deliver it again later"."""
        try:
            applied = await self._readmodel.apply(recorded)
        except ReadModelUnavailable as error:
            raise TransientError(f"the read model's database is unavailable: {error}") from error
        except Exception as error:
            if delivery_attempt < self._park_after:
                raise
            reason = self._describe(error)
            log.error(
                "parking fact #%d (%s) of story %s: %s",
                recorded.sequence,
                recorded.envelope.type,
                recorded.event.story_id,
                reason,
            )
            if await self._readmodel.park(recorded, reason):
                PARKED_TOTAL.inc()
            await self.refresh_gauge()
            return
        if applied == "parked":
            PARKED_TOTAL.inc()
            await self.refresh_gauge()
        await self._observe(recorded)

    async def refresh_gauge(self) -> None:
        PARKED.set(await self._readmodel.parked_count())

    async def replay(self, story_ids: Sequence[str] | None = None) -> list[Replayed]:
        """Project stories with parked facts (or just ``story_ids``) again from their logs."""
        wanted = list(story_ids) if story_ids else list(await self._readmodel.parked_stories())
        results = []
        for story_id in wanted:
            try:
                applied = await self._readmodel.reproject(
                    story_id, await self._story_facts(story_id)
                )
            except Exception as error:
                log.warning("story %s still cannot be projected: %s", story_id, error)
                results.append(Replayed(story_id, 0, self._describe(error)))
                continue
            results.append(Replayed(story_id, applied))
        await self.refresh_gauge()
        return results
