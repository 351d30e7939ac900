"""The longest story (10 minutes, 86 scenes) through the services: preview and final wall
times and peak memory. Run in a process of its own (``python -m tests.bench.long_story``), so
its peak figures are its own: the largest ffmpeg of each stage (sampled from ``/proc``) and the
services' Python process (``RUSAGE_SELF``, after the preview and after the final)."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_devtools import devnats

from tests.support.facts import Driver, spec
from tests.support.pipeline import bus, stages
from tests.support.watch import has, wait_for

SENTENCES = (
    "The fox walks through the misty forest.",
    "An owl watches from an old pine.",
    "The river shines under the moon.",
    "Leaves fall slowly on the path.",
)


class ChildPeaks:
    """The largest peak resident size (``VmHWM``) of this process's children while it samples
    (every 50 ms: a child's peak as of its last sample before it exits), in MB."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._task: asyncio.Task[None] | None = None

    def _sample(self) -> None:
        me = str(os.getpid())
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue  # gone meanwhile
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if fields.get("PPid", "").strip() == me and "VmHWM" in fields:
                self.peak_mb = max(self.peak_mb, int(fields["VmHWM"].split()[0]) / 1024)

    async def _run(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(0.05)

    def __enter__(self) -> ChildPeaks:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


def _services_mb() -> float:
    """Peak resident size of this process (every service runs in it), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(folder: Path, url: str) -> dict[str, Any]:
    nats = await bus(url, "benchlong")
    client, topology, store = nats.client, nats.topology, nats.store
    driver = Driver(store)
    story_id = new_id()
    description = " ".join(SENTENCES[i % len(SENTENCES)] for i in range(86))
    await driver.run(
        c.CreateStory(
            story_id=story_id,
            owner_id="bench",
            spec=spec(duration_seconds=600, resolution="480p", fps=24, description=description),
        )
    )
    found: dict[str, Any] = {}
    async with stages(nats.settings, folder / "storage"):
        await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
        await wait_for(client, topology, story_id, has(e.StoryPlanned), timeout=120)
        view = await store.view(story_id)
        found["scenes"] = len(view.scenes)
        for stage, command, fact, timeout in (
            ("preview", c.RequestPreview, e.PreviewComposed, 1200),
            ("final", c.RequestRender, e.RenderCompleted, 1800),
        ):
            started = time.perf_counter()
            with ChildPeaks() as peaks:
                await driver.run(command(story_id=story_id, attempt_id=new_id()))
                await wait_for(client, topology, story_id, has(fact), timeout=timeout)
            found[f"{stage}_seconds"] = time.perf_counter() - started
            found[stage] = {"ffmpeg_mb": peaks.peak_mb, "services_mb": _services_mb()}
        view = await store.view(story_id)
        assert view.final is not None and view.preview is not None
        found["duration"] = view.final.duration_seconds
    await client.close()
    return found


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        server = devnats.start(folder / "nats")
        try:
            found = asyncio.run(measure(folder, server.url))
        finally:
            server.stop()
    sys.stdout.write(json.dumps(found) + "\n")


if __name__ == "__main__":
    main()
