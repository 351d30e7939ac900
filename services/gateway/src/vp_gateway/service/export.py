"""A finished story as one zip to take into an editor: the final video, its subtitles (SRT and
WebVTT), the thumbnail, its HLS renditions, every scene's pictures, clip and narration, and the
plan as JSON. Made
once per final (kept in storage beside it, with a manifest of what it holds) and handed out as
an expiring link."""

from __future__ import annotations

import asyncio
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from vp_contracts.story.errors import IllegalTransition
from vp_contracts.story.view import StoryView
from vp_contracts.values import StoryStatus
from vp_runtime.media import hls
from vp_runtime.media.sniff import EXTENSIONS, SNIFF_BYTES, Unrecognised, sniff
from vp_runtime.storage import MissingObject, Storage

STORED = frozenset({"mp4", "m4s", "jpg", "png", "webp", "webm", "mov", "mp3", "m4a", "ogg", "flac"})
"""Already compressed: stored in the zip as they are (deflating them gains nothing)."""


@dataclass(frozen=True)
class Bundle:
    key: str
    files: list[str]
    size_bytes: int


def bundle_key(view: StoryView) -> str:
    assert view.final is not None
    return view.final.video_key.removesuffix(".mp4") + "-bundle.zip"


def _contents(view: StoryView) -> list[tuple[str, str]]:
    """(name in the zip, storage key) of every file of the final, in a stable order."""
    final = view.final
    assert final is not None
    files = [("video.mp4", final.video_key), ("thumbnail.jpg", final.thumbnail_key)]
    if final.subtitles_key:
        files.append(("subtitles.vtt", final.subtitles_key))
    if final.srt_key:
        files.append(("subtitles.srt", final.srt_key))
    for scene in view.scenes:
        assets, number = scene.assets, f"{scene.spec.position + 1:02d}"
        if assets is None:
            continue
        for part, key in (
            ("background", assets.background_key),
            ("character", assets.character_key),
            ("clip", assets.clip_key),
            ("narration", assets.narration_key),
        ):
            if key:
                files.append((f"scenes/{number}-{part}", key))
    return files


def _plan(view: StoryView) -> bytes:
    assert view.spec is not None
    plan = {
        "story_id": view.story_id,
        "language": view.language,
        "spec": view.spec.model_dump(mode="json"),
        "scenes": [
            {
                **scene.spec.model_dump(mode="json"),
                "cues": [cue.model_dump(mode="json") for cue in scene.assets.cues]
                if scene.assets
                else [],
            }
            for scene in view.scenes
        ],
        "final": view.final.model_dump(mode="json") if view.final else None,
    }
    return json.dumps(plan, ensure_ascii=False, indent=2).encode()


async def export(view: StoryView, storage: Storage) -> Bundle:
    """The story's bundle, made now or found from an earlier export of the same final."""
    if view.status != StoryStatus.COMPLETED or view.final is None:
        status = view.status or StoryStatus.DRAFT
        raise IllegalTransition(
            f"only a completed story can be exported (this one is {status.value}):"
            " render the final first",
            status,
            [],
        )
    key = bundle_key(view)
    manifest = key.removesuffix(".zip") + ".json"
    try:  # exported before (the final has not changed since): one small read, nothing redone
        made = json.loads(await storage.get_bytes(manifest))
        return Bundle(key, made["files"], made["size_bytes"])
    except MissingObject:
        pass
    contents = _contents(view) + await _streaming(view, storage)
    named = [(await _name(storage, name, source), source) for name, source in contents]
    names = [name for name, _ in named] + ["plan.json"]
    with tempfile.TemporaryDirectory(prefix="vp-export-") as folder:
        parts: list[tuple[str, Path]] = []
        for index, (name, source) in enumerate(named):
            local = Path(folder) / f"{index}"
            await storage.download(source, local)
            parts.append((name, local))
        zipped = Path(folder) / "bundle.zip"
        await asyncio.to_thread(_write_zip, zipped, parts, _plan(view))
        size = await storage.put_file(key, zipped, "application/zip")
    # Written after the zip: a manifest is only there when its zip is whole.
    record = json.dumps({"files": names, "size_bytes": size}).encode()
    await storage.put_bytes(manifest, record, "application/json")
    return Bundle(key, names, size)


async def _streaming(view: StoryView, storage: Storage) -> list[tuple[str, str]]:
    """(name in the zip, storage key) of the final's HLS files (``hls/index.m3u8`` and what it
    names, playable from the unpacked folder as they are)."""
    assert view.final is not None
    master = view.final.hls_key
    if master is None:
        return []
    folder = master.rsplit("/", 1)[0]
    keys, waiting = [master], [master]
    while waiting:
        playlist = waiting.pop(0)
        for key in hls.named((await storage.get_bytes(playlist)).decode(), playlist):
            keys.append(key)
            if key.endswith(".m3u8"):
                waiting.append(key)
    return [(f"hls/{key.removeprefix(folder + '/')}", key) for key in dict.fromkeys(keys)]


async def _name(storage: Storage, name: str, source: str) -> str:
    """A scene file's name with the extension of what its content is."""
    if not name.startswith("scenes/"):
        return name
    try:
        kind = sniff(await storage.head(source, SNIFF_BYTES)).content_type
    except Unrecognised:
        kind = ""
    return f"{name}.{EXTENSIONS.get(kind, 'bin')}"


def _write_zip(target: Path, parts: list[tuple[str, Path]], plan: bytes) -> None:
    with zipfile.ZipFile(target, "w") as bundle:
        for name, path in parts:
            method = (
                zipfile.ZIP_STORED if name.rsplit(".", 1)[-1] in STORED else zipfile.ZIP_DEFLATED
            )
            bundle.write(path, name, compress_type=method)
        bundle.writestr("plan.json", plan, compress_type=zipfile.ZIP_DEFLATED)
