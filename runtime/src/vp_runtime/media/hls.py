"""HTTP Live Streaming: a final's ladder of renditions, the master playlist a player picks from,
and playlists read and rewritten with one link per file (object storage signs every object on
its own, so a playlist's relative names are turned into links when it is served).

The ladder is made from the finished video in one ffmpeg pass: its own picture is copied as the
top rendition (no second encode of the largest one), the lower ones are scaled and encoded with
key frames exactly where the source has them, so every rendition is cut at the same instants and
a player can switch between them at any segment boundary.
"""

from __future__ import annotations

import asyncio
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vp_runtime.media.encoders import Encoder, Encoders
from vp_runtime.media.ffmpeg import BATCH_NICENESS, MediaError, OnProgress, probe

SEGMENT_SECONDS = 4
"""Length of a final's segments (the finals are encoded with a key frame this often)."""
LADDER = (1080, 720, 480)
"""Short sides of the renditions below a final's own, where the final is at least that."""
MASTER = "index.m3u8"
"""Name of the master playlist in a ladder's folder."""
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
CONTENT_TYPES = {".m3u8": PLAYLIST_TYPE, ".m4s": "video/iso.segment", ".mp4": "video/mp4"}


def keyframes_every(seconds: float) -> list[str]:
    """ffmpeg options forcing a key frame every ``seconds`` (segments can be cut there)."""
    return ["-force_key_frames", f"expr:gte(t,n_forced*{seconds:g})"]


@dataclass(frozen=True)
class Rendition:
    name: str
    """``1080p``: its folder and its name in the master playlist."""
    width: int
    height: int
    copied: bool
    """The source's own picture, stream-copied."""


def ladder(width: int, height: int) -> list[Rendition]:
    """The renditions of a ``width`` x ``height`` video: itself, then each of :data:`LADDER`
    below its short side (sizes even, the aspect ratio kept)."""
    short = min(width, height)
    renditions = [Rendition(f"{short}p", width, height, copied=True)]
    for lines in LADDER:
        if lines < short:
            scale = lines / short
            w, h = (
                (_even(width * scale), lines) if width >= height else (lines, _even(height * scale))
            )
            renditions.append(Rendition(f"{lines}p", w, h, copied=False))
    return renditions


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def ladder_args(
    source: str,
    renditions: list[Rendition],
    encoder: Encoder,
    preset: str,
    crf: int,
    *,
    audio: bool,
) -> list[str]:
    """ffmpeg arguments writing ``<name>/index.m3u8`` and its fMP4 segments for each rendition
    (the first one copied) from ``source``, run in the folder that receives them."""
    scaled = renditions[1:]
    graph = ""
    if scaled:
        labels = "".join(f"[s{i}]" for i in range(len(scaled)))
        parts = [f"[0:v]split={len(scaled)}{labels}" if len(scaled) > 1 else "[0:v]null[s0]"]
        parts += [
            f"[s{i}]scale={r.width}:{r.height}:flags=lanczos,setsar=1{encoder.upload}[v{i}]"
            for i, r in enumerate(scaled)
        ]
        graph = ";".join(parts)
    maps = ["-map", "0:v", *(arg for i in range(len(scaled)) for arg in ("-map", f"[v{i}]"))]
    if audio:
        maps += [arg for _ in renditions for arg in ("-map", "0:a")]
    streams = " ".join(
        f"v:{i}{f',a:{i}' if audio else ''},name:{r.name}" for i, r in enumerate(renditions)
    )
    codec = [*encoder.args(preset, crf), "-force_key_frames", "source"]
    if not encoder.hardware:
        codec += ["-sc_threshold", "0"]  # key frames where the source has them, no others
    return [
        *encoder.device,
        *("-i", source),
        *(("-filter_complex", graph) if graph else ()),
        *maps,
        *codec,
        *("-c:v:0", "copy", "-c:a", "copy"),
        *("-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod"),
        *("-hls_segment_type", "fmp4", "-hls_flags", "independent_segments"),
        *("-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", "%v/%d.m4s"),
        *("-var_stream_map", streams, "%v/index.m3u8"),
    ]


class WriteLadder(Protocol):
    async def __call__(
        self,
        source: Path,
        folder: Path,
        encoders: Encoders,
        *,
        preset: str,
        crf: int,
        on_progress: OnProgress | None = None,
    ) -> None: ...


async def write_ladder(
    source: Path,
    folder: Path,
    encoders: Encoders,
    *,
    preset: str,
    crf: int,
    on_progress: OnProgress | None = None,
) -> None:
    """The ladder of the video ``source`` written into ``folder``: a folder of segments and a
    playlist per rendition, and the master playlist (:data:`MASTER`) naming them."""
    facts = await probe(source)
    if not facts.width or not facts.height:
        raise MediaError(f"{source.name} has no picture to stream")
    renditions = ladder(facts.width, facts.height)
    await encoders.render(
        lambda encoder: ladder_args(
            str(source), renditions, encoder, preset, crf, audio=facts.audio_codec is not None
        ),
        duration=facts.duration,
        on_progress=on_progress,
        cwd=folder,
        niceness=BATCH_NICENESS,
    )
    master = await master_playlist(folder, renditions, facts.fps or 30)
    (folder / MASTER).write_text(master)


@dataclass(frozen=True)
class Segment:
    duration: float
    uri: str


def segments(playlist: str) -> list[Segment]:
    """The media segments of a media playlist, in order, with their declared durations."""
    found, duration = [], None
    for line in playlist.splitlines():
        line = line.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            found.append(Segment(duration, line))
            duration = None
    return found


def maps(playlist: str) -> list[str]:
    """The initialisation sections (``EXT-X-MAP``) a media playlist names."""
    return [
        match.group(1)
        for line in playlist.splitlines()
        if line.startswith("#EXT-X-MAP:")
        for match in [_URI_ATTRIBUTE.search(line)]
        if match
    ]


def ended(playlist: str) -> bool:
    """Whether a media playlist is complete (nothing more will be added)."""
    return "#EXT-X-ENDLIST" in playlist


async def master_playlist(folder: Path, renditions: list[Rendition], fps: float) -> str:
    """The master playlist of the renditions written in ``folder``: peak and average bandwidth
    measured from the segment files, codecs as ffprobe reads them, highest first."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    facts = await asyncio.gather(*(probe(folder / r.name / "index.m3u8") for r in renditions))
    for rendition, fact in zip(renditions, facts, strict=True):
        playlist = folder / rendition.name / "index.m3u8"
        parts = segments(playlist.read_text())
        if not parts:
            raise MediaError(f"the {rendition.name} rendition has no segments")
        init = sum((playlist.parent / uri).stat().st_size for uri in maps(playlist.read_text()))
        sizes = [(playlist.parent / part.uri).stat().st_size for part in parts]
        peak = max(
            size * 8 / max(part.duration, 0.001) for size, part in zip(sizes, parts, strict=True)
        )
        average = (init + sum(sizes)) * 8 / max(sum(part.duration for part in parts), 0.001)
        attributes = [
            f"BANDWIDTH={round(peak)}",
            f"AVERAGE-BANDWIDTH={round(average)}",
            f"RESOLUTION={rendition.width}x{rendition.height}",
            f"FRAME-RATE={fps:.3f}",
            f'CODECS="{codecs(fact.raw)}"',
        ]
        lines += [f"#EXT-X-STREAM-INF:{','.join(attributes)}", f"{rendition.name}/index.m3u8"]
    return "\n".join(lines) + "\n"


_PROFILES = {"Baseline": "4200", "Constrained Baseline": "42e0", "Main": "4d00", "High": "6400"}


def codecs(probed: dict[str, Any]) -> str:
    """RFC 6381 codec names of ffprobe's streams (H.264 and AAC-LC, as this pipeline makes)."""
    names = []
    for stream in probed.get("streams", []):
        if stream.get("codec_name") == "h264":
            profile = _PROFILES.get(str(stream.get("profile")), "6400")
            names.append(f"avc1.{profile}{int(stream.get('level') or 40):02x}")
        elif stream.get("codec_name") == "aac":
            names.append("mp4a.40.2")
    return ",".join(dict.fromkeys(names))


_URI_ATTRIBUTE = re.compile(r'URI="([^"]+)"')


def named(playlist: str, key: str) -> list[str]:
    """Storage keys of every file that ``playlist`` (stored under ``key``) names relatively:
    renditions' playlists, initialisation sections, segments."""
    found: list[str] = []

    def note(target: str) -> str:
        found.append(target)
        return target

    rewrite(playlist, key, note)
    return found


def rewrite(playlist: str, key: str, link: Callable[[str], str]) -> str:
    """``playlist`` (stored under ``key``) with each relative name replaced by ``link`` of the
    storage key it names (absolute URLs, and names leaving the playlist's folder, kept as
    they are)."""
    folder = posixpath.dirname(key)

    def linked(uri: str) -> str:
        if "://" in uri or uri.startswith("/"):
            return uri
        target = posixpath.normpath(posixpath.join(folder, uri))
        if not target.startswith(folder + "/"):
            return uri
        return link(target)

    lines = []
    for line in playlist.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            line = _URI_ATTRIBUTE.sub(lambda m: f'URI="{linked(m.group(1))}"', line)
        elif stripped:
            line = linked(stripped)
        lines.append(line)
    return "\n".join(lines) + "\n"


def files(folder: Path) -> list[list[Path]]:
    """Every file of a written ladder, in the order they can be stored: the media, then the
    renditions' playlists, then the master (a playlist is stored only once all it names is)."""
    groups: list[list[Path]] = [[], [], []]
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            groups[2 if path.parent == folder else 1 if path.suffix == ".m3u8" else 0].append(path)
    return groups
