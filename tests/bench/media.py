"""Media: preview and final wall times through the services, the compositor against the same
graph written by hand as one ffmpeg command, and against MoviePy."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nats.aio.msg import Msg
from vp_compositor.adapters.queue import JetStreamComposeQueue
from vp_compositor.domain.layers import cut_out
from vp_compositor.service.compose import Composer
from vp_compositor.settings import CompositorSettings
from vp_contracts.events import story as e
from vp_contracts.ids import new_id
from vp_contracts.story import commands as c
from vp_contracts.story.view import StoryView
from vp_contracts.values import Motion
from vp_devtools import devnats
from vp_runtime.media.fonts import font_for_text
from vp_runtime.messaging.progress import Progress
from vp_runtime.stage import Worker
from vp_runtime.storage import LocalStorage, UrlSigner

from tests.support.facts import Driver, spec
from tests.support.pipeline import bus, stages
from tests.support.watch import has, wait_for

Row = tuple[str, str, str]
STORY = (
    "A small fox finds an old lantern. It glows in the misty forest. The owls come to see it. "
    "Together they walk to the river. The water shines like stars. The fox smiles and goes home."
)
ZOOM = {Motion.SLOW: 0.08, Motion.MEDIUM: 0.16, Motion.FAST: 0.26}
ROUNDS = {"preview": 3, "final": 1}
MOVIEPY = Path(".vp/bench/moviepy")


async def run() -> list[Row]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        server = devnats.start(folder / "nats")
        try:
            rows = await _measure(server.url, folder)
        finally:
            server.stop()
    return rows + await _long_story()


async def _long_story() -> list[Row]:
    """The 10-minute story, in a process of its own (its peak memory is its own)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.bench.long_story",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        return [("10-minute story", "failed", f"exit {process.returncode}")]
    found = json.loads(out.decode().strip().splitlines()[-1])
    title = f"10-minute story ({found['scenes']} scenes, 480p24)"
    rows: list[Row] = []
    for stage in ("preview", "final"):
        peak = max(found[stage].values())
        rows += [
            (f"{title}: {stage} requested -> ready", f"{found[stage + '_seconds']:.0f} s", ""),
            (
                f"{title}:   peak RSS, largest ffmpeg / services' process",
                f"{found[stage]['ffmpeg_mb']:.0f} / {found[stage]['services_mb']:.0f} MB",
                _goal(peak < 2048, "< 2 GB each"),
            ),
        ]
    return rows


async def _measure(url: str, folder: Path) -> list[Row]:
    nats = await bus(url, "benchmedia")
    client, topology, settings, store = nats.client, nats.topology, nats.settings, nats.store
    driver = Driver(store)
    storage_dir = folder / "storage"
    story_id = new_id()
    await driver.run(
        c.CreateStory(
            story_id=story_id,
            owner_id="bench",
            spec=spec(
                duration_seconds=42,
                resolution="1080p",
                fps=30,
                description=STORY,
                background_prompt="a misty pine forest at dusk",
                character_prompt="a small red fox with a blue scarf",
                action_prompt="walks carefully",
            ),
        )
    )
    async with stages(settings, storage_dir):
        await driver.run(c.RequestPlanning(story_id=story_id, attempt_id=new_id()))
        await wait_for(client, topology, story_id, has(e.StoryPlanned))
        marks: dict[str, float] = {}

        async def on_tick(message: Msg) -> None:
            tick = json.loads(message.data)
            if tick.get("stage") == "compose":
                marks.setdefault("compose", time.perf_counter())
                if "playable" in tick:
                    marks.setdefault("playable", time.perf_counter())

        ticks = await client.subscribe(topology.subjects.progress(story_id), cb=on_tick)
        asked = time.perf_counter()
        await driver.run(c.RequestPreview(story_id=story_id, attempt_id=new_id()))
        await wait_for(client, topology, story_id, has(e.PreviewComposed), timeout=300)
        preview_wall = time.perf_counter() - asked
        await ticks.unsubscribe()
        preview_view = await store.view(story_id)
        started = time.perf_counter()
        await driver.run(c.RequestRender(story_id=story_id, attempt_id=new_id()))
        await wait_for(client, topology, story_id, has(e.RenderCompleted), timeout=600)
        final_wall = time.perf_counter() - started
        final_view = await store.view(story_id)
        started = time.perf_counter()
        await wait_for(client, topology, story_id, has(e.FinalStreamed), timeout=600)
        ladder_wall = time.perf_counter() - started
    storage = LocalStorage(storage_dir, "http://x", UrlSigner("s"))
    worker = Worker(store, Progress(client, topology.subjects, "bench"), "bench", "bench")
    queue = JetStreamComposeQueue(client.jetstream(), topology, CompositorSettings().capacity())
    composer = Composer(worker, storage, CompositorSettings(), font_for_text, queue)
    rows: list[Row] = [
        (
            "preview: requested -> ready (6 scenes, 42 s, 854x480@24)",
            f"{preview_wall:.1f} s",
            _goal(preview_wall < 15, "< 15 s"),
        ),
        (
            "preview: requested -> first segment playable (HLS, 2 s segments)",
            f"{marks['playable'] - asked:.2f} s",
            _goal(marks["playable"] - asked <= 2, "<= 2 s"),
        ),
        (
            "preview:   of which after the compose began (scenes generated)",
            f"{marks['playable'] - marks['compose']:.2f} s",
            "",
        ),
        (
            "final: render requested -> completed (1080p30, x264 fast crf 22)",
            f"{final_wall:.1f} s",
            _goal(final_wall < 60, "< 60 s"),
        ),
        (
            "final: completed -> HLS ladder stored (1080p copied, 720p + 480p veryfast)",
            f"{ladder_wall:.1f} s",
            "",
        ),
    ]
    for label, view, preset, crf in (
        ("preview", preview_view, "ultrafast", 28),
        ("final", final_view, "fast", 22),
    ):
        # Interleaved rounds on an idle machine; the median of each side.
        work = folder / f"hand-{label}"
        plan = await _inputs(view, storage, work, label)
        attempt = view.attempt
        assert attempt is not None
        mine, theirs = [], []
        for _ in range(ROUNDS[label]):
            started = time.perf_counter()
            await composer.compose(view, attempt)
            mine.append(time.perf_counter() - started)
            started = time.perf_counter()
            _hand_written(plan, work, preset, crf)
            theirs.append(time.perf_counter() - started)
        ours, by_hand = statistics.median(mine), statistics.median(theirs)
        rows += [
            (
                f"{label}: compositor (assets, layers, ffmpeg, probe, thumbnail, upload)",
                f"{ours:.1f} s",
                "",
            ),
            (f"{label}: the same graph as one hand-written ffmpeg command", f"{by_hand:.1f} s", ""),
            (
                f"{label}:   compositor overhead",
                f"{(ours / by_hand - 1):+.0%}",
                _goal(ours / by_hand - 1 < 0.10, "< 10%"),
            ),
        ]
        moviepy = _moviepy(plan, work, preset, crf)
        rows.append(
            (f"{label}: MoviePy, same scenes", f"{moviepy:.1f} s" if moviepy else "not run", "")
        )
    await client.close()
    return rows


async def _inputs(view: StoryView, storage: LocalStorage, work: Path, label: str) -> dict:  # type: ignore[type-arg]
    """The attempt's files, with cut-outs cropped, as a plain description."""
    work.mkdir(parents=True)
    media = view.preview if label == "preview" else view.master
    assert media is not None
    scenes = []
    for index, scene in enumerate(view.attempt_scenes() if label == "final" else view.scenes):
        assets = scene.assets
        assert assets is not None
        background, character = work / f"bg{index}.png", work / f"ch{index}.png"

        await storage.download(assets.background_key, background)
        await storage.download(assets.character_key or "", character)
        layer = cut_out(
            character, media.width, media.height, work / f"layer{index}.png", "character"
        )
        narration = work / f"n{index}.wav"
        await storage.download(assets.narration_key or "", narration)
        assert layer is not None
        scenes.append(
            {
                "background": background.name,
                "layer": layer.path,
                "x": layer.x,
                "y": layer.y,
                "narration": narration.name,
                "duration": scene.spec.duration_seconds,
                "zoom": ZOOM[scene.spec.prompt.motion],
                "action": scene.spec.prompt.action,
            }
        )
    return {
        "width": media.width,
        "height": media.height,
        "fps": round(media.fps),
        "crossfade": 0.5,
        "scenes": scenes,
    }


def _hand_written(plan: dict, work: Path, preset: str, crf: int) -> None:  # type: ignore[type-arg]
    w, h, fps, fade = plan["width"], plan["height"], plan["fps"], plan["crossfade"]
    inputs, graph, n = [], [], len(plan["scenes"])
    for i, s in enumerate(plan["scenes"]):
        length = s["duration"] + (fade if i < n - 1 else 0)
        frames = round(length * fps)
        inputs += ["-i", s["background"], "-i", s["layer"]]
        zoom = {
            0: f"1+{s['zoom']}*on/{frames}",
            1: f"{1 + s['zoom']}",
            2: f"{1 + s['zoom']}-{s['zoom']}*on/{frames}",
            3: f"{1 + s['zoom']}",
        }[i % 4]
        x = {1: f"(iw-iw/zoom)*on/{frames}", 3: f"(iw-iw/zoom)*(1-on/{frames})"}.get(
            i % 4, "(iw-iw/zoom)/2"
        )
        drift = (1 if i % 2 == 0 else -1) * round(w * 0.07)
        graph.append(
            f"[{2 * i}:v]scale={round(w * 0.75) * 2}:{round(h * 0.75) * 2}:force_original_aspect_ratio=increase,"
            f"crop={round(w * 0.75) * 2}:{round(h * 0.75) * 2},zoompan=z='{zoom}':x='{x}':y='(ih-ih/zoom)/2':"
            f"d={frames}:s={w}x{h}:fps={fps},setsar=1,format=yuv420p[b{i}];[{2 * i + 1}:v]format=yuva420p[c{i}];"
            f"[b{i}][c{i}]overlay=x='{s['x']}+{drift}*(t/{length:.3f}-0.5)':y='{s['y']}-{round(h * 0.006)}*abs(sin(2*PI*t*1.6))':"
            f"eval=frame:eof_action=repeat,setsar=1[v{i}]"
        )
    offset, previous = 0.0, "[v0]"
    for i in range(1, n):
        offset += plan["scenes"][i - 1]["duration"]
        label = "[vout]" if i == n - 1 else f"[x{i}]"
        graph.append(
            f"{previous}[v{i}]xfade=transition=fade:duration={fade}:offset={offset}{label}"
        )
        previous = label
    for i, s in enumerate(plan["scenes"]):
        inputs += ["-i", s["narration"]]
        graph.append(
            f"[{2 * n + i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=mono,apad=whole_dur={s['duration']},atrim=duration={s['duration']}[a{i}]"
        )
    graph.append(
        "".join(f"[a{i}]" for i in range(n))
        + f"concat=n={n}:v=0:a=1,aformat=channel_layouts=stereo[aout]"
    )
    total = sum(s["duration"] for s in plan["scenes"])
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            *inputs,
            "-filter_complex",
            ";".join(graph),
            "-map",
            "[vout]",
            "-map",
            "[aout]",
            "-c:v",
            "libx264",
            "-preset",
            preset,
            "-crf",
            str(crf),
            "-pix_fmt",
            "yuv420p",
            "-r",
            str(fps),
            "-c:a",
            "aac",
            "-b:a",
            "128k",
            "-t",
            str(total),
            "-movflags",
            "+faststart",
            "hand.mp4",
        ],
        cwd=work,
        check=True,
    )


def _moviepy(plan: dict, work: Path, preset: str, crf: int) -> float | None:  # type: ignore[type-arg]
    if os.environ.get("VP_BENCH_MOVIEPY", "1") == "0":
        return None
    python = MOVIEPY / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(MOVIEPY)], check=True)
        subprocess.run(
            [
                str(MOVIEPY / "bin" / "pip"),
                "install",
                "--quiet",
                "moviepy==2.2.1",
                "pillow<12",
                "numpy<2.3",
            ],
            check=True,
        )
    description = work / "moviepy.json"
    description.write_text(
        json.dumps({**plan, "preset": preset, "crf": crf, "output": "moviepy.mp4"})
    )
    script = Path(__file__).with_name("moviepy_compose.py")
    out = subprocess.run(
        [str(python.absolute()), str(script), description.name],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"MoviePy failed: {out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def _goal(met: bool, goal: str) -> str:
    return f"{goal}  {'met' if met else 'MISSED'}"
