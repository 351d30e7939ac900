"""A final's HLS ladder made by real ffmpeg and played through the gateway on both storage
backends: every rendition decodes whole, each segment lasts what its playlist declares, the
renditions are cut at the same instants, and the master playlist's figures are measured."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from vp_devtools import devnats
from vp_runtime.media import hls, probe, run_ffmpeg
from vp_runtime.media.encoders import SOFTWARE, Encoders
from vp_runtime.storage import SignedLinks, media_route, storage_from

from tests.support.gateway import RunningGateway, running_gateway
from tests.support.servers import S3Endpoint

pytestmark = pytest.mark.integration
FPS = 10
SECONDS = 9


@pytest.fixture(scope="module")
async def ladder_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1080p final as the pipeline encodes them (a key frame every 4 s), and its ladder."""
    folder = tmp_path_factory.mktemp("hls")
    source = folder / "final.mp4"
    await run_ffmpeg(
        [
            *("-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate={FPS}:duration={SECONDS}"),
            *("-f", "lavfi", "-i", f"sine=frequency=330:duration={SECONDS}"),
            *SOFTWARE.args("ultrafast", 30),
            *hls.keyframes_every(hls.SEGMENT_SECONDS),
            *("-c:a", "aac", "-shortest", str(source)),
        ]
    )
    (folder / "hls").mkdir()
    encoders = Encoders([SOFTWARE])
    await hls.write_ladder(source, folder / "hls", encoders, preset="ultrafast", crf=30)
    return folder / "hls"


async def test_each_rung_is_whole_and_cut_where_the_others_are(ladder_folder: Path) -> None:
    boundaries = []
    for name, size in (("1080p", (1920, 1080)), ("720p", (1280, 720)), ("480p", (854, 480))):
        playlist = ladder_folder / name / "index.m3u8"
        text = playlist.read_text()
        assert hls.ended(text) and "#EXT-X-PLAYLIST-TYPE:VOD" in text
        facts = await probe(playlist)
        assert (facts.width, facts.height) == size and facts.audio_codec == "aac"
        assert abs(facts.duration - SECONDS) < 0.1
        declared, measured = [], []
        init = b"".join((playlist.parent / uri).read_bytes() for uri in hls.maps(text))
        for index, segment in enumerate(hls.segments(text)):
            alone = ladder_folder / f"{name}-{index}.mp4"
            alone.write_bytes(init + (playlist.parent / segment.uri).read_bytes())
            frames = (await probe(alone)).frames or 0
            declared.append(segment.duration)
            measured.append(frames / FPS)
        assert measured == pytest.approx(declared, abs=1 / FPS)
        target = int(text.split("#EXT-X-TARGETDURATION:")[1].split()[0])
        assert max(declared) <= target + 0.5  # as HLS rounds it
        boundaries.append(declared)
    assert boundaries[0] == boundaries[1] == boundaries[2] == [4.0, 4.0, 1.0]


async def test_the_master_playlist_names_every_rung_with_measured_figures(
    ladder_folder: Path,
) -> None:
    lines = (ladder_folder / hls.MASTER).read_text().splitlines()
    streams = [
        dict(part.split("=", 1) for part in _attributes(line))
        for line in lines
        if line.startswith("#EXT-X-STREAM-INF:")
    ]
    assert [s["RESOLUTION"] for s in streams] == ["1920x1080", "1280x720", "854x480"]
    assert [line for line in lines if line.endswith(".m3u8")] == [
        "1080p/index.m3u8",
        "720p/index.m3u8",
        "480p/index.m3u8",
    ]
    for stream in streams:
        assert int(stream["BANDWIDTH"]) >= int(stream["AVERAGE-BANDWIDTH"]) > 0
        assert stream["CODECS"].startswith('"avc1.') and "mp4a.40.2" in stream["CODECS"]
    peaks = [int(s["BANDWIDTH"]) for s in streams]
    assert peaks == sorted(peaks, reverse=True)


def _attributes(line: str) -> list[str]:
    """``A=1,B="x,y"`` split at the commas outside quotes."""
    parts, current, quoted = [], "", False
    for char in line.split(":", 1)[1]:
        if char == "," and not quoted:
            parts.append(current)
            current = ""
            continue
        quoted ^= char == '"'
        current += char
    return [*parts, current]


@pytest.fixture(params=["local", "s3"])
async def gateway(
    request: pytest.FixtureRequest,
    nats_server: devnats.NatsServerProcess,
    database_url: str,
    s3: S3Endpoint,
    tmp_path: Path,
) -> AsyncIterator[RunningGateway]:
    backend: dict[str, Any] = {"storage_dir": str(tmp_path / "store"), "media_secret": "m"}
    if request.param == "s3":
        backend |= {
            "storage_backend": "s3",
            "s3_endpoint": s3.endpoint,
            "s3_access_key": s3.access_key,
            "s3_secret_key": s3.secret_key,
            "s3_bucket": s3.bucket,
        }
    async with running_gateway(nats_server, database_url, **backend) as running:
        yield running


async def test_a_player_plays_the_ladder_through_the_gateway(
    gateway: RunningGateway, ladder_folder: Path
) -> None:
    """Stored as the upscaler stores it, linked as the API links it: ffprobe follows the
    master playlist to every rendition and its segments (S3: each segment presigned)."""
    storage = storage_from(gateway.settings)
    await storage.prepare()
    base = f"stories/{uuid.uuid4()}/a1/hls"
    for group in hls.files(ladder_folder):
        for path in group:
            key = f"{base}/{path.relative_to(ladder_folder).as_posix()}"
            await storage.put_file(key, path, hls.CONTENT_TYPES[path.suffix])
    link = SignedLinks(storage, timedelta(hours=1), media_route(gateway.settings))
    master = link(f"{base}/{hls.MASTER}")
    assert master.startswith(gateway.settings.media_url)

    found = (await probe(master)).raw
    heights = sorted({s["height"] for s in found["streams"] if s["codec_type"] == "video"})
    assert heights == [480, 720, 1080]
    assert abs(float(found["format"]["duration"]) - SECONDS) < 0.1

    async with httpx.AsyncClient() as http:
        answer = await http.get(master)
        assert answer.headers["content-type"].startswith(hls.PLAYLIST_TYPE)
        rendition = next(line for line in answer.text.splitlines() if "480p" in line)
        media = await http.get(rendition)
        segment = next(line for line in media.text.splitlines() if "/0.m4s" in line)
        assert (await http.get(segment)).content == (ladder_folder / "480p" / "0.m4s").read_bytes()
        forged = master.replace("signature=", "signature=0")
        assert (await http.get(forged)).status_code == 403
