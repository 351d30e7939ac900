"""Build the router from configuration: one adapter per configured provider, in order."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable

from nats.js.client import JetStreamContext

from vp_runtime.messaging.topology import Topology
from vp_runtime.providers.base import Provider, ProviderRejected
from vp_runtime.providers.clova import ClovaSpeechProvider
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.google_tts import GoogleSpeechProvider
from vp_runtime.providers.journal import CallJournal
from vp_runtime.providers.limits import SharedRateLimiter
from vp_runtime.providers.openai_tts import OpenAISpeechProvider
from vp_runtime.providers.replicate import ReplicateProvider
from vp_runtime.providers.router import ProviderRouter, Routed
from vp_runtime.providers.runway import RunwayProvider
from vp_runtime.providers.stability import StabilityProvider
from vp_runtime.storage import Storage

log = logging.getLogger(__name__)

OfflineFactory = Callable[[ProviderConfig], Provider]


def build_router(
    configs: list[ProviderConfig],
    storage: Storage,
    js: JetStreamContext,
    topology: Topology,
    offline: OfflineFactory | None = None,
) -> ProviderRouter:
    """A router over the configured providers. One that cannot start (no key) is skipped with
    a warning saying what to set; the offline provider is built by the service that has one."""
    journal = CallJournal(js, topology.calls_bucket)

    def adapter(config: ProviderConfig) -> Provider | None:
        return None if config.kind == "openai" else _adapter(config, journal, offline)

    routed: list[Routed] = []
    for config in configs:
        try:
            provider = adapter(config)
        except ProviderRejected as error:
            log.warning("provider %s is not used: %s", config.name, error)
            continue
        if provider is not None:  # inactive ones too: an admin may activate them
            routed.append(Routed(config, provider))
    holder = f"{socket.gethostname()}:{os.getpid()}"
    return ProviderRouter(
        routed,
        storage,
        SharedRateLimiter(js, topology.rates_bucket),
        journal=journal,
        holder=holder,
        adapter=adapter,
    )


def _adapter(
    config: ProviderConfig, journal: CallJournal, offline: OfflineFactory | None
) -> Provider | None:
    if config.kind == "stability":
        return StabilityProvider(config)
    if config.kind == "runway":
        return RunwayProvider(config, journal)
    if config.kind == "replicate":
        return ReplicateProvider(config, journal)
    if config.kind == "google_tts":
        return GoogleSpeechProvider(config)
    if config.kind == "clova":
        return ClovaSpeechProvider(config)
    if config.kind == "openai_tts":
        return OpenAISpeechProvider(config)
    return offline(config) if offline is not None else None
