from __future__ import annotations

from dataclasses import replace

import pytest
from vp_compositor.domain.subtitles import Cue, Layout, ass, timeline_cues, webvtt
from vp_compositor.domain.timeline import (
    Layer,
    MusicBed,
    Output,
    SceneMedia,
    compose_args,
    plan_segments,
    scene_starts,
    total_duration,
)
from vp_compositor.service.prepare import encoded, master_profile
from vp_contracts.values import Motion, RenderProfile, Transition
from vp_runtime.media.encoders import KNOWN, SOFTWARE, candidates

OUT = Output(width=854, height=480, fps=24, preset="ultrafast", crf=28, crossfade=0.5)


def scenes(count: int, narration: bool = True) -> list[SceneMedia]:
    return [
        SceneMedia(
            duration=7,
            background=f"bg{i}.png",
            character=Layer(f"ch{i}.png", 100, 40),
            narration=f"n{i}.wav" if narration else None,
            motion=Motion.MEDIUM,
            action="walks",
        )
        for i in range(count)
    ]


def graph(args: list[str]) -> str:
    return args[args.index("-filter_complex") + 1]


def test_crossfades_start_where_each_scene_starts_so_the_length_is_the_plan() -> None:
    args = compose_args(scenes(3), OUT, "out.mp4")
    assert "xfade=transition=fade:duration=0.500:offset=7.000" in graph(args)
    assert "xfade=transition=fade:duration=0.500:offset=14.000" in graph(args)
    assert args[args.index("-t") + 1] == "21.000"
    assert "d=180" in graph(args)  # a crossfaded scene is 7.5 s long at 24 fps


def test_zero_crossfade_cuts_hard() -> None:
    args = compose_args(scenes(3), Output(854, 480, 24, "ultrafast", 28, crossfade=0), "out.mp4")
    assert "concat=n=3:v=1:a=0" in graph(args) and "xfade" not in graph(args)


def test_one_encode_pass_with_the_roadmap_settings() -> None:
    args = compose_args(scenes(2), Output(1920, 1080, 30, "fast", 22), "out.mp4")
    assert args.count("-c:v") == 1
    assert args[args.index("-preset") + 1] == "fast" and args[args.index("-crf") + 1] == "22"
    assert args[args.index("-pix_fmt") + 1] == "yuv420p" and "+faststart" in args
    assert "scale=2880:1620" in graph(args) and "zoompan=" in graph(args)  # pre-scaled 1.5x


def test_narration_is_placed_per_scene_and_silence_fills_the_rest() -> None:
    parts = scenes(2)
    parts[1] = SceneMedia(duration=5, background="bg.png")
    text = graph(compose_args(parts, OUT, "out.mp4"))
    assert "apad=whole_dur=7.000,atrim=duration=7.000[a0]" in text
    assert "anullsrc=r=48000:cl=mono,atrim=duration=5.000" in text
    assert "concat=n=2:v=0:a=1" in text


def test_no_audio_track_without_narration() -> None:
    args = compose_args(scenes(2, narration=False), OUT, "out.mp4")
    assert "[aout]" not in args and "-c:a" not in args


def test_subtitles_are_burned_when_asked() -> None:
    out = Output(854, 480, 24, "ultrafast", 28, subtitles="subs.ass")
    assert "[joined]ass=subs.ass[titled]" in graph(compose_args(scenes(2), out, "o.mp4"))


def test_a_motion_clip_replaces_the_layers() -> None:
    clip = [SceneMedia(duration=4, background="bg.png", clip="clip.mp4")]
    text = graph(compose_args(clip, OUT, "out.mp4"))
    assert "tpad=stop_mode=clone" in text and "zoompan" not in text


def test_cues_go_on_the_timeline_and_into_webvtt_and_ass() -> None:
    starts = scene_starts(scenes(2))
    cues = timeline_cues(starts, [[(0.2, 2.0, "One.")], [(0.2, 3.5, "Two.")]])
    assert cues == [Cue(0.2, 2.0, "One."), Cue(7.2, 10.5, "Two.")]
    vtt = webvtt(cues)
    assert vtt.startswith("WEBVTT\n\n1\n00:00:00.200 --> 00:00:02.000\nOne.")
    assert "00:00:07.200 --> 00:00:10.500\nTwo." in vtt
    layout = Layout(854, 480, "DejaVu Sans", "en")
    assert "Dialogue: 0,0:00:07.20,0:00:10.50,Default,,0,0,0,,Two." in ass(cues, layout)
    assert total_duration(scenes(2)) == 14


@pytest.mark.parametrize(
    ("target", "height", "fps", "master"),
    [
        ((3840, 2160, 30), 1080, None, (1920, 1080, 30)),
        ((1080, 1920, 60), 1080, 30, (1080, 1920, 30)),
        ((854, 480, 24), 1080, None, (854, 480, 24)),
    ],
)
def test_master_profile(
    target: tuple[int, int, int], height: int, fps: int | None, master: tuple[int, int, int]
) -> None:
    profile = master_profile(
        RenderProfile(width=target[0], height=target[1], fps=target[2]), height, fps
    )
    assert (profile.width, profile.height, profile.fps) == master


def test_each_boundary_has_its_transition_and_a_cut_concatenates() -> None:
    parts = scenes(4)
    kinds = [Transition.WIPE_LEFT, Transition.CUT, Transition.CIRCLE_OPEN, Transition.CUT]
    parts = [replace(scene, transition=kind) for scene, kind in zip(parts, kinds, strict=True)]
    filters = graph(compose_args(parts, OUT, "out.mp4"))
    assert "[v0][v1]xfade=transition=wipeleft:duration=0.500:offset=7.000[x1]" in filters
    assert "[x1][v2]concat=n=2:v=1:a=0,settb=1/24[x2]" in filters
    assert "[x2][v3]xfade=transition=circleopen:duration=0.500:offset=21.000[joined]" in filters
    # Scene 1 cuts: it is not lengthened by a fade (7 s at 24 fps); scenes 0 and 2 are.
    assert filters.count("d=180") == 2 and "d=168" in filters


def test_segments_start_after_a_fade_and_at_a_cut() -> None:
    parts = [replace(scene, duration=3.0) for scene in scenes(6)]
    parts[1] = replace(parts[1], transition=Transition.CUT)
    segments = plan_segments(parts, 0.5, seconds=6)
    assert [(s.first, s.last, s.start, s.end) for s in segments] == [
        (0, 1, 0.0, 6.0),  # cut into scene 2: the segment ends with scene 1, exactly there
        (2, 4, 6.0, 12.5),  # fade into scene 4: the segment takes it for the fade
        (4, 5, 12.5, 18.0),
    ]


def test_music_loops_under_the_narration_faded_and_ducked() -> None:
    bed = MusicBed("music.wav", volume_db=-12, fade_in=1.0, fade_out=3.0)
    args = compose_args(scenes(2), replace(OUT, music=bed), "out.mp4")
    filters = graph(args)
    assert args[args.index("music.wav") - 3 : args.index("music.wav")] == [
        "-stream_loop",
        "-1",
        "-i",
    ]
    assert "atrim=duration=14.000,volume=-12.0dB" in filters
    assert "afade=t=in:st=0:d=1.000" in filters and "afade=t=out:st=11.000:d=3.000" in filters
    assert "[bed][key]sidechaincompress=" in filters and "normalize=0[aout]" in filters


def test_music_alone_gives_a_sound_track_and_no_ducking() -> None:
    bed = MusicBed("music.wav", duck=True)
    filters = graph(compose_args(scenes(2, narration=False), replace(OUT, music=bed), "o.mp4"))
    assert "[aout]" in filters and "sidechaincompress" not in filters
    unducked = replace(OUT, music=replace(bed, duck=False))
    assert "sidechaincompress" not in graph(compose_args(scenes(2), unducked, "o.mp4"))


def test_a_hardware_encoder_gets_its_device_its_options_and_the_picture_uploaded() -> None:
    vaapi = KNOWN["h264_vaapi"]
    out = encoded(Output(1920, 1080, 30, "fast", 22), vaapi)
    args = compose_args(scenes(2), out, "out.mp4")
    assert args[:2] == ["-vaapi_device", "/dev/dri/renderD128"]  # before every input
    assert "null,format=nv12,hwupload[encoded]" in graph(args)
    assert args[args.index("-map") + 1] == "[encoded]"
    assert args[args.index("-c:v") + 1] == "h264_vaapi" and args[args.index("-qp") + 1] == "22"
    assert "-preset" not in args and "libx264" not in args
    nvenc = compose_args(scenes(2), encoded(out, KNOWN["h264_nvenc"]), "out.mp4")
    assert nvenc[nvenc.index("-cq") + 1] == "22" and "hwupload" not in graph(nvenc)
    back = compose_args(scenes(2), encoded(out, SOFTWARE), "out.mp4")  # the fallback
    assert back == compose_args(scenes(2), Output(1920, 1080, 30, "fast", 22), "out.mp4")


def test_the_encoders_setting_is_read_strictly_and_always_ends_with_libx264() -> None:
    assert [e.name for e in candidates("auto")] == [
        "h264_nvenc",
        "h264_qsv",
        "h264_vaapi",
        "libx264",
    ]
    assert [e.name for e in candidates("h264_vaapi")] == ["h264_vaapi", "libx264"]
    assert [e.name for e in candidates("libx264, h264_nvenc")] == ["h264_nvenc", "libx264"]
    with pytest.raises(ValueError, match=r"unknown encoder.*h265_magic.*use 'auto'"):
        candidates("h265_magic")
