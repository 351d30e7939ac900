"""The providers' configuration at run time: the deployment's (``VP_PROVIDERS``) with what
admins changed since (active flag, rate limits, prices, settings) in a key-value bucket, one
key per provider, that every service watches: a change reaches every replica within a second,
without a restart. Each change is a revision of its key carrying who made it; the bucket keeps
the last 64 of them per provider (the audit list).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.js.client import JetStreamContext
from nats.js.errors import NoKeysError
from nats.js.kv import KeyValue

from vp_runtime.messaging.topology import Topology
from vp_runtime.providers.config import ProviderConfig

log = logging.getLogger(__name__)

Listener = Callable[[list[ProviderConfig]], None]


@dataclass(frozen=True)
class Change:
    """One revision of a provider's configuration."""

    revision: int
    config: ProviderConfig
    changed_by: str
    changed_at: datetime


def _decoded(entry: KeyValue.Entry) -> Change | None:
    if not entry.value:
        return None
    body = json.loads(entry.value)
    return Change(
        entry.revision or 0,
        ProviderConfig.model_validate(body["config"]),
        str(body.get("changed_by", "")),
        datetime.fromisoformat(body["changed_at"]),
    )


class ProviderCatalog:
    def __init__(self, base: list[ProviderConfig], js: JetStreamContext, bucket: str) -> None:
        self._base = list(base)
        self._js = js
        self._bucket_name = bucket
        self._kv: KeyValue | None = None
        self._changed: dict[str, ProviderConfig] = {}
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def watching(
        cls, base: list[ProviderConfig], js: JetStreamContext, bucket: str
    ) -> AsyncIterator[ProviderCatalog]:
        """The catalog with the bucket's current values applied, kept current until the block
        ends."""
        catalog = cls(base, js, bucket)
        await catalog._start()
        try:
            yield catalog
        finally:
            await catalog._stop()

    def current(self) -> list[ProviderConfig]:
        """The deployment's providers in its order, as changed by admins."""
        return [self._changed.get(config.name, config) for config in self._base]

    def get(self, name: str) -> ProviderConfig | None:
        return next((config for config in self.current() if config.name == name), None)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with the whole configuration after each change."""
        self._listeners.append(listener)

    async def change(self, name: str, changes: Mapping[str, Any], actor: str) -> ProviderConfig:
        """Apply ``changes`` (fields of :class:`ProviderConfig`) to a provider, for every
        service; ValueError naming what is wrong when the result is not a valid configuration."""
        current = self.get(name)
        if current is None:
            raise KeyError(name)
        merged = ProviderConfig.model_validate({**current.model_dump(), **changes, "name": name})
        body = {
            "config": merged.model_dump(mode="json"),
            "changed_by": actor,
            "changed_at": datetime.now(UTC).isoformat(),
        }
        await (await self._bucket()).put(name, json.dumps(body).encode())
        self._apply(name, merged)  # this replica sees it at once; the others by the watch
        return merged

    async def history(self, name: str) -> list[Change]:
        """The changes admins made to a provider, oldest first."""
        try:
            entries = await (await self._bucket()).history(name)
        except NoKeysError:
            return []
        return [change for entry in entries if (change := _decoded(entry)) is not None]

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            self._kv = await self._js.key_value(self._bucket_name)
        return self._kv

    def _apply(self, name: str, config: ProviderConfig) -> None:
        if name not in {base.name for base in self._base} or self._changed.get(name) == config:
            return
        self._changed[name] = config
        log.info("provider %s reconfigured: %s", name, config.model_dump(exclude={"settings"}))
        configs = self.current()
        for listener in self._listeners:
            listener(configs)

    async def _start(self) -> None:
        watcher = await (await self._bucket()).watchall()
        # What is there now, then None.
        while (entry := await watcher.updates(timeout=10)) is not None:  # type: ignore[no-untyped-call]
            self._take(entry)
        self._task = asyncio.create_task(self._follow(watcher))

    def _take(self, entry: KeyValue.Entry) -> None:
        try:
            change = _decoded(entry)
        except (ValueError, KeyError) as error:
            log.warning("provider setting %s ignored: %s", entry.key, error)
            return
        if change is not None:
            self._apply(entry.key, change.config)

    async def _follow(self, watcher: KeyValue.KeyWatcher) -> None:
        try:
            async for entry in watcher:
                if entry is not None:
                    self._take(entry)
        finally:
            with contextlib.suppress(Exception):
                await watcher.stop()  # type: ignore[no-untyped-call]

    async def _stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


def live_catalog(
    base: list[ProviderConfig], js: JetStreamContext, topology: Topology
) -> contextlib.AbstractAsyncContextManager[ProviderCatalog]:
    """The catalog a service watches: the topology's provider settings bucket."""
    return ProviderCatalog.watching(base, js, topology.providers_bucket)
