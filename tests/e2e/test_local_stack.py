"""The two-command experience: the supervised local stack, the demo through REST and SSE,
resuming a stream, and a stage restarted in the middle of the pipeline."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import websockets
from vp_devtools.demo import SAMPLE_STORY, run_demo
from vp_devtools.sse import ServerEvent, follow
from vp_runtime.media import probe

from tests.support.stack import API, Stack, local_stack
from tests.support.subtitles import frame, srt_as_vtt, vtt_cues

pytestmark = pytest.mark.e2e
SMALL_STORY = {**SAMPLE_STORY, "duration_seconds": 21, "resolution": "480p", "fps": 24}


@pytest.fixture(scope="module")
def stack(shared_stack: Stack) -> Stack:
    return shared_stack


async def _until(check: Callable[[], bool], timeout: float) -> None:
    for _ in range(int(timeout / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"not reached within {timeout}s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _history(http: httpx.AsyncClient, story_id: str) -> list[dict[str, Any]]:
    answer = await http.get(f"{API}/stories/{story_id}/history/")
    answer.raise_for_status()
    rows: list[dict[str, Any]] = answer.json()
    return rows


async def _ticket(http: httpx.AsyncClient, story_id: str) -> dict[str, str]:
    answer = await http.post(f"{API}/stories/{story_id}/events/ticket/")
    answer.raise_for_status()
    ticket: dict[str, str] = answer.json()
    return ticket


async def _facts(
    http: httpx.AsyncClient, url: str, count: int, after: int | None = None
) -> list[ServerEvent]:
    found: list[ServerEvent] = []
    async with asyncio.timeout(30):
        async for event in follow(http, url, after):
            if event.id is not None:
                found.append(event)
                if len(found) == count:
                    break
    return found


async def _check_bundle(bundle: Path, files: list[str], final: Path, scenes: int) -> None:
    """The export zip holds every file it lists, and its video probes as the final does."""
    with zipfile.ZipFile(bundle) as archive:
        assert sorted(archive.namelist()) == sorted(files)
        for name in ("video.mp4", "thumbnail.jpg", "subtitles.vtt", "subtitles.srt", "plan.json"):
            assert name in files, name
        assert sum(name.endswith("-background.png") for name in files) == scenes
        assert sum(name.endswith("-narration.wav") for name in files) == scenes
        plan = json.loads(archive.read("plan.json"))
        assert len(plan["scenes"]) == scenes and plan["scenes"][0]["cues"]
        srt = archive.read("subtitles.srt").decode()
        vtt = archive.read("subtitles.vtt").decode()
        assert vtt_cues(vtt) == vtt_cues(srt_as_vtt(srt))
        assert {"hls/index.m3u8", "hls/480p/index.m3u8", "hls/480p/0.m4s"} <= set(files)
        archive.extractall(bundle.parent / "unzipped")
    unzipped = bundle.parent / "unzipped" / "video.mp4"
    inside, outside = await probe(unzipped), await probe(final)
    assert replace(inside, raw={}) == replace(outside, raw={})  # raw names the file
    assert unzipped.read_bytes() == final.read_bytes()
    streamed = await probe(bundle.parent / "unzipped" / "hls" / "index.m3u8")  # plays unpacked
    assert abs(streamed.duration - outside.duration) < 0.1


async def test_the_demo_takes_a_story_from_draft_to_a_final_video(stack: Stack) -> None:
    out = io.StringIO()
    result = await run_demo(stack.gateway, stack.home / "demo", story=SMALL_STORY, out=out)

    video = await probe(result.files["final"])
    assert "mp4" in video.format_name and video.video_codec == "h264"
    assert video.pixel_format == "yuv420p" and (video.width, video.height) == (854, 480)
    assert video.fps == 24 and abs(video.duration - 21) <= 1 / 24 + 1e-6
    assert video.audio_codec == "aac"
    cues = [line for line in result.files["subtitles"].read_text().splitlines() if "-->" in line]
    assert len(cues) >= 3
    assert (await probe(result.files["preview"])).video_codec == "h264"
    assert result.files["thumbnail"].read_bytes()[:2] == b"\xff\xd8"

    facts = [event for event in result.events if event.id is not None]
    ids = [event.id for event in facts]
    assert ids == sorted(set(ids))  # no duplicate, in order
    async with stack.user("demo@videoplanet.example", "demo-password-1") as http:
        history = await _history(http, result.story_id)
        exported = (await http.post(f"{API}/stories/{result.story_id}/export/")).json()
        again = (await http.post(f"{API}/stories/{result.story_id}/export/")).json()
        bundle = stack.home / "bundle.zip"
        bundle.write_bytes((await http.get(exported["url"])).content)
    assert ids == [row["sequence"] for row in history]  # every fact of the log, no gap
    await _check_bundle(
        bundle, exported["files"], result.files["final"], len(result.story["scenes"])
    )
    assert again["size_bytes"] == exported["size_bytes"]  # made once per final
    statuses = [event.data["status"] for event in facts if event.event == "status"]
    assert statuses == [
        "draft",
        "planning",
        "planned",
        "previewing",
        "preview_ready",
        "rendering",
        "completed",
    ]
    stages = {event.data["stage"] for event in result.events if event.event == "progress"}
    assert {"planning", "scene", "compose"} <= stages
    assert "status: rendering -> completed" in out.getvalue()
    assert result.story["final_url"] and result.story["status"] == "completed"
    playing = [ev.data for ev in result.events if ev.event == "progress" and "playable" in ev.data]
    assert playing and playing[-1]["playable"]["ended"]  # the preview played as it rendered
    live = await probe(playing[0]["urls"]["preview_hls_url"])
    assert abs(live.duration - 21) < 0.1  # the link the first tick gave plays the whole preview
    streamed = await probe(result.story["final_hls_url"])  # through the gateway's links
    assert (streamed.width, streamed.height, streamed.audio_codec) == (854, 480, "aac")
    assert abs(streamed.duration - video.duration) < 0.1

    async with httpx.AsyncClient() as http:  # every worker reports its jobs on /metrics
        for name, kind in (("planner", "plan"), ("generator", "scene"), ("compositor", "compose")):
            port = stack.state["services"][name]["port"]
            assert (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
            text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            assert (
                f'video_generation_duration_seconds_count{{status="succeeded",type="{kind}"}}'
                in text
            )


async def test_a_reconnect_with_last_event_id_gets_exactly_what_was_missed(stack: Stack) -> None:
    async with stack.user("resume@example.com") as http:
        story = (await http.post(f"{API}/stories/", json=SMALL_STORY)).json()
        story_id = story["id"]
        for take in range(3):
            await http.patch(f"{API}/stories/{story_id}/", json={"title": f"take {take}"})
        first = await _facts(http, (await _ticket(http, story_id))["events_url"], 2)  # then hang up
        for take in range(3, 6):
            await http.patch(f"{API}/stories/{story_id}/", json={"title": f"take {take}"})
        history = [row["sequence"] for row in await _history(http, story_id)]
        missed = [sequence for sequence in history if sequence > first[-1].id]  # type: ignore[operator]
        ticket = await _ticket(http, story_id)
        resumed: list[ServerEvent] = []

        async def read() -> None:
            async for event in follow(http, ticket["events_url"], first[-1].id):
                if event.id is not None:
                    resumed.append(event)

        reader = asyncio.create_task(read())
        await asyncio.sleep(2)  # long enough for anything extra to arrive too
        reader.cancel()
        assert [event.id for event in resumed] == missed
        assert resumed[-1].data["fact"]["spec"]["title"] == "take 5"

        # The same over WebSocket, resuming from the same point.
        async with websockets.connect(
            f"{ticket['websocket_url']}&last_event_id={first[-1].id}"
        ) as socket:
            received = [json.loads(await socket.recv()) for _ in missed]
        assert [message["id"] for message in received] == missed

        # Who may follow: a ticket for one story only, the owner's token, a valid resume point.
        other = (await http.post(f"{API}/stories/", json=SMALL_STORY)).json()["id"]
        notifier = stack.state["urls"]["notifier"]
        wrong = await http.get(f"{notifier}{API}/stories/{other}/events/?ticket={ticket['ticket']}")
        assert wrong.status_code == 401 and "another story" in wrong.json()["error"]["message"]
        anonymous = await httpx.AsyncClient().get(f"{notifier}{API}/stories/{story_id}/events/")
        assert anonymous.status_code == 401 and "ticket" in anonymous.json()["error"]["message"]
        bad_resume = await http.get(f"{ticket['events_url']}&last_event_id=yesterday")
        assert bad_resume.status_code == 422
        # WebSocket refusals: an error frame that says what to fix, then a close with its code.
        socket_base = "ws" + notifier.removeprefix("http")
        for path, code, hint in (
            (f"/ws/stories/a.b/?ticket={ticket['ticket']}", "invalid_input", "story_id"),
            (f"/ws/stories/{story_id}/?ticket=forged", "unauthorized", "/events/ticket/"),
        ):
            async with websockets.connect(socket_base + path) as socket:
                frame = json.loads(await socket.recv())
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await socket.recv()
            assert frame["type"] == "error" and frame["data"]["code"] == code
            assert hint in frame["data"]["message"] and "Traceback" not in frame["data"]["message"]
            assert closed.value.rcvd is not None and closed.value.rcvd.reason == code
    async with stack.user("stranger@example.com") as stranger:
        token = stranger.headers["Authorization"]
        foreign = await stranger.get(
            f"{notifier}{API}/stories/{story_id}/events/", headers={"Authorization": token}
        )
        assert foreign.status_code == 404


async def _until_status(http: httpx.AsyncClient, story_id: str, wanted: str) -> dict[str, Any]:
    async with asyncio.timeout(120):
        while True:
            story: dict[str, Any] = (await http.get(f"{API}/stories/{story_id}/")).json()
            assert story["status"] != "failed", story["failure"]
            if story["status"] == wanted:
                return story
            await asyncio.sleep(0.5)


async def test_variants_preview_side_by_side_and_the_chosen_one_goes_to_the_final(
    stack: Stack,
) -> None:
    """Two variants of a planned story: their previews are made at once, differ in picture
    (other seeds) but not in length or words; the one chosen renders its final."""
    async with stack.user("variants@example.com") as http:
        story_id = (await http.post(f"{API}/stories/", json=SMALL_STORY)).json()["id"]
        await http.post(f"{API}/stories/{story_id}/transition/", json={"to": "planning"})
        await _until_status(http, story_id, "planned")
        made = await http.post(f"{API}/stories/{story_id}/variants/", json={"count": 2})
        assert made.status_code == 202, made.text
        ids = [accepted["story"]["id"] for accepted in made.json()["variants"]]
        ready = [await _until_status(http, variant, "preview_ready") for variant in ids]
        listed = (await http.get(f"{API}/stories/{story_id}/variants/")).json()
        previews = []
        for number, story in enumerate(ready):
            path = stack.home / f"variant-{number}.mp4"
            path.write_bytes((await http.get(story["preview_url"])).content)
            previews.append(path)
        chosen = ids[1]
        assert (await http.post(f"{API}/stories/{chosen}/render_final/")).status_code == 202
        final = await _until_status(http, chosen, "completed")
    assert sorted(story["id"] for story in listed) == sorted(ids)
    assert all(story["status"] == "preview_ready" for story in listed)
    first, second = [await probe(path) for path in previews]
    assert first.duration == second.duration and first.frames == second.frames
    difference = np.abs(frame(previews[0], 1.0) - frame(previews[1], 1.0)).mean()
    assert difference > 5, difference  # other pictures
    lines = [[scene["narration"] for scene in story["scenes"]] for story in ready]
    assert lines[0] == lines[1]  # the same words
    assert final["final_url"] and final["variant_of"] == story_id
    assert [s["seed"] for s in final["scenes"]] == [s["seed"] for s in ready[1]["scenes"]]


async def test_stage_services_killed_mid_render_are_restarted_and_the_story_completes_once(
    stack: Stack,
) -> None:
    async with stack.user("restart@example.com") as http:
        story_id = (await http.post(f"{API}/stories/", json=SMALL_STORY)).json()["id"]
        ticket = await _ticket(http, story_id)
        statuses: list[str] = []
        killed: dict[str, int] = {}

        async def watch() -> None:
            async for event in follow(http, ticket["events_url"]):
                if event.event == "status":
                    statuses.append(event.data["status"])
                    if event.data["status"] in ("completed", "failed"):
                        return
                elif (
                    event.event == "progress"
                    and event.data["stage"] == "scene"  # the render's scene jobs are running
                    and statuses[-1:] == ["rendering"]
                    and not killed
                ):
                    for name in ("generator", "compositor"):
                        killed[name] = int(stack.state["services"][name]["pid"])
                        os.kill(killed[name], signal.SIGKILL)

        watching = asyncio.create_task(watch())
        await http.post(f"{API}/stories/{story_id}/transition/", json={"to": "planning"})
        await _until(lambda: "planned" in statuses, 60)
        await http.post(f"{API}/stories/{story_id}/generate_preview/")
        await _until(lambda: "preview_ready" in statuses, 90)
        await http.post(f"{API}/stories/{story_id}/render_final/")
        async with asyncio.timeout(240):
            await watching
        history = await _history(http, story_id)

    assert killed, "the services were killed while the render ran"
    assert statuses[-1] == "completed"
    types = [row["type"] for row in history]
    assert types.count("vp.story.completed.v1") == 1
    assert types.count("vp.story.final_composed.v1") == 1
    services = stack.state["services"]
    for name, pid in killed.items():
        assert not _alive(pid) and services[name]["pid"] != pid and services[name]["restarts"] >= 1


def test_up_twice_is_harmless_and_down_stops_everything(tmp_path: Path) -> None:
    with local_stack(tmp_path) as stack:
        again = stack.command("up")
        assert again.returncode == 0 and "already running" in again.stdout
        state = stack.state
        pids = [state["supervisor"], state["nats"]["pid"]] + [
            s["pid"] for s in state["services"].values()
        ]
    assert not (tmp_path / "stack.json").exists()
    assert [pid for pid in pids if _alive(pid)] == []
    log = (tmp_path / "logs" / "stack.log").read_text()
    assert "gateway    | " in log and "planner    | " in log
