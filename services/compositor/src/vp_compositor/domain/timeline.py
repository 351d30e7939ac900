"""The one ffmpeg command that composes a story (pure: paths in, arguments out).

Per scene: the background pre-scaled 2x (zoompan moves in whole pixels) with Ken Burns motion,
the character layer over it with a little movement of its own (parallax), or the provider's
motion clip; scenes joined by the story's transitions (xfade kinds, or hard cuts); each scene's
narration placed at its start and mixed to one AAC track; subtitles burned in when asked. Motion is rendered straight at
the target frame rate. A scene that fades into the next is lengthened by the fade so the video
lasts exactly the planned time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vp_contracts.values import Motion, Transition

ZOOM = {Motion.SLOW: 0.08, Motion.MEDIUM: 0.16, Motion.FAST: 0.26}
PRESCALE = 1.5
"""zoompan moves in whole pixels of its input: 1.5x leaves a third of a pixel of jitter."""
WALKING = ("walk", "wander", "stroll", "explore", "search", "follow", "move")
RUNNING = ("run", "race", "chase", "flee", "dash", "hurr")
JUMPING = ("jump", "leap", "hop", "bounce", "dance")


AddInput = Callable[..., int]
"""Appends input arguments, returns the input's index."""


@dataclass(frozen=True)
class Layer:
    """A cut-out cropped to what it shows, and where that crop sits in the frame."""

    path: str
    x: int
    y: int


@dataclass(frozen=True)
class SceneMedia:
    """One scene's files (names relative to the working folder) and how it moves."""

    duration: float
    background: str
    character: Layer | None = None
    clip: str | None = None
    narration: str | None = None
    motion: Motion = Motion.SLOW
    action: str = ""
    transition: Transition = Transition.FADE
    """How the scene gives way to the next (a cut, or an ``xfade`` kind)."""


@dataclass(frozen=True)
class MusicBed:
    """The story's background music: a file looped to the video's length, its level, fades,
    and whether it ducks under the narration."""

    path: str
    volume_db: float = -14.0
    fade_in: float = 1.5
    fade_out: float = 2.0
    duck: bool = True


DUCKING = "threshold=0.02:ratio=6:attack=15:release=350:detection=rms"
"""How the music gives way to the voice: 7.5 dB lower while a line is spoken (measured), back
within half a second after it (sidechaincompress keyed by the narration)."""


@dataclass(frozen=True)
class Codec:
    """How the picture is encoded, when not by libx264 at the output's preset and crf."""

    options: tuple[str, ...] = ()
    """ffmpeg's codec and quality options."""
    device: tuple[str, ...] = ()
    """Global options before the inputs (a hardware device)."""
    upload: str = ""
    """Filters appended to the last picture (",format=nv12,hwupload" for VAAPI)."""


@dataclass(frozen=True)
class Output:
    """Size, rate and encoder settings of one composed video."""

    width: int
    height: int
    fps: int
    preset: str
    crf: int
    crossfade: float = 0.5
    subtitles: str | None = None
    """ASS file to burn in, if any."""
    music: MusicBed | None = None
    codec: Codec = Codec()
    keyframe_seconds: float | None = None
    """A key frame at least this often (where streaming segments may be cut)."""


def total_duration(scenes: Sequence[SceneMedia]) -> float:
    return round(sum(scene.duration for scene in scenes), 6)


def scene_starts(scenes: Sequence[SceneMedia]) -> list[float]:
    starts, elapsed = [], 0.0
    for scene in scenes:
        starts.append(round(elapsed, 6))
        elapsed += scene.duration
    return starts


@dataclass(frozen=True)
class Segment:
    """A stretch ``start``..``end`` of the story's timeline rendered on its own: scenes
    ``first``..``last`` (the last only for the crossfade into the next segment). Segments cut
    where a crossfade has just ended, so joined they are the single-pass video frame for frame."""

    index: int
    first: int
    last: int
    start: float
    end: float


def effective_fade(scenes: Sequence[SceneMedia], crossfade: float) -> float:
    """The crossfade actually used: none for one scene, at most half the shortest scene."""
    fade = crossfade if len(scenes) > 1 else 0.0
    return min(fade, min(scene.duration for scene in scenes) / 2)


def boundary_fades(scenes: Sequence[SceneMedia], crossfade: float) -> list[float]:
    """How long each scene overlaps the next (one per boundary): none where it cuts."""
    fade = effective_fade(scenes, crossfade)
    return [0.0 if scene.transition == Transition.CUT else fade for scene in scenes[:-1]]


def plan_segments(scenes: Sequence[SceneMedia], crossfade: float, seconds: float) -> list[Segment]:
    """Consecutive segments of about ``seconds`` each (whole scenes; the last at least half)."""
    fades = boundary_fades(scenes, crossfade)
    starts, total = scene_starts(scenes), total_duration(scenes)
    firsts = [0]
    for index in range(1, len(scenes)):
        if starts[index] - starts[firsts[-1]] >= seconds and total - starts[index] >= seconds / 2:
            firsts.append(index)
    segments = []
    for number, first in enumerate(firsts):
        following = firsts[number + 1] if number + 1 < len(firsts) else None
        into = fades[following - 1] if following is not None else 0.0
        segments.append(
            Segment(
                index=number,
                first=first,
                # the next segment's first scene too, for the transition into it
                last=len(scenes) - 1 if following is None else following - (into <= 0),
                start=0.0 if first == 0 else round(starts[first] + fades[first - 1], 6),
                end=total if following is None else round(starts[following] + into, 6),
            )
        )
    return segments


LIVE_SEGMENT_SECONDS = 2
"""Length of a live preview's segments (the preview has a key frame this often)."""


def compose_args(
    scenes: Sequence[SceneMedia], out: Output, target: str, live: str | None = None
) -> list[str]:
    """ffmpeg arguments (after the binary and global options) writing ``target``; with
    ``live`` (a folder), the same encode also written as it goes as an HLS event playlist
    ``live/index.m3u8`` of fMP4 segments (each listed once it is whole)."""
    if not scenes:
        raise ValueError("a video needs at least one scene")
    inputs, graph, video = _video_graph(scenes, out, 0, len(scenes) - 1)
    video = _uploaded(graph, video, out.codec)
    maps = ["-map", video]
    if has_sound(scenes, out.music):
        graph.append(_audio(scenes, _adder(inputs), out.music))
        maps += ["-map", "[aout]", *AUDIO_CODEC]
    written = ["-movflags", "+faststart", target]
    if live is not None:
        hls = ":".join(
            (
                "f=hls",
                f"hls_time={LIVE_SEGMENT_SECONDS}",
                "hls_playlist_type=event",
                "hls_segment_type=fmp4",
                "hls_flags=independent_segments",
                "hls_fmp4_init_filename=init.mp4",
                f"hls_segment_filename={live}/%d.m4s",
            )
        )
        # Both muxers take the codecs' headers once, out of band (the tee cannot ask them).
        written = ["-flags", "+global_header", "-f", "tee"]
        written.append(f"[f=mp4:movflags=+faststart]{target}|[{hls}]{live}/index.m3u8")
    return [
        *out.codec.device,
        *inputs,
        "-filter_complex",
        ";".join(graph),
        *maps,
        *_video_codec(out),
        "-t",
        f"{total_duration(scenes):.3f}",
        *written,
    ]


def segment_args(
    scenes: Sequence[SceneMedia], out: Output, segment: Segment, target: str
) -> list[str]:
    """ffmpeg arguments rendering one segment's picture (no sound: the joined video gets the
    story's one audio track). ``out.subtitles`` is the segment's own ASS file, timed from the
    segment's start."""
    inputs, graph, video = _video_graph(scenes, out, segment.first, segment.last)
    offset = scene_starts(scenes)[segment.first]
    first_frame = round((segment.start - offset) * out.fps)
    frames = round((segment.end - segment.start) * out.fps)
    graph.append(
        f"{video}trim=start_frame={first_frame}:end_frame={first_frame + frames},"
        "setpts=PTS-STARTPTS[cut]"
    )
    video = "[cut]"
    if out.subtitles:
        graph.append(f"[cut]ass={out.subtitles}[titled]")
        video = "[titled]"
    video = _uploaded(graph, video, out.codec)
    return [
        *out.codec.device,
        *inputs,
        "-filter_complex",
        ";".join(graph),
        "-map",
        video,
        "-an",
        *_video_codec(out),
        "-frames:v",
        str(frames),
        target,
    ]


def has_sound(scenes: Sequence[SceneMedia], music: MusicBed | None) -> bool:
    """Whether the video has an audio track: narration, music, or both."""
    return music is not None or any(scene.narration for scene in scenes)


def audio_args(
    scenes: Sequence[SceneMedia], target: str, music: MusicBed | None = None
) -> list[str]:
    """ffmpeg arguments mixing the story's narration (and music) into one AAC track
    (``target``)."""
    inputs: list[str] = []
    graph = _audio(scenes, _adder(inputs), music)
    codec = AUDIO_CODEC if target.endswith((".m4a", ".mp4")) else ()
    return [*inputs, "-filter_complex", graph, "-map", "[aout]", *codec, target]


def join_args(segment_list: str, audio: str | None, duration: float, target: str) -> list[str]:
    """ffmpeg arguments joining rendered segments (a concat list file) and the audio track
    without encoding anything again."""
    sound = ["-i", audio] if audio else []
    maps = ["-map", "0:v", *(["-map", "1:a"] if audio else [])]
    return [
        *("-f", "concat", "-safe", "0", "-i", segment_list),
        *sound,
        *maps,
        *("-c", "copy", "-t", f"{duration:.3f}", "-movflags", "+faststart", target),
    ]


AUDIO_CODEC = ("-c:a", "aac", "-b:a", "128k", "-ar", "48000")


def _video_codec(out: Output) -> list[str]:
    software = (
        "-c:v",
        "libx264",
        "-preset",
        out.preset,
        "-crf",
        str(out.crf),
        "-pix_fmt",
        "yuv420p",
    )
    keyframes = (
        ["-force_key_frames", f"expr:gte(t,n_forced*{out.keyframe_seconds:g})"]
        if out.keyframe_seconds
        else []
    )
    return [*(out.codec.options or software), *keyframes, "-r", str(out.fps)]


def _uploaded(graph: list[str], video: str, codec: Codec) -> str:
    """The picture as the encoder takes it (VAAPI: uploaded to the GPU)."""
    if not codec.upload:
        return video
    graph.append(f"{video}null{codec.upload}[encoded]")
    return "[encoded]"


def _adder(inputs: list[str]) -> AddInput:
    def add_input(*args: str) -> int:
        inputs.extend(args)
        return sum(1 for arg in inputs if arg == "-i") - 1

    return add_input


def _video_graph(
    scenes: Sequence[SceneMedia], out: Output, first: int, last: int
) -> tuple[list[str], list[str], str]:
    """Inputs and filter graph of scenes ``first``..``last`` as the whole story shows them
    (the same motion and crossfades, timed from the first one's start); the output label."""
    fades = [*boundary_fades(scenes, out.crossfade), 0.0]
    inputs: list[str] = []
    add_input = _adder(inputs)
    graph = []
    for index in range(first, last + 1):
        length = scenes[index].duration + fades[index]
        graph.append(_scene_video(index, scenes[index], length, out, add_input))
    graph.append(_join(scenes, first, last, fades, out.fps))
    if out.subtitles and (first, last) == (0, len(scenes) - 1):
        graph.append(f"[joined]ass={out.subtitles}[titled]")
        return inputs, graph, "[titled]"
    return inputs, graph, "[joined]"


def _scene_video(index: int, scene: SceneMedia, length: float, out: Output, add: AddInput) -> str:
    w, h, fps = out.width, out.height, out.fps
    frames = max(1, round(length * fps))
    if scene.clip:
        clip = add("-i", scene.clip)
        return (
            f"[{clip}:v]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},fps={fps},"
            f"tpad=stop_mode=clone:stop_duration={length:.3f},trim=duration={length:.3f},"
            f"setpts=PTS-STARTPTS,format=yuv420p,setsar=1[v{index}]"
        )
    background = add("-i", scene.background)
    zoom = ZOOM[scene.motion]
    z, x, y = _ken_burns(index, zoom, frames)
    sw, sh = _even(w * PRESCALE), _even(h * PRESCALE)
    chain = (
        f"[{background}:v]scale={sw}:{sh}:force_original_aspect_ratio=increase,crop={sw}:{sh},"
        f"zoompan=z='{z}':x='{x}':y='{y}':d={frames}:s={w}x{h}:fps={fps},setsar=1"
    )
    if not scene.character:
        return f"{chain},format=yuv420p[v{index}]"
    layer = scene.character
    # One still frame, overlaid on every frame (eof_action=repeat): the PNG is decoded once.
    character = add("-i", layer.path)
    dx, dy = _character_motion(scene.action, index, w, h, length)
    return (
        f"{chain},format=yuv420p[bg{index}];"
        f"[{character}:v]format=yuva420p[ch{index}];"
        f"[bg{index}][ch{index}]overlay=x='{layer.x}+{dx}':y='{layer.y}+{dy}':eval=frame:eof_action=repeat,"
        f"setsar=1[v{index}]"
    )


def _even(value: float) -> int:
    return round(value / 2) * 2


def _ken_burns(index: int, zoom: float, frames: int) -> tuple[str, str, str]:
    """Zoom in, pan right, zoom out, pan left: the scenes take turns."""
    step = f"on/{frames}"
    centre_x, centre_y = "(iw-iw/zoom)/2", "(ih-ih/zoom)/2"
    kind = index % 4
    if kind == 0:
        return f"1+{zoom}*{step}", centre_x, centre_y
    if kind == 1:
        return f"{1 + zoom}", f"(iw-iw/zoom)*{step}", centre_y
    if kind == 2:
        return f"{1 + zoom}-{zoom}*{step}", centre_x, centre_y
    return f"{1 + zoom}", f"(iw-iw/zoom)*(1-{step})", centre_y


def _character_motion(action: str, index: int, w: int, h: int, length: float) -> tuple[str, str]:
    """A drift across the frame when walking, a bounce when jumping, breathing otherwise."""
    words = action.lower()
    direction = 1 if index % 2 == 0 else -1
    if any(word in words for word in RUNNING):
        return (
            f"{direction * round(w * 0.14)}*(t/{length:.3f}-0.5)",
            f"-{round(h * 0.012)}*abs(sin(2*PI*t*2.2))",
        )
    if any(word in words for word in JUMPING):
        return "0", f"-{round(h * 0.05)}*abs(sin(2*PI*t*0.9))"
    if any(word in words for word in WALKING):
        return (
            f"{direction * round(w * 0.07)}*(t/{length:.3f}-0.5)",
            f"-{round(h * 0.006)}*abs(sin(2*PI*t*1.6))",
        )
    return "0", f"-{round(h * 0.004)}*sin(2*PI*t*0.4)"


def _join(
    scenes: Sequence[SceneMedia], first: int, last: int, fades: Sequence[float], fps: int
) -> str:
    """Scenes ``first``..``last`` one after the other: an ``xfade`` of the scene's kind where
    it overlaps the next, a concatenation where it cuts (back in the scenes' time base, which
    a following ``xfade`` requires of both its inputs)."""
    if first == last:
        return f"[v{first}]null[joined]"
    if not any(fades[first:last]):
        streams = "".join(f"[v{i}]" for i in range(first, last + 1))
        return f"{streams}concat=n={last - first + 1}:v=1:a=0[joined]"
    steps, previous, offset = [], f"[v{first}]", 0.0
    for index in range(first + 1, last + 1):
        offset += scenes[index - 1].duration
        label = "[joined]" if index == last else f"[x{index}]"
        fade = fades[index - 1]
        if fade > 0:
            kind = scenes[index - 1].transition.value
            join = f"xfade=transition={kind}:duration={fade:.3f}:offset={offset:.3f}"
        else:
            join = f"concat=n=2:v=1:a=0,settb=1/{fps}"
        steps.append(f"{previous}[v{index}]{join}{label}")
        previous = label
    return ";".join(steps)


def _audio(scenes: Sequence[SceneMedia], add: AddInput, music: MusicBed | None = None) -> str:
    """The narration placed per scene (silence between), and the music under it: looped,
    at its level, faded in and out, ducked while a line is spoken."""
    parts = []
    total = total_duration(scenes)
    for index, scene in enumerate(scenes):
        if scene.narration:
            source = add("-i", scene.narration)
            parts.append(
                f"[{source}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=mono,"
                f"apad=whole_dur={scene.duration:.3f},atrim=duration={scene.duration:.3f}[a{index}]"
            )
        else:
            parts.append(
                f"anullsrc=r=48000:cl=mono,atrim=duration={scene.duration:.3f},aformat=sample_fmts=fltp[a{index}]"
            )
    streams = "".join(f"[a{i}]" for i in range(len(scenes)))
    voice = "[aout]" if music is None else "[voice]"
    parts.append(f"{streams}concat=n={len(scenes)}:v=0:a=1,aformat=channel_layouts=stereo{voice}")
    if music is None:
        return ";".join(parts)
    bed = add("-stream_loop", "-1", "-i", music.path)
    fade_out = min(music.fade_out, total)
    parts.append(
        f"[{bed}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo,"
        f"atrim=duration={total:.3f},volume={music.volume_db:.1f}dB,"
        f"afade=t=in:st=0:d={min(music.fade_in, total):.3f},"
        f"afade=t=out:st={total - fade_out:.3f}:d={fade_out:.3f}[bed]"
    )
    if music.duck and any(scene.narration for scene in scenes):
        parts.append("[voice]asplit=2[spoken][key]")
        parts.append(f"[bed][key]sidechaincompress={DUCKING}[under]")
        voice, bed_label = "[spoken]", "[under]"
    else:
        voice, bed_label = "[voice]", "[bed]"
    parts.append(f"{voice}{bed_label}amix=inputs=2:duration=first:normalize=0[aout]")
    return ";".join(parts)
