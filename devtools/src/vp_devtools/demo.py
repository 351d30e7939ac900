"""``vp-demo``: a sample story from draft to final video through the public API, as a user
would drive it (with the generated client, ``vp_client``), with live progress from the notifier.

Registers (or logs in) a demo user, creates the story, asks for a live ticket, follows the
story's Server-Sent Events (resuming with Last-Event-ID if the stream drops), requests
planning, the preview and the final render, downloads the results and prints where they are.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import httpx
from vp_client import ApiError, VideoPlanet

from vp_devtools.sse import ServerEvent, follow

SAMPLE_STORIES: dict[str, dict[str, Any]] = {
    "ko": {
        "title": "여우와 등불",
        "description": (
            "작은 여우가 안개 낀 숲에서 오래된 등불을 찾습니다. 등불이 밝게 빛나기 시작합니다. "
            "부엉이들이 나무에서 내려와 등불을 구경합니다. 함께 강가로 걸어가니, 강물이 별처럼 "
            "반짝입니다."
        ),
        "character_prompt": "빨간 목도리를 한 작은 주황색 여우",
        "background_prompt": "해질녘 안개 낀 소나무 숲",
        "action_prompt": "조심스럽게 걸으며 주위를 둘러봅니다",
        "style": "watercolor",
        "duration_seconds": 28,
        "resolution": "720p",
        "fps": 30,
        "narration": True,
        "burn_subtitles": True,
        "language": "ko",
    },
    "en": {
        "title": "The fox and the lantern",
        "description": (
            "A small fox finds an old lantern in the misty forest. The lantern begins to glow. "
            "The owls come down from the trees to see it. Together they walk to the river, where "
            "the water shines like stars."
        ),
        "character_prompt": "a small red fox with a blue scarf",
        "background_prompt": "a misty pine forest at dusk",
        "action_prompt": "walks carefully, looking around",
        "style": "watercolor",
        "duration_seconds": 28,
        "resolution": "720p",
        "fps": 30,
        "narration": True,
        "burn_subtitles": True,
        "language": "en",
    },
}
SAMPLE_STORY = SAMPLE_STORIES["ko"]
"""The demo tells its story in Korean, VideoPlanet's creators' language (DEMO_LANG=en: English)."""
STAGE_NAMES = {"planning": "plan", "scene": "scenes", "compose": "compose", "upscale": "finish"}


class DemoFailed(Exception):
    pass


@dataclass
class Result:
    story_id: str
    story: dict[str, Any]
    files: dict[str, Path]
    seconds: float
    events: list[ServerEvent] = field(default_factory=list)

    @property
    def cost(self) -> Decimal:
        return Decimal(str(self.story.get("actual_cost", "0")))


class Progress:
    """One bar per stage and phase; redrawn in place on a terminal, stepped lines otherwise."""

    WIDTH = 30

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._tty = out.isatty()
        self._bars: dict[str, float] = {}
        self._drawn = 0
        self._printed: dict[str, int] = {}

    def bar(self, name: str, percent: float) -> None:
        percent = max(self._bars.get(name, 0.0), min(100.0, percent))
        self._bars[name] = percent
        if self._tty:
            self._redraw()
        elif percent // 25 > self._printed.get(name, -1):
            self._printed[name] = int(percent // 25)
            self._out.write(f"  {self._line(name, percent)}\n")
            self._out.flush()

    def line(self, text: str) -> None:
        if self._tty and self._drawn:
            self._out.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0
        self._out.write(text + "\n")
        if self._tty:
            self._redraw()
        self._out.flush()

    def _line(self, name: str, percent: float) -> str:
        filled = round(self.WIDTH * percent / 100)
        return f"{name:<16} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:5.1f}%"

    def _redraw(self) -> None:
        if self._drawn:
            self._out.write(f"\x1b[{self._drawn}F")
        for name, percent in self._bars.items():
            self._out.write("\x1b[2K" + self._line(name, percent) + "\n")
        self._drawn = len(self._bars)
        self._out.flush()


class Follower:
    """Follows the story's events, keeps its status, resumes after a dropped connection."""

    def __init__(self, api: VideoPlanet, story_id: str, progress: Progress) -> None:
        self._api = api
        self._story_id = story_id
        self._progress = progress
        self.status = "draft"
        self.failure: str | None = None
        self.last_id: int | None = None
        self.events: list[ServerEvent] = []
        self.facts: set[str] = set()
        """Names of the facts seen."""
        self._phases: dict[str, str] = {}

        self._changed = asyncio.Condition()

    async def run(self) -> None:
        while True:
            ticket = await self._api.issue_live_ticket(self._story_id)
            with contextlib.suppress(httpx.TransportError):
                async for event in follow(self._api.http, ticket.events_url, self.last_id):
                    await self._on(event)
            await asyncio.sleep(0.5)  # the stream dropped: resume after the last event

    async def _on(self, event: ServerEvent) -> None:
        self.events.append(event)
        data = event.data
        if event.id is not None:
            self.last_id = event.id
        if event.event == "progress":
            phase = self._phases.get(data.get("attempt_id", ""), "")
            stage = STAGE_NAMES.get(data.get("stage", ""), data.get("stage", "?"))
            name = stage if stage == "plan" else phase + stage
            self._progress.bar(name, float(data.get("stage_percent", data.get("percent", 0))))
            return
        async with self._changed:
            self.facts.add(str(data.get("event")))
            self._changed.notify_all()
        if event.event == "status":
            attempt = data["fact"].get("attempt_id")
            running = {"previewing": "preview ", "rendering": "final "}.get(data["status"])
            if attempt and running:
                self._phases[attempt] = running

            before = data["previous_status"] or "new"
            self._progress.line(f"status: {before} -> {data['status']} ({data['message']})")
            async with self._changed:
                self.status = data["status"]
                if self.status == "failed":
                    self.failure = data["message"]
                self._changed.notify_all()

    async def wait_for(self, status: str) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.status in (status, "failed"))
        if self.status == "failed":
            raise DemoFailed(f"the story failed: {self.failure}")

    async def wait_for_fact(self, name: str, seconds: float) -> bool:
        """Whether the fact ``name`` arrives within ``seconds``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self._changed:
                await self._changed.wait_for(lambda: name in self.facts)
        return name in self.facts


async def _login(api: VideoPlanet, email: str, password: str) -> str:
    credentials = {"email": email, "password": password}
    try:
        await api.register_user(credentials)
    except ApiError as error:
        if error.code != "email_taken":
            raise
    return (await api.log_in(credentials)).access_token


async def run_demo(
    gateway_url: str,
    downloads: Path,
    *,
    email: str = "demo@videoplanet.example",
    password: str = "demo-password-1",
    story: dict[str, Any] | None = None,
    out: TextIO = sys.stdout,
    limit_seconds: float = 900,
) -> Result:
    started = time.perf_counter()
    progress = Progress(out)
    async with VideoPlanet(gateway_url) as api:
        api.token = await _login(api, email, password)
        created = await api.create_story(story or SAMPLE_STORY)
        story_id = created.id
        progress.line(
            f"story {story_id}: {created.title!r} ({created.duration_seconds} s, "
            f"{created.resolution.value}@{created.fps}), estimate ${created.cost_estimate}"
        )
        follower = Follower(api, story_id, progress)
        following = asyncio.create_task(follower.run())
        try:
            async with asyncio.timeout(limit_seconds):
                await api.transition_story(story_id, {"to": "planning"})
                await follower.wait_for("planned")
                await api.generate_preview(story_id)
                await follower.wait_for("preview_ready")
                await api.render_final(story_id)
                await follower.wait_for("completed")
            # Its streaming renditions follow the final; the demo shows them when they come.
            if not await follower.wait_for_fact("final_streamed", 120):
                progress.line("the final has no HLS renditions yet (see the upscaler's log)")
        finally:
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
        final = (await api.get_story(story_id)).model_dump(mode="json")
        files = await _download(api.http, final, downloads / story_id)
    return Result(story_id, final, files, time.perf_counter() - started, follower.events)


async def _download(
    http: httpx.AsyncClient, story: dict[str, Any], folder: Path
) -> dict[str, Path]:
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    wanted = {
        "preview": ("preview_url", "mp4"),
        "final": ("final_url", "mp4"),
        "thumbnail": ("thumbnail_url", "jpg"),
        "subtitles": ("subtitles_url", "vtt"),
    }
    files = {}
    for name, (key, suffix) in wanted.items():
        url = story.get(key)
        if not url:
            continue
        target = folder / f"{name}.{suffix}"
        async with http.stream("GET", url) as answer:
            answer.raise_for_status()
            with target.open("wb") as sink:
                async for chunk in answer.aiter_bytes():
                    sink.write(chunk)
        files[name] = target
    return files


def report(result: Result, out: TextIO) -> None:
    story = result.story
    out.write(f"\nDone in {result.seconds:.1f} s. Cost: ${result.cost}\n")
    for name in ("preview", "final", "thumbnail", "subtitles"):
        if name in result.files:
            out.write(f"  {name:<10} {result.files[name]}\n")
            out.write(f"  {'':<10} {story.get(name + '_url')}\n")
    if story.get("final_hls_url"):
        out.write(f"  {'streaming':<10} {story['final_hls_url']}\n")


def _gateway_url(state: Path) -> str:
    if "VP_GATEWAY_URL" in os.environ:
        return os.environ["VP_GATEWAY_URL"]
    described = state / "stack.json"
    if described.exists():
        return str(json.loads(described.read_text())["urls"]["gateway"])
    return "http://127.0.0.1:" + os.environ.get("VP_GATEWAY_PORT", "8000")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vp-demo", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--home", default=os.environ.get("VP_HOME", ".vp"), help="state folder of the local stack"
    )
    parser.add_argument(
        "--language",
        default=os.environ.get("DEMO_LANG", "ko"),
        choices=sorted(SAMPLE_STORIES),
        help="language of the sample story (DEMO_LANG; Korean by default)",
    )
    args = parser.parse_args(argv)
    home = Path(args.home)
    story = SAMPLE_STORIES[args.language]
    try:
        result = asyncio.run(run_demo(_gateway_url(home), home / "demo", story=story))
    except (DemoFailed, ApiError, httpx.HTTPError, TimeoutError) as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    report(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
