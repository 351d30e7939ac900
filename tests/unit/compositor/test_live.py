"""The live preview's follower on a folder written as ffmpeg writes it: each segment stored
once, the playlist after what it names, a tick saying what plays, a restarted render stored
anew."""

from __future__ import annotations

from pathlib import Path

from vp_compositor.service.live import LivePreview
from vp_contracts.values import JobKind
from vp_runtime.storage import InMemoryStorage

from tests.unit.fakes import RecordingProgress, worker

KEY = "stories/s1/a1/preview-live/index.m3u8"


def _write(folder: Path, segments: int, ended: bool = False, init: bytes = b"init") -> None:
    (folder / "init.mp4").write_bytes(init)
    lines = ["#EXTM3U", "#EXT-X-PLAYLIST-TYPE:EVENT", '#EXT-X-MAP:URI="init.mp4"']
    for index in range(segments):
        (folder / f"{index}.m4s").write_bytes(f"segment {index} of {init!r}".encode())
        lines += ["#EXTINF:2.000000,", f"{index}.m4s"]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    (folder / "index.m3u8").write_text("\n".join(lines) + "\n")


async def test_segments_are_stored_once_and_each_new_playlist_is_announced(
    tmp_path: Path,
) -> None:
    storage, stage = InMemoryStorage(), worker("compositor")
    job = stage.job("s1", "a1", JobKind.COMPOSE, "a1-compose")
    live = LivePreview(storage, job, tmp_path, KEY, duration=6)

    assert await live.sync() is None  # nothing listed yet: nothing stored, nothing said
    assert storage.objects == {}
    _write(tmp_path, 1)
    first = await live.sync()
    assert first is not None and (first.seconds, first.segments, first.ended) == (2, 1, False)
    assert set(storage.objects) == {
        KEY,
        KEY.replace("index.m3u8", "init.mp4"),
        KEY.replace("index.m3u8", "0.m4s"),
    }
    assert await live.sync() == first  # the same playlist: no second tick

    _write(tmp_path, 3, ended=True)
    (tmp_path / "0.m4s").write_bytes(b"changed on disk")  # stored already: not sent again
    last = await live.sync()
    assert last is not None and (last.seconds, last.segments, last.ended) == (6, 3, True)
    assert storage.objects[KEY.replace("index.m3u8", "0.m4s")][0] == b"segment 0 of b'init'"
    assert storage.objects[KEY][0].decode().endswith("#EXT-X-ENDLIST\n")

    progress = stage.progress
    assert isinstance(progress, RecordingProgress)
    said = [tick.playable for tick in progress.ticks]
    assert said == [first, last]
    assert progress.percents() == [5 + 85 * 2 / 6, 90]


async def test_a_render_begun_again_is_stored_anew(tmp_path: Path) -> None:
    storage = InMemoryStorage()
    job = worker("compositor").job("s1", "a1", JobKind.COMPOSE, "a1-compose")
    live = LivePreview(storage, job, tmp_path, KEY, duration=4)
    _write(tmp_path, 2, init=b"gpu")
    await live.sync()
    _write(tmp_path, 2, ended=True, init=b"x264")  # another encoder: other headers
    await live.sync()
    assert storage.objects[KEY.replace("index.m3u8", "0.m4s")][0] == b"segment 0 of b'x264'"
