"""Provider adapters against local servers that answer as the real APIs do; the router's
retries, fallback, cache, breaker, shared rate limits and paid-call journal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from nats.aio.client import Client
from vp_contracts.values import Motion, Style
from vp_generator.adapters.offline.provider import OfflineProvider
from vp_runtime.messaging.topology import Topology
from vp_runtime.providers.base import (
    Capability,
    ContentRefused,
    ImageRequest,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    UpscaleRequest,
    VideoRequest,
)
from vp_runtime.providers.config import OFFLINE, ProviderConfig
from vp_runtime.providers.journal import CallJournal
from vp_runtime.providers.limits import CircuitBreaker, SharedRateLimiter
from vp_runtime.providers.replicate import ReplicateProvider, image_input
from vp_runtime.providers.router import (
    AllProvidersRefused,
    Call,
    ProviderRouter,
    Routed,
)
from vp_runtime.providers.runway import RunwayProvider
from vp_runtime.providers.stability import StabilityProvider
from vp_runtime.storage import LocalStorage, UrlSigner

from tests.support.fake_providers import KEY, FakeProviders, fake_providers

pytestmark = pytest.mark.integration
IMAGE = ImageRequest(prompt="a misty forest", width=1280, height=720, style=Style.CINEMATIC, seed=7)


@pytest.fixture
async def fakes(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeProviders]:
    monkeypatch.setenv("FAKE_PROVIDER_KEY", KEY)
    async with fake_providers() as running:
        yield running


def config(fakes: FakeProviders, kind: str, **extra: Any) -> ProviderConfig:
    settings = {"base_url": fakes.url, "poll_interval": 0.01, **extra.pop("settings", {})}
    return ProviderConfig(
        name=kind, kind=kind, api_key_env="FAKE_PROVIDER_KEY", settings=settings, **extra
    )  # type: ignore[arg-type]


class Ledger:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    async def __call__(self, call: Call) -> None:
        self.calls.append(call)

    @property
    def outcomes(self) -> list[tuple[str, str]]:
        return [(c.provider, c.outcome.split(":")[0]) for c in self.calls]


async def no_sleep(seconds: float) -> None:
    no_sleep.waits.append(seconds)  # type: ignore[attr-defined]


def router(
    routed: list[Routed], tmp_path: Path, limiter: SharedRateLimiter | None = None
) -> ProviderRouter:
    no_sleep.waits = []  # type: ignore[attr-defined]
    storage = LocalStorage(tmp_path / "assets", "http://x/media", UrlSigner("s"))
    return ProviderRouter(routed, storage, limiter, sleep=no_sleep)


async def test_stability_text_to_image_as_the_roadmap_calls_it(fakes: FakeProviders) -> None:
    provider = StabilityProvider(config(fakes, "stability", cost_per_image=Decimal("0.02")))
    generated = await provider.generate_image(IMAGE, "k")
    _, path, body = fakes.requests[-1]
    assert path == "/v1/generation/stable-diffusion-xl-1024-v1-0/text-to-image"
    assert (body["width"], body["height"]) == (1344, 768)  # the SDXL size closest to 16:9
    assert body["text_prompts"][0] == {"text": "a misty forest", "weight": 1}
    assert body["style_preset"] == "cinematic" and body["seed"] == 7
    assert generated.data.startswith(b"\x89PNG") and generated.cost == Decimal("0.02")
    await provider.close()


async def test_the_backend_guides_settings_keys_are_honoured(
    fakes: FakeProviders, nats_client: Client, topology: Topology
) -> None:
    """``settings.default_model`` / ``default_steps`` (the admin table's names) and Runway's
    ``max_duration``."""
    guided = {"default_model": "stable-diffusion-v1-6", "default_steps": 50}
    stability = StabilityProvider(config(fakes, "stability", settings=guided))
    await stability.generate_image(IMAGE, "k")
    _, path, body = fakes.requests[-1]
    assert path == "/v1/generation/stable-diffusion-v1-6/text-to-image" and body["steps"] == 50
    await stability.close()

    journal = CallJournal(nats_client.jetstream(), topology.calls_bucket)
    runway = RunwayProvider(
        config(
            fakes,
            "runway",
            cost_per_second_video=Decimal("0.05"),
            settings={"max_duration": 5, "default_model": "gen3a_turbo"},
        ),
        journal,
    )
    request = VideoRequest(image=b"png", prompt="walks", width=1280, height=720, duration=7, fps=24)
    video = await runway.generate_video(request, "capped")
    body = next(b for m, p, b in fakes.requests if p == "/v1/image_to_video")
    assert body["duration"] == 5 and body["model"] == "gen3a_turbo"
    assert video.units == 5 and video.cost == Decimal("0.25")  # billed for the clip it made
    await runway.close()


@pytest.mark.parametrize("refusal", [("filter",), ("invalid_prompts",)])
async def test_a_content_filter_refusal_is_reported_as_such(
    fakes: FakeProviders, refusal: tuple[str]
) -> None:
    provider = StabilityProvider(config(fakes, "stability"))
    fakes.then("stability", refusal)
    with pytest.raises(ContentRefused):
        await provider.generate_image(IMAGE, "k")
    await provider.close()


async def test_429_is_retried_after_the_delay_the_provider_asks_for(
    fakes: FakeProviders, tmp_path: Path
) -> None:
    fakes.then("stability", ("status", 429, 3))
    ledger = Ledger()
    routed = [Routed(config(fakes, "stability"), StabilityProvider(config(fakes, "stability")))]
    produced = await router(routed, tmp_path).produce(Capability.IMAGE, lambda p: IMAGE, ledger)
    assert produced.provider == "stability" and not produced.cache_hit
    assert ledger.outcomes == [("stability", "error"), ("stability", "ok")]
    assert no_sleep.waits == [3.0]  # type: ignore[attr-defined]


async def test_5xx_retries_with_backoff_then_falls_back_and_the_ledger_shows_each_call(
    fakes: FakeProviders, tmp_path: Path
) -> None:
    fakes.then("stability", ("status", 503), ("status", 502), ("status", 500))
    ledger = Ledger()
    routed = [
        Routed(config(fakes, "stability"), StabilityProvider(config(fakes, "stability"))),
        Routed(OFFLINE, OfflineProvider(OFFLINE)),
    ]
    produced = await router(routed, tmp_path).produce(Capability.IMAGE, lambda p: IMAGE, ledger)
    assert produced.provider == "offline"
    assert ledger.outcomes == [("stability", "error")] * 3 + [("offline", "ok")]
    assert no_sleep.waits == [0.5, 1.0]  # type: ignore[attr-defined]
    assert fakes.seen("POST", "/v1/generation") == 3


async def test_the_same_request_is_served_from_the_cache_at_no_cost(
    fakes: FakeProviders, tmp_path: Path
) -> None:
    stability = config(fakes, "stability", cost_per_image=Decimal("0.02"))
    the_router = router([Routed(stability, StabilityProvider(stability))], tmp_path)
    first, second = Ledger(), Ledger()
    made = await the_router.produce(Capability.IMAGE, lambda p: IMAGE, first)
    again = await the_router.produce(Capability.IMAGE, lambda p: IMAGE, second)
    other_seed = await the_router.produce(
        Capability.IMAGE, lambda p: ImageRequest(**{**IMAGE.__dict__, "seed": 8}), Ledger()
    )
    assert again.key == made.key and again.cache_hit and again.cost == 0
    assert [c.amount for c in first.calls] == [Decimal("0.02")] and second.calls[0].cache_hit
    assert other_seed.key != made.key
    assert fakes.seen("POST", "/v1/generation") == 2


async def test_a_refusal_everywhere_is_a_business_failure(
    fakes: FakeProviders, tmp_path: Path
) -> None:
    fakes.then("stability", ("filter",))
    routed = [Routed(config(fakes, "stability"), StabilityProvider(config(fakes, "stability")))]
    with pytest.raises(AllProvidersRefused):
        await router(routed, tmp_path).produce(Capability.IMAGE, lambda p: IMAGE, Ledger())


async def test_an_open_breaker_skips_the_provider(fakes: FakeProviders, tmp_path: Path) -> None:
    broken = Routed(
        config(fakes, "stability"),
        StabilityProvider(config(fakes, "stability")),
        CircuitBreaker(threshold=1),
    )
    broken.breaker.failure()
    ledger = Ledger()
    produced = await router([broken, Routed(OFFLINE, OfflineProvider(OFFLINE))], tmp_path).produce(
        Capability.IMAGE, lambda p: IMAGE, ledger
    )
    assert produced.provider == "offline" and fakes.seen("POST", "/v1/generation") == 0


def test_circuit_breaker_opens_cools_down_and_closes_on_success() -> None:
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=lambda: now[0])
    for _ in range(3):
        assert breaker.allows()
        breaker.failure()
    assert breaker.state == "open" and not breaker.allows()
    now[0] = 11
    assert breaker.allows() and not breaker.allows()  # one trial call
    breaker.failure()
    assert breaker.state == "open"
    now[0] = 22
    assert breaker.allows()
    breaker.success()
    assert breaker.state == "closed"


async def test_rate_limits_hold_across_replicas(nats_client: Client, topology: Topology) -> None:
    js = nats_client.jetstream()
    clock = [1_000_000.0]
    first = SharedRateLimiter(js, topology.rates_bucket, clock=lambda: clock[0])
    second = SharedRateLimiter(js, topology.rates_bucket, clock=lambda: clock[0])
    await first.acquire("stability", per_minute=3, per_hour=None)
    await second.acquire("stability", per_minute=3, per_hour=None)
    await first.acquire("stability", per_minute=3, per_hour=None)
    with pytest.raises(RateLimited) as limited:
        await second.acquire("stability", per_minute=3, per_hour=None)
    assert 0 < (limited.value.retry_after or 0) <= 60
    clock[0] += 60
    await second.acquire("stability", per_minute=3, per_hour=None)  # a new minute


async def test_runway_submits_once_and_a_restarted_worker_resumes_polling(
    fakes: FakeProviders, nats_client: Client, topology: Topology
) -> None:
    journal = CallJournal(nats_client.jetstream(), topology.calls_bucket)
    request = VideoRequest(
        image=b"png", prompt="walks", width=1280, height=720, duration=7, fps=24, motion=Motion.SLOW
    )
    fakes.then("runway", ("slow", 6))
    impatient = RunwayProvider(config(fakes, "runway", settings={"timeout": 0.02}), journal)
    with pytest.raises(ProviderUnavailable, match="did not finish"):
        await impatient.generate_video(request, "call-1")  # the worker "dies" while the task runs
    task_id = await journal.find("call-1")

    restarted = RunwayProvider(
        config(fakes, "runway", cost_per_second_video=Decimal("0.05")), journal
    )
    video = await restarted.generate_video(request, "call-1")

    assert task_id is not None and video.provider_job_id == task_id
    assert fakes.seen("POST", "/v1/image_to_video") == 1
    body = next(b for m, p, b in fakes.requests if p == "/v1/image_to_video")
    assert (
        body["ratio"] == "1280:720"
        and body["duration"] == 10
        and body["promptImage"].startswith("data:image/png;base64,")
    )
    assert video.cost == Decimal("0.50")


async def test_a_failed_runway_task_is_forgotten_so_a_retry_pays_for_a_new_one(
    fakes: FakeProviders, nats_client: Client, topology: Topology
) -> None:
    journal = CallJournal(nats_client.jetstream(), topology.calls_bucket)
    request = VideoRequest(image=b"png", prompt="walks", width=720, height=1280, duration=5, fps=24)
    fakes.then("runway", ("unsafe",))
    provider = RunwayProvider(config(fakes, "runway"), journal)
    with pytest.raises(ContentRefused):
        await provider.generate_video(request, "call-2")
    assert await journal.find("call-2") is None


async def test_a_worker_that_died_with_its_submit_in_flight_is_not_paid_for_twice(
    fakes: FakeProviders, nats_client: Client, topology: Topology
) -> None:
    """The provider took the prediction, the worker died before it heard the id: its successor
    finds the prediction among the account's recent ones instead of paying again."""
    journal = CallJournal(nats_client.jetstream(), topology.calls_bucket)
    fakes.list_page = 2  # the dead worker's prediction is on the second page
    provider = ReplicateProvider(config(fakes, "replicate"), journal)
    await provider.generate_image(IMAGE, "earlier")  # older predictions with other inputs
    await provider.generate_image(replace(IMAGE, seed=9), "earlier-2")

    await journal.intend("died", "replicate")
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}) as dead_worker:
        lost = await dead_worker.post(
            f"{fakes.url}/v1/models/black-forest-labs/flux-schnell/predictions",
            json={"input": image_input(replace(IMAGE, seed=3))},
        )
    for other in (4, 5):  # later predictions push it to the second page
        await provider.generate_image(replace(IMAGE, seed=other), f"later-{other}")
    paid = fakes.paid_predictions()

    image = await provider.generate_image(replace(IMAGE, seed=3), "died")

    assert fakes.paid_predictions() == paid  # found, not submitted again
    assert image.provider_job_id == lost.json()["id"] == await journal.find("died")
    assert fakes.seen("GET", "/v1/predictions") >= 2  # it paged
    await provider.close()


async def test_an_intent_without_a_prediction_is_submitted(
    fakes: FakeProviders, nats_client: Client, topology: Topology
) -> None:
    """The worker died before its submit reached the provider: nothing to find, so it is paid
    for once now."""
    journal = CallJournal(nats_client.jetstream(), topology.calls_bucket)
    provider = ReplicateProvider(config(fakes, "replicate"), journal)
    await journal.intend("never-sent", "replicate")

    image = await provider.generate_image(IMAGE, "never-sent")

    assert fakes.paid_predictions() == 1
    assert image.provider_job_id == await journal.find("never-sent")
    await provider.close()


async def test_a_refused_submit_leaves_no_intent_and_an_unanswered_one_keeps_it(
    fakes: FakeProviders, nats_client: Client, topology: Topology
) -> None:
    """A 4xx means the provider made nothing: the next try submits without a lookup. A 5xx or
    no answer may hide a job: the intent stays for the lookup."""
    journal = CallJournal(nats_client.jetstream(), topology.calls_bucket)
    provider = RunwayProvider(config(fakes, "runway"), journal)
    request = VideoRequest(image=b"png", prompt="walks", width=1280, height=720, duration=5, fps=24)
    fakes.then("runway", ("status", 400), ("status", 503))
    with pytest.raises(ProviderRejected):
        await provider.generate_video(request, "refused")
    with pytest.raises(ProviderUnavailable):
        await provider.generate_video(request, "unanswered")
    assert await journal.entry("refused") is None
    kept = await journal.entry("unanswered")
    assert kept is not None and kept.provider_job_id is None and kept.submitting_since
    await provider.close()


async def test_replicate_predictions_for_images_clips_and_upscaling(
    fakes: FakeProviders, nats_client: Client, topology: Topology
) -> None:
    journal = CallJournal(nats_client.jetstream(), topology.calls_bucket)
    provider = ReplicateProvider(
        config(fakes, "replicate", cost_per_image=Decimal("0.003")), journal
    )
    fakes.then("replicate", ("slow", 3))
    image = await provider.generate_image(IMAGE, "r-1")
    clip = await provider.generate_video(
        VideoRequest(image=b"x", prompt="p", width=854, height=480, duration=4, fps=24), "r-2"
    )
    bigger = await provider.upscale(UpscaleRequest(image=b"x", scale=2), "r-3")
    fakes.then("replicate", ("nsfw",))
    with pytest.raises(ContentRefused, match="NSFW"):
        await provider.generate_image(ImageRequest(prompt="x", width=64, height=64), "r-4")
    assert image.data.startswith(b"\x89PNG") and image.cost == Decimal("0.003")
    assert clip.content_type == "video/mp4" and bigger.data.startswith(b"\x89PNG")
    assert fakes.seen("POST", "/v1/models/nightmareai/real-esrgan/predictions") == 1
    await provider.close()
