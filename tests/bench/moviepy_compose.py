"""The same composition with MoviePy, the library most peer tools use (run in its own venv:
MoviePy pins an older Pillow). Reads a JSON description, writes one MP4, prints the seconds."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from moviepy import (
    AudioFileClip,
    CompositeAudioClip,
    CompositeVideoClip,
    ImageClip,
    concatenate_videoclips,
    vfx,
)


def main(plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    width, height, fps, fade = plan["width"], plan["height"], plan["fps"], plan["crossfade"]
    started = time.perf_counter()
    clips, audio, clock = [], [], 0.0
    for index, scene in enumerate(plan["scenes"]):
        length = scene["duration"] + (fade if index < len(plan["scenes"]) - 1 else 0)
        zoom = scene["zoom"]
        background = (
            ImageClip(scene["background"])
            .with_duration(length)
            .resized(lambda t, z=zoom, d=length: 1 + z * t / d)
            .with_position("center")
        )
        character = (
            ImageClip(scene["layer"]).with_duration(length).with_position((scene["x"], scene["y"]))
        )
        clip = CompositeVideoClip([background, character], size=(width, height)).with_duration(
            length
        )
        if index:
            clip = clip.with_effects([vfx.CrossFadeIn(fade)])
        clips.append(clip)
        if scene.get("narration"):
            audio.append(AudioFileClip(scene["narration"]).with_start(clock))
        clock += scene["duration"]
    video = concatenate_videoclips(clips, method="compose", padding=-fade)
    if audio:
        video = video.with_audio(CompositeAudioClip(audio).with_duration(video.duration))
    video.write_videofile(
        plan["output"],
        fps=fps,
        codec="libx264",
        preset=plan["preset"],
        audio_codec="aac",
        ffmpeg_params=["-crf", str(plan["crf"]), "-pix_fmt", "yuv420p"],
        logger=None,
    )
    print(f"{time.perf_counter() - started:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
