"""Hardware encoders with libx264 behind them, on this machine's real ffmpeg (which has NVENC,
Quick Sync and VAAPI compiled in, and no GPU to run them on: real failing encoders)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from vp_runtime.media import MediaError, ffmpeg_binary
from vp_runtime.media.encoders import (
    ENCODER_FALLBACKS,
    SOFTWARE,
    Encoder,
    Encoders,
    candidates,
    chosen,
)
from vp_runtime.web.health import health_routes

pytestmark = pytest.mark.integration

COMPILED_IN = subprocess.run(
    [ffmpeg_binary(), "-hide_banner", "-encoders"], capture_output=True, text=True, check=True
).stdout


def encoder_of(video: Path) -> str:
    """The codec and the encoder the file's metadata names ("h264 Lavc59.37.100 libx264")."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(video)],
        capture_output=True,
        text=True,
        check=True,
    )
    stream = json.loads(probe.stdout)["streams"][0]
    return f"{stream['codec_name']} {stream.get('tags', {}).get('encoder', '')}"


async def test_without_a_gpu_every_hardware_encoder_is_refused_and_libx264_renders() -> None:
    hardware = [e for e in candidates("auto") if e.hardware]
    assert all(f" {e.name} " in COMPILED_IN for e in hardware)  # compiled in, all three
    encoders = await chosen("auto")
    assert encoders.current is SOFTWARE
    assert set(encoders.refused) == {"h264_nvenc", "h264_qsv", "h264_vaapi"}
    assert "libcuda" in encoders.refused["h264_nvenc"]  # ffmpeg's own reason, kept
    app = Starlette(routes=health_routes(_ok))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        ready = (await http.get("/readyz")).json()
    assert ready["video"]["encoder"] == "libx264"
    assert set(ready["video"]["refused"]) == {"h264_nvenc", "h264_qsv", "h264_vaapi"}


async def _ok() -> dict[str, str]:
    return {"event_log": "ok"}


@pytest.mark.parametrize("name", ["h264_nvenc", "h264_qsv", "h264_vaapi"])
async def test_a_hardware_encoder_failing_at_run_time_costs_speed_not_the_video(
    name: str, tmp_path: Path
) -> None:
    """As if the probe had found a GPU whose driver then fails: the render is done again with
    libx264, counted, and the process stays with libx264."""

    async def found(_: Encoder) -> None:
        return None

    encoders = Encoders(candidates(name), probe=found)
    assert (await encoders.choose()).name == name
    before = ENCODER_FALLBACKS.labels(name)._value.get()
    tried: list[str] = []

    def clip(encoder: Encoder) -> list[str]:
        tried.append(encoder.name)
        picture = f"format=yuv420p{encoder.upload}"
        source = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24:duration=1"]
        target = str(tmp_path / f"{len(tried)}.mp4")
        return [*encoder.device, *source, "-vf", picture, *encoder.args("fast", 23), target]

    assert await encoders.render(clip) is SOFTWARE
    assert tried == [name, "libx264"]
    assert encoder_of(tmp_path / "2.mp4").endswith(" libx264")  # made, by libx264
    assert not (tmp_path / "1.mp4").exists() or (tmp_path / "1.mp4").stat().st_size == 0
    assert ENCODER_FALLBACKS.labels(name)._value.get() == before + 1
    assert encoders.current is SOFTWARE and name in encoders.refused

    assert await encoders.render(clip) is SOFTWARE  # no second try of the broken one
    assert tried == [name, "libx264", "libx264"]


async def test_libx264_failing_is_the_video_failing(tmp_path: Path) -> None:
    encoders = Encoders([SOFTWARE])
    await encoders.choose()
    broken = ["-f", "lavfi", "-i", "testsrc2=duration=1", "-vf", "nosuchfilter", "x.mp4"]
    with pytest.raises(MediaError, match=r"nosuchfilter|No such filter"):
        await encoders.render(lambda _: broken, cwd=tmp_path)
