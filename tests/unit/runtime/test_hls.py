"""HLS playlists as text: the ladder a final gets, the segments a playlist declares, and the
rewriting that gives every named file its own link."""

from __future__ import annotations

from pathlib import Path

import pytest
from vp_runtime.media import hls

MEDIA = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:4.000000,
0.m4s
#EXTINF:1.500000,
1.m4s
#EXT-X-ENDLIST
"""


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1920, 1080), [("1080p", 1920, 1080, True), ("720p", 1280, 720, False), ("480p", 854, 480, False)]),
        ((854, 480), [("480p", 854, 480, True)]),
        ((1280, 720), [("720p", 1280, 720, True), ("480p", 854, 480, False)]),
        ((1080, 1920), [("1080p", 1080, 1920, True), ("720p", 720, 1280, False), ("480p", 480, 854, False)]),
        ((3840, 2160), [("2160p", 3840, 2160, True), ("1080p", 1920, 1080, False), ("720p", 1280, 720, False), ("480p", 854, 480, False)]),
    ],
)  # fmt: skip
def test_the_ladder_is_the_video_itself_then_each_smaller_rung(
    size: tuple[int, int], expected: list[tuple[str, int, int, bool]]
) -> None:
    renditions = hls.ladder(*size)
    assert [(r.name, r.width, r.height, r.copied) for r in renditions] == expected


def test_segments_maps_and_the_end_are_read_from_a_media_playlist() -> None:
    assert hls.segments(MEDIA) == [hls.Segment(4.0, "0.m4s"), hls.Segment(1.5, "1.m4s")]
    assert hls.maps(MEDIA) == ["init.mp4"]
    assert hls.ended(MEDIA) and not hls.ended(MEDIA.replace("#EXT-X-ENDLIST\n", ""))


def test_every_relative_name_gets_a_link_of_its_storage_key() -> None:
    key = "stories/s1/a1/hls/720p/index.m3u8"
    rewritten = hls.rewrite(MEDIA, key, lambda target: f"https://cdn.example/{target}?sig=x")
    assert '#EXT-X-MAP:URI="https://cdn.example/stories/s1/a1/hls/720p/init.mp4?sig=x"' in (
        rewritten
    )
    assert "https://cdn.example/stories/s1/a1/hls/720p/0.m4s?sig=x" in rewritten.splitlines()
    assert "#EXTINF:1.500000," in rewritten  # everything else as it was
    assert hls.named(MEDIA, key) == [
        "stories/s1/a1/hls/720p/init.mp4",
        "stories/s1/a1/hls/720p/0.m4s",
        "stories/s1/a1/hls/720p/1.m4s",
    ]


def test_absolute_urls_and_names_outside_the_playlist_s_folder_are_left_alone() -> None:
    playlist = "#EXTM3U\n#EXTINF:4,\nhttps://elsewhere.example/a.m4s\n#EXTINF:4,\n../../x.m4s\n"
    linked: list[str] = []
    hls.rewrite(playlist, "stories/s1/a1/hls/index.m3u8", lambda k: linked.append(k) or k)
    assert linked == []


def test_a_master_playlist_names_its_renditions_playlists() -> None:
    master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n1080p/index.m3u8\n"
    assert hls.named(master, "stories/s/a/hls/index.m3u8") == ["stories/s/a/hls/1080p/index.m3u8"]


def test_codecs_are_named_as_players_expect() -> None:
    probed = {
        "streams": [
            {"codec_name": "h264", "profile": "High", "level": 40},
            {"codec_name": "aac"},
        ]
    }
    assert hls.codecs(probed) == "avc1.640028,mp4a.40.2"
    baseline = {"streams": [{"codec_name": "h264", "profile": "Constrained Baseline", "level": 30}]}
    assert hls.codecs(baseline) == "avc1.42e01e"


def test_stored_in_order_media_then_renditions_then_the_master(tmp_path: Path) -> None:
    folder = tmp_path
    for name in ("index.m3u8", "720p/index.m3u8", "720p/init.mp4", "720p/0.m4s"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    groups = [[p.relative_to(folder).as_posix() for p in group] for group in hls.files(folder)]
    assert groups == [["720p/0.m4s", "720p/init.mp4"], ["720p/index.m3u8"], ["index.m3u8"]]
