"""Getting an attempt ready to compose: the scenes' files fetched and cut out in a working
folder, the output settings, and the subtitle cues with their ASS file, checked so that a
video never comes out silent or unreadable."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from vp_contracts.language import sentences
from vp_contracts.story.view import Attempt, SceneView, StoryView
from vp_contracts.values import (
    SCENE_DURATION_MAX_SECONDS,
    Music,
    RenderProfile,
    SceneAssets,
    Stage,
    StorySpec,
)
from vp_runtime.media import hls
from vp_runtime.media.encoders import Encoder
from vp_runtime.media.music import track_wav
from vp_runtime.storage import MissingObject, Storage, asset_key

from vp_compositor.domain.layers import BrokenAsset, check_image, cut_out
from vp_compositor.domain.subtitles import Cue, Layout, ass, paged, timeline_cues
from vp_compositor.domain.timeline import (
    LIVE_SEGMENT_SECONDS,
    Codec,
    MusicBed,
    Output,
    SceneMedia,
    scene_starts,
)
from vp_compositor.settings import CompositorSettings, subtitle_font


class Unfit(Exception):
    """The video would not be what the story asks (silent, unreadable): fail it, saying so."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def _spoken(assets: SceneAssets) -> bool:
    return bool(
        assets.narration_key
        and assets.cues
        and all(cue.end_seconds > cue.start_seconds and cue.text.strip() for cue in assets.cues)
    )


def _cues(view: StoryView, starts: list[float], layout: Layout) -> list[Cue]:
    """Every scene's cues on the video's timeline, paged to fit the frame."""
    per_scene = [
        [(q.start_seconds, q.end_seconds, q.text) for q in (s.assets.cues if s.assets else ())]
        for s in view.attempt_scenes()
    ]
    return paged(timeline_cues(starts, per_scene), layout)


OWN_VOICE_MARGIN = 0.3
"""After a creator's own recording ends, the scene holds this long before the next one."""


def scene_seconds(scene: SceneView) -> float:
    """How long a scene lasts: as planned, or as long as the creator's own narration needs."""
    planned = scene.spec.duration_seconds
    spoken = scene.assets.narration_seconds if scene.assets else None
    if scene.spec.narration_asset_id is None or spoken is None:
        return planned
    return round(min(SCENE_DURATION_MAX_SECONDS, max(planned, spoken + OWN_VOICE_MARGIN)), 3)


def _mix(music: Music, path: str) -> MusicBed:
    return MusicBed(
        path, music.volume_db, music.fade_in_seconds, music.fade_out_seconds, music.duck
    )


def master_profile(target: RenderProfile, max_height: int, max_fps: int | None) -> RenderProfile:
    """The final master: the target, or smaller / slower when the upscaler is to finish it."""
    short = min(target.width, target.height)
    scale = min(1.0, max_height / short)
    width, height = (round(target.width * scale / 2) * 2, round(target.height * scale / 2) * 2)
    fps = min(target.fps, max_fps) if max_fps else target.fps
    return RenderProfile(width=width, height=height, fps=fps)


@dataclass(frozen=True)
class Cut:
    """What composing an attempt needs, prepared in its working folder."""

    scenes: list[SceneMedia]
    profile: RenderProfile
    out: Output
    cues: list[Cue]
    layout: Layout
    language: str


FontFor = Callable[[str, str], str | None]
"""(preferred font, text) -> a font that draws every letter of the text, or None."""


def encoded(out: Output, encoder: Encoder) -> Output:
    """``out`` encoded by ``encoder`` (its options at the output's preset and crf)."""
    if not encoder.hardware:
        return replace(out, codec=Codec())
    codec = Codec(tuple(encoder.args(out.preset, out.crf)), encoder.device, encoder.upload)
    return replace(out, codec=codec)


def composable(view: StoryView) -> Attempt | None:
    """The current attempt if all its scenes are ready and it is not composed yet."""
    attempt = view.attempt
    if attempt is None or attempt.stage == Stage.PLANNING or not view.is_current(attempt.id):
        return None
    if not view.scenes_ready() or (attempt.stage == Stage.RENDER and view.master is not None):
        return None
    return attempt


@dataclass
class Preparer:
    storage: Storage
    settings: CompositorSettings
    font_for: FontFor

    async def prepare(
        self, view: StoryView, attempt: Attempt, folder: Path, pictures: range | None = None
    ) -> Cut:
        """The scenes' files in ``folder`` (the pictures only of the scenes in ``pictures``, when
        given), the output settings and the subtitle cues (with their ASS file written when the
        story burns them in)."""
        assert attempt.profile is not None and view.spec is not None
        preview = attempt.stage == Stage.PREVIEW
        profile = (
            attempt.profile
            if preview
            else master_profile(
                attempt.profile, self.settings.master_max_height, self.settings.master_max_fps
            )
        )
        scenes = await self._gather(view, profile, folder, pictures)
        language = view.language or "en"
        style = view.spec.subtitle_style
        font = style.font or subtitle_font(self.settings.subtitle_fonts, language)
        layout = Layout(profile.width, profile.height, font, language, style)
        cues = _cues(view, scene_starts(scenes), layout)
        subtitles = None
        if cues and view.spec.burn_subtitles:
            layout = await self._with_a_font_for(layout, cues, chosen=style.font is not None)
            (folder / "subtitles.ass").write_text(ass(cues, layout), encoding="utf-8")
            subtitles = "subtitles.ass"
        crossfade = view.spec.generation_params.crossfade_seconds
        music = await self._music_bed(view, folder)
        out = self._output(profile, preview, crossfade, subtitles, music)
        return Cut(scenes, profile, out, cues, layout, language)

    def _output(
        self,
        profile: RenderProfile,
        preview: bool,
        crossfade: float | None,
        subtitles: str | None,
        music: MusicBed | None,
    ) -> Output:
        settings = self.settings
        return Output(
            width=profile.width,
            height=profile.height,
            fps=profile.fps,
            preset=settings.preview_preset if preview else settings.final_preset,
            crf=settings.preview_crf if preview else settings.final_crf,
            crossfade=settings.crossfade_seconds if crossfade is None else crossfade,
            subtitles=subtitles,
            music=music,
            keyframe_seconds=LIVE_SEGMENT_SECONDS if preview else hls.SEGMENT_SECONDS,
        )

    async def _music_bed(self, view: StoryView, folder: Path) -> MusicBed | None:
        """The story's music written into ``folder``, with how it is mixed: a built-in track
        (rendered once per process) or the creator's own upload (any format ffmpeg reads)."""
        music = view.spec.music if view.spec else None
        if music is None:
            return None
        if music.asset_id is not None:
            assert view.owner_id is not None
            key = asset_key(view.owner_id, music.asset_id)
            await self._fetch(key, folder / "music-upload", "your music upload")
            return _mix(music, "music-upload")
        assert music.track is not None
        wav = await asyncio.to_thread(track_wav, music.track)
        await asyncio.to_thread((folder / "music.wav").write_bytes, wav)
        return _mix(music, "music.wav")

    async def _with_a_font_for(self, layout: Layout, cues: list[Cue], chosen: bool) -> Layout:
        """``layout`` with a font that draws every letter of the cues: the story's own font
        must (a video with boxes for letters never comes out), the default may be replaced."""
        text = "".join(cue.text for cue in cues)
        font = await asyncio.to_thread(self.font_for, layout.font, text)
        if chosen and font != layout.font:
            raise Unfit(
                "font_cannot_draw",
                f"the subtitle font '{layout.font}' is not installed or cannot draw the letters"
                f" of language '{layout.language}': choose one that GET /api/ai-video/fonts/"
                f"?language={layout.language} lists (or leave subtitle_style.font out)",
            )
        if font is None:
            raise Unfit(
                "no_font",
                f"no installed font can draw the subtitles of language '{layout.language}':"
                " install fonts-noto-cjk (or set VP_SUBTITLE_FONTS), then compose again",
            )
        return replace(layout, font=font)

    async def _gather(
        self, view: StoryView, profile: RenderProfile, folder: Path, pictures: range | None
    ) -> list[SceneMedia]:
        """Every scene's files, fetched and prepared concurrently (cropping runs in threads);
        the pictures only of the scenes in ``pictures`` when given."""
        assert view.spec is not None
        # Every fetch ends before the first failure is raised: none is left writing into a
        # folder that is being removed.
        results = await asyncio.gather(
            *(
                self._scene(
                    index, scene, view.spec, profile, folder, pictures is None or index in pictures
                )
                for index, scene in enumerate(view.attempt_scenes())
            ),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [result for result in results if isinstance(result, SceneMedia)]

    async def _scene(
        self,
        index: int,
        scene: SceneView,
        story: StorySpec,
        profile: RenderProfile,
        folder: Path,
        picture: bool = True,
    ) -> SceneMedia:
        assets = scene.assets
        assert assets is not None
        label = f"scene {index + 1}"
        narrated = story.narration
        if narrated and sentences(scene.spec.narration) and not _spoken(assets):
            fix = (
                "your recording of it has no speech in it: record it again"
                if scene.spec.narration_asset_id
                else "no spoken narration with subtitle cues: generate the scene again"
            )
            raise Unfit("silent_narration", f"{label} has narration text but {fix}")
        narration = None
        if assets.narration_key and narrated:
            narration = (
                await self._fetch(
                    assets.narration_key,
                    folder / f"narration-{index}.wav",
                    f"{label}'s narration",
                )
            ).name
        transition = scene.spec.transition or story.transition
        if not picture:  # drawn elsewhere (a segment of another replica): its timing only
            return SceneMedia(
                duration=scene_seconds(scene),
                background="",
                narration=narration,
                motion=scene.spec.prompt.motion,
                action=scene.spec.prompt.action,
                transition=transition,
            )
        background = await self._fetch(
            assets.background_key, folder / f"background-{index}.png", f"{label}'s background"
        )
        await asyncio.to_thread(check_image, background, f"{label}'s background")
        layer = None
        if assets.character_key:
            source = await self._fetch(
                assets.character_key, folder / f"character-{index}.png", f"{label}'s character"
            )
            layer = await asyncio.to_thread(
                cut_out,
                source,
                profile.width,
                profile.height,
                folder / f"layer-{index}.png",
                f"{label}'s character",
            )
        clip = None
        if assets.clip_key:
            clip = (
                await self._fetch(assets.clip_key, folder / f"clip-{index}.mp4", f"{label}'s clip")
            ).name
        return SceneMedia(
            duration=scene_seconds(scene),
            background=background.name,
            character=layer,
            clip=clip,
            narration=narration,
            motion=scene.spec.prompt.motion,
            action=scene.spec.prompt.action,
            transition=transition,
        )

    async def _fetch(self, key: str, target: Path, what: str) -> Path:
        try:
            await self.storage.download(key, target)
        except MissingObject:
            raise BrokenAsset(f"{what} is missing from storage") from None
        return target
