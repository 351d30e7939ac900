"""Choosing a provider for a call: cache, circuit breaker, shared rate limit, retries with
backoff, then the next provider in the configured order. Every call is reported to the ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from vp_runtime.budget import Charge, Spender
from vp_runtime.observability.metrics import API_CALLS
from vp_runtime.providers.base import (
    TRANSIENT,
    CannotSpeak,
    Capability,
    ContentRefused,
    Generated,
    ImageRequest,
    Provider,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Request,
    SpeechRequest,
    UpscaleRequest,
    VideoRequest,
    call_key,
)
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.journal import CallJournal, Lease
from vp_runtime.providers.limits import CircuitBreaker, SharedRateLimiter
from vp_runtime.storage import Storage

log = logging.getLogger(__name__)

EXTENSIONS = {"image/png": "png", "video/mp4": "mp4", "audio/wav": "wav", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class Call:
    """One entry of the cost ledger: a call made (or served from the cache)."""

    provider: str
    capability: Capability
    call_key: str
    try_number: int
    amount: Decimal
    units: float
    cache_hit: bool
    outcome: str
    provider_job_id: str | None = None


def _counted(ledger: Ledger) -> Ledger:
    """The ledger, also counting ``ai_api_calls_total`` by provider, capability and outcome."""

    async def record(call: Call) -> None:
        outcome = "error" if call.outcome.startswith("error") else call.outcome
        API_CALLS.labels(call.provider, call.capability.value, outcome).inc()
        await ledger(call)

    return record


@dataclass(frozen=True)
class Produced:
    """Where the asset is and who made it."""

    key: str
    provider: str
    cost: Decimal
    cache_hit: bool
    content_type: str


class AllProvidersRefused(ContentRefused):
    """Every provider's content filter refused: the prompt must change."""


class NoVoice(ProviderError):
    """No configured voice can speak the text (no voice for its language, or every voice came
    out silent): the user must choose another voice or language, retrying will not help."""


class NoProviderAvailable(ProviderError):
    """Every provider failed, is rate-limited or has its breaker open; try again later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


Ledger = Callable[[Call], Awaitable[None]]
RequestFor = Callable[[Provider], Request]
"""Builds the request for a provider (lets a caller word a prompt per provider)."""


@dataclass
class Routed:
    config: ProviderConfig
    provider: Provider
    breaker: CircuitBreaker = field(default_factory=CircuitBreaker)


class _Free:
    """The lease of a call that costs nothing (the offline provider): none is needed."""

    def held(self) -> contextlib.AbstractAsyncContextManager[None]:
        return contextlib.nullcontext()


FREE = _Free()
LEASE_POLL_SECONDS = 0.5


def _cached(
    provider: str, capability: Capability, key: str, storage_key: str, content_type: str
) -> tuple[Call, Produced]:
    """The ledger entry and the result of an asset served from storage."""
    call = Call(provider, capability, key, 0, Decimal(0), 0, True, "cache_hit")
    return call, Produced(storage_key, provider, Decimal(0), True, content_type)


def asset_key(capability: Capability, key: str, content_type: str) -> str:
    """Content-addressed storage key of an asset."""
    return f"assets/{capability.value}/{key[:2]}/{key}.{EXTENSIONS.get(content_type, 'bin')}"


def _content_type(capability: Capability, request: Request) -> str:
    if isinstance(request, UpscaleRequest):
        return request.content_type
    if isinstance(request, SpeechRequest):
        return "audio/wav"
    return "video/mp4" if capability == Capability.VIDEO else "image/png"


class ProviderRouter:
    def __init__(
        self,
        routed: Sequence[Routed],
        storage: Storage,
        limiter: SharedRateLimiter | None,
        *,
        tries: int = 3,
        first_delay: float = 0.5,
        max_delay: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        journal: CallJournal | None = None,
        holder: str = "",
        lease_wait: float = 900.0,
        adapter: Callable[[ProviderConfig], Provider | None] | None = None,
    ) -> None:
        self._routed = list(routed)
        self._adapter = adapter
        self._retired: list[Provider] = []
        self._journal = journal
        self._holder = holder
        self._lease_wait = lease_wait
        self._storage = storage
        self._limiter = limiter
        self._tries = tries
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._sleep = sleep

    def chain(self, capability: Capability, preferred: str | None = None) -> list[Routed]:
        """Active providers that can do ``capability``, the preferred one first."""
        able = [
            r for r in self._routed if r.config.is_active and capability in r.provider.capabilities
        ]
        return sorted(able, key=lambda r: r.config.name != preferred) if preferred else able

    def providers(self) -> list[Routed]:
        return list(self._routed)

    def reconfigure(self, configs: Sequence[ProviderConfig]) -> None:
        """Take a changed configuration at run time (see
        :class:`~vp_runtime.providers.catalog.ProviderCatalog`): a provider whose configuration
        changed gets a new adapter with the new prices and settings, keeping its circuit
        breaker; calls in flight finish on the old one. Rate limits and the active flag are
        read from the configuration on every call, so they apply from the next call on."""
        known = {routed.config.name: routed for routed in self._routed}
        routed: list[Routed] = []
        for config in configs:
            old = known.get(config.name)
            if old is not None and old.config == config:
                routed.append(old)
                continue
            try:
                provider = self._adapter(config) if self._adapter else None
            except ProviderError as error:
                log.warning("provider %s is not used: %s", config.name, error)
                provider = None
            if provider is None:
                if old is not None and self._adapter is None:
                    routed.append(Routed(config, old.provider, old.breaker))
                continue
            if old is not None:
                self._retired.append(old.provider)
            routed.append(Routed(config, provider, old.breaker if old else CircuitBreaker()))
        self._routed = routed

    async def produce(
        self,
        capability: Capability,
        request_for: RequestFor,
        ledger: Ledger,
        preferred: str | None = None,
        spender: Spender | None = None,
    ) -> Produced:
        """The asset, from the cache or from the first provider that makes it. With a
        ``spender``, each paid call is charged to the story's budgets before it is made
        (:class:`~vp_runtime.budget.BudgetReached` when it would cross a cap: not made)."""
        chain = self.chain(capability, preferred)
        ledger = _counted(ledger)
        if not chain:
            raise NoProviderAvailable(f"no active provider can do {capability.value}")
        problems: list[str] = []
        refusals: list[str] = []
        voiceless: list[str] = []
        waits: list[float] = []
        for routed in chain:
            provider = routed.provider
            request = request_for(provider)
            key = call_key(provider, capability, request)
            content_type = _content_type(capability, request)
            storage_key = asset_key(capability, key, content_type)
            cached = _cached(provider.name, capability, key, storage_key, content_type)
            if await self._storage.exists(storage_key):
                await ledger(cached[0])
                return cached[1]
            if not routed.breaker.allows():
                problems.append(f"{provider.name}: circuit open after repeated failures")
                continue
            lease = await self._lease(routed, key, storage_key)
            if lease is None:  # another worker made it meanwhile
                await ledger(cached[0])
                return cached[1]
            try:
                async with lease.held():
                    generated = await self._call_with_retries(
                        routed, capability, request, key, ledger, spender
                    )
                    await self._storage.put_bytes(
                        storage_key, generated.data, generated.content_type
                    )
            except ContentRefused as error:
                refusals.append(str(error))
                continue
            except CannotSpeak as error:
                voiceless.append(str(error))
                continue
            except RateLimited as error:
                problems.append(str(error))
                if error.retry_after is not None:
                    waits.append(error.retry_after)
                continue
            except ProviderError as error:
                problems.append(str(error))
                continue
            return Produced(
                storage_key, provider.name, generated.cost, False, generated.content_type
            )
        if voiceless and not problems and not refusals:
            raise NoVoice("; ".join(voiceless))
        if refusals and not problems:
            raise AllProvidersRefused("; ".join(refusals))
        raise NoProviderAvailable(
            "; ".join(problems + refusals + voiceless), retry_after=min(waits) if waits else None
        )

    async def _lease(self, routed: Routed, key: str, storage_key: str) -> Lease | _Free | None:
        """Hold the call's lease before paying for it; None when another worker made the asset
        while we waited for its lease. Free providers need none (FREE)."""
        if self._journal is None or routed.config.kind == "offline":
            return FREE
        deadline = time.monotonic() + self._lease_wait
        while time.monotonic() < deadline:
            lease = await self._journal.try_lease(key, self._holder)
            if lease is not None:
                return lease
            if await self._storage.exists(storage_key):
                return None
            await self._sleep(LEASE_POLL_SECONDS)
        raise ProviderUnavailable(
            f"{routed.provider.name}: another worker has been making this asset for "
            f"{self._lease_wait:.0f}s"
        )

    async def _call_with_retries(
        self,
        routed: Routed,
        capability: Capability,
        request: Request,
        key: str,
        ledger: Ledger,
        spender: Spender | None,
    ) -> Generated:
        provider, config = routed.provider, routed.config
        for try_number in range(1, self._tries + 1):
            if self._limiter is not None:
                await self._limiter.acquire(
                    config.name, config.rate_limit_per_minute, config.rate_limit_per_hour
                )
            charge = await _charge(spender, routed, capability, request)
            try:
                generated = await _call(provider, capability, request, key)
            except ProviderError as error:
                if charge is not None:  # a call that failed cost nothing: give its charge back
                    await charge.settle(Decimal(0))
                if not isinstance(error, ContentRefused | CannotSpeak):
                    routed.breaker.failure()
                await ledger(
                    Call(
                        provider.name,
                        capability,
                        key,
                        try_number,
                        Decimal(0),
                        0,
                        False,
                        f"error: {error}",
                    )
                )
                if not isinstance(error, TRANSIENT):
                    raise
                if try_number == self._tries or not routed.breaker.allows():
                    raise
                delay = (
                    error.retry_after
                    if isinstance(error, RateLimited) and error.retry_after
                    else None
                )
                delay = min(self._max_delay, delay or self._first_delay * 2 ** (try_number - 1))
                log.info("%s: %s; trying again in %.1fs", provider.name, error, delay)
                await self._sleep(delay)
                continue
            if charge is not None:
                await charge.settle(generated.cost)
            routed.breaker.success()
            await ledger(
                Call(
                    provider.name,
                    capability,
                    key,
                    try_number,
                    generated.cost,
                    generated.units,
                    False,
                    "ok",
                    generated.provider_job_id,
                )
            )
            return generated
        raise AssertionError("unreachable")

    async def close(self) -> None:
        for provider in [*(routed.provider for routed in self._routed), *self._retired]:
            await provider.close()


def _units(request: Request) -> float:
    """What a provider's price is per: seconds of video, characters spoken, else one."""
    if isinstance(request, VideoRequest):
        return request.duration
    if isinstance(request, SpeechRequest):
        return float(len(request.text))
    return 1.0


async def _charge(
    spender: Spender | None, routed: Routed, capability: Capability, request: Request
) -> Charge | None:
    """Charge a paid call to the story's budgets before it is made (None: nothing to charge)."""
    if spender is None or routed.config.kind == "offline":
        return None
    price = routed.provider.estimate_cost(capability, _units(request))
    if price <= 0:
        return None
    return await spender.charge(routed.provider.name, capability.value, price)


async def _call(
    provider: Provider, capability: Capability, request: Request, key: str
) -> Generated:
    if capability == Capability.IMAGE:
        assert isinstance(request, ImageRequest)
        return await provider.generate_image(request, key)
    if capability == Capability.VIDEO:
        assert isinstance(request, VideoRequest)
        return await provider.generate_video(request, key)
    if capability == Capability.NARRATION:
        assert isinstance(request, SpeechRequest)
        return await provider.speak(request, key)
    assert isinstance(request, UpscaleRequest)
    return await provider.upscale(request, key)
