"""Interrupt running scene jobs the moment their attempt (or single-scene job) is cancelled."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Iterable

from nats.aio.client import Client
from nats.aio.msg import Msg
from vp_contracts.subjects import Subjects

log = logging.getLogger(__name__)


class CancelWatch:
    def __init__(self) -> None:
        self._tasks: dict[str, set[asyncio.Task[None]]] = defaultdict(set)

    def track(self, keys: Iterable[str], task: asyncio.Task[None]) -> None:
        keys = tuple(keys)
        for key in keys:
            self._tasks[key].add(task)

        def forget(done: asyncio.Task[None]) -> None:
            for key in keys:
                self._tasks[key].discard(done)
                if not self._tasks[key]:
                    del self._tasks[key]

        task.add_done_callback(forget)

    def cancel(self, key: str) -> int:
        tasks = list(self._tasks.get(key, ()))
        for task in tasks:
            task.cancel()
        return len(tasks)

    async def start(self, client: Client, subjects: Subjects) -> None:
        async def on_fact(message: Msg) -> None:
            try:
                body = json.loads(message.data)
            except ValueError:
                return
            for key in (body.get("attempt_id"), body.get("job_id")):
                if key and self.cancel(str(key)):
                    log.info("interrupted running jobs of %s", key)

        for event in ("cancelled", "job_cancelled"):
            await client.subscribe(subjects.event_of_any_story(event), cb=on_fact)
