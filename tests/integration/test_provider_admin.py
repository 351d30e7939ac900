"""Provider settings changed at run time on the real key-value bucket: two replicas (two
connections, each its catalog and router) see an admin's change within seconds, without a
restart; a lowered rate limit holds on the other replica, a deactivated provider is skipped
for the next one, a new price is what the estimate counts and what the ledger records; every
change is in the audit list with who made it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
from nats.aio.client import Client
from vp_generator.adapters.offline.provider import OfflineProvider
from vp_runtime.messaging.connection import connect
from vp_runtime.messaging.topology import Topology
from vp_runtime.providers.base import Capability, ImageRequest
from vp_runtime.providers.catalog import ProviderCatalog
from vp_runtime.providers.config import OFFLINE, ProviderConfig, prices
from vp_runtime.providers.registry import build_router
from vp_runtime.providers.router import Call, ProviderRouter
from vp_runtime.settings import RuntimeSettings
from vp_runtime.storage import InMemoryStorage

from tests.support.fake_providers import KEY, FakeProviders, fake_providers

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def _replica(
    client: Client, topology: Topology, base: list[ProviderConfig]
) -> AsyncIterator[tuple[ProviderCatalog, ProviderRouter]]:
    js = client.jetstream()
    async with ProviderCatalog.watching(base, js, topology.providers_bucket) as catalog:
        router = build_router(
            catalog.current(),
            InMemoryStorage(),
            js,
            topology,
            offline=lambda config: OfflineProvider(config),
        )
        catalog.subscribe(router.reconfigure)
        try:
            yield catalog, router
        finally:
            await router.close()


async def _soon(check: Callable[[], bool], what: str, within: float = 3.0) -> float:
    """Seconds until ``check()`` holds."""
    started = asyncio.get_running_loop().time()
    while not check():
        if asyncio.get_running_loop().time() - started > within:
            raise AssertionError(f"not within {within}s: {what}")
        await asyncio.sleep(0.02)
    return asyncio.get_running_loop().time() - started


async def _picture(router: ProviderRouter, seed: int) -> tuple[str, list[Call]]:
    calls: list[Call] = []

    async def ledger(call: Call) -> None:
        calls.append(call)

    request = ImageRequest(prompt="a lighthouse", width=64, height=36, seed=seed)
    produced = await router.produce(Capability.IMAGE, lambda _: request, ledger)
    return produced.provider, calls


async def test_an_admin_s_change_reaches_running_replicas_within_seconds(
    nats_client: Client,
    topology: Topology,
    settings: RuntimeSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    other = await connect(settings, name="replica-b")
    fakes: FakeProviders
    async with fake_providers() as fakes:
        stability = ProviderConfig.model_validate(
            {**fakes.stability_provider(), "cost_per_image": "0.02"}
        )
        base = [stability, OFFLINE]
        async with (
            _replica(nats_client, topology, base) as (admin_side, _),
            _replica(other, topology, base) as (catalog, router),
        ):
            assert (await _picture(router, 1))[0] == "stability"

            # A price: the estimate and the ledger both use it.
            await admin_side.change("stability", {"cost_per_image": "0.07"}, "admin-1")
            took = await _soon(
                lambda: prices(catalog.current()).cost_per_image == Decimal("0.07"), "new price"
            )
            provider, calls = await _picture(router, 2)
            assert provider == "stability" and calls[-1].amount == Decimal("0.07")

            # A rate limit lowered: the other replica holds to it, then falls back.
            await admin_side.change("stability", {"rate_limit_per_minute": 1}, "admin-1")
            await _soon(
                lambda: catalog.get("stability").rate_limit_per_minute == 1,  # type: ignore[union-attr]
                "new limit",
            )
            assert (await _picture(router, 3))[0] == "stability"
            assert (await _picture(router, 4))[0] == "offline"  # over the limit: the next one

            # Deactivated: skipped for the next provider at once.
            await admin_side.change("stability", {"is_active": False}, "admin-2")
            await _soon(lambda: not catalog.get("stability").is_active, "deactivated")  # type: ignore[union-attr]
            seen = fakes.seen("POST", "/v1/generation/")
            assert (await _picture(router, 5))[0] == "offline"
            assert fakes.seen("POST", "/v1/generation/") == seen

            history = await admin_side.history("stability")
        # A replica started now reads the changed configuration from the start.
        async with _replica(nats_client, topology, base) as (late, _):
            assert late.get("stability") == catalog.get("stability")
    await other.close()

    assert took < 2.0, f"the price reached the other replica in {took:.2f}s"
    assert [(c.changed_by, c.config.is_active) for c in history] == [
        ("admin-1", True),
        ("admin-1", True),
        ("admin-2", False),
    ]
    assert history[-1].config.cost_per_image == Decimal("0.07")
    assert json.loads(history[0].config.model_dump_json())["cost_per_image"] == "0.07"
