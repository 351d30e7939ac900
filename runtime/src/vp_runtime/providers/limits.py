"""Rate limits shared by every replica (counters in a NATS key-value bucket) and per-process
circuit breakers that stop calling a provider that keeps failing."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nats.js.client import JetStreamContext

from vp_runtime.messaging.kv import Bucket
from vp_runtime.providers.base import RateLimited

_WINDOWS = (("minute", 60), ("hour", 3600))


class SharedRateLimiter:
    """Fixed-window counters per provider, per minute and per hour, across all replicas.

    Increments use the bucket's compare-and-set (``last=revision``), so two replicas never
    both take the last slot of a window.
    """

    def __init__(
        self, js: JetStreamContext, bucket: str, clock: Callable[[], float] = time.time
    ) -> None:
        self._bucket = Bucket(js, bucket)
        self._clock = clock

    async def acquire(self, provider: str, per_minute: int | None, per_hour: int | None) -> None:
        """Take one call from each configured window, or raise :class:`RateLimited`."""
        limits = {"minute": per_minute, "hour": per_hour}
        for window, size in _WINDOWS:
            limit = limits[window]
            if limit:
                await self._take(provider, window, size, limit)

    async def _take(self, provider: str, window: str, size: int, limit: int) -> None:
        now = self._clock()
        key = f"{provider}.{window}.{math.floor(now / size)}"
        for _ in range(50):
            entry = await self._bucket.get(key)
            if entry is None:
                if await self._bucket.create(key, b"1") is not None:
                    return
                continue  # another replica created it first
            count = int(entry.value or b"0")
            if count >= limit:
                retry_after = size - (now % size)
                raise RateLimited(
                    f"{provider}: {limit} calls per {window} used", retry_after=retry_after
                )
            assert entry.revision is not None
            if await self._bucket.update(key, str(count + 1).encode(), entry.revision) is not None:
                return
        raise RateLimited(f"{provider}: rate counter too contended", retry_after=1.0)


@dataclass
class CircuitBreaker:
    """Closed -> open after ``threshold`` failures in a row; after ``cooldown`` one trial call
    is let through (half-open); a success closes it again."""

    threshold: int = 5
    cooldown: float = 30.0
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    opened_at: float | None = None
    _trial: bool = field(default=False, repr=False)

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def allows(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial:
            self._trial = True
            return True
        return False

    def success(self) -> None:
        self.failures, self.opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        self._trial = False
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = self.clock()
