"""Value objects shared by events, commands and the Story view.

Field limits live here so that every producer validates the same way the gateway does.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from vp_contracts.language import BCP47, check_tag

LanguageTag = Annotated[str, Field(pattern=BCP47, max_length=35), AfterValidator(check_tag)]
"""A BCP 47 language tag (``ko``, ``en``, ``ja``, ``zh-Hant``), in canonical case."""

Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=6, description="US dollars, as a decimal string"),
    PlainSerializer(lambda value: str(value), return_type=str, when_used="json"),
]
"""An amount in US dollars; serialised as a decimal string so no precision is lost."""


class Contract(BaseModel):
    """Base of every contract model: immutable, unknown fields ignored on read.

    Ignoring unknown fields is what lets a producer add an optional field (a compatible
    change) without breaking consumers that were built against the older schema.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", use_enum_values=False)


def unknown_fields(model: type[BaseModel], data: Any, prefix: str = "") -> list[str]:
    """Dotted names in ``data`` that ``model`` (and its nested models) do not define.

    Contract models ignore unknown fields so that additive changes do not break older
    consumers; user input is checked with this instead, so a typo is reported, not dropped.
    """
    if not isinstance(data, dict):
        return []
    found: list[str] = []
    for key, value in data.items():
        field_info = model.model_fields.get(key)
        if field_info is None:
            found.append(f"{prefix}{key}")
            continue
        nested = _model_of(field_info.annotation)
        if nested is not None:
            found += unknown_fields(nested, value, f"{prefix}{key}.")
    return found


def _model_of(annotation: Any) -> type[BaseModel] | None:
    candidates = (annotation, *getattr(annotation, "__args__", ()))
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


class StoryStatus(StrEnum):
    """Where a Story is in its life; see :data:`vp_contracts.story.status.TRANSITIONS`."""

    DRAFT = "draft"
    PLANNING = "planning"
    PLANNED = "planned"
    PREVIEWING = "previewing"
    PREVIEW_READY = "preview_ready"
    RENDERING = "rendering"
    COMPLETED = "completed"
    FAILED = "failed"
    ARCHIVED = "archived"


class Style(StrEnum):
    """Visual styles every provider understands."""

    REALISTIC = "realistic"
    CINEMATIC = "cinematic"
    ANIME = "anime"
    CARTOON = "cartoon"
    WATERCOLOR = "watercolor"
    OIL_PAINTING = "oil_painting"
    PIXEL_ART = "pixel_art"
    NOIR = "noir"
    FANTASY = "fantasy"


class Resolution(StrEnum):
    """Output heights; the width follows from the aspect ratio."""

    P480 = "480p"
    P720 = "720p"
    P1080 = "1080p"
    UHD4K = "4k"

    @property
    def lines(self) -> int:
        """Number of lines of the short side (480, 720, 1080 or 2160)."""
        return {"480p": 480, "720p": 720, "1080p": 1080, "4k": 2160}[self.value]


class AspectRatio(StrEnum):
    """Frame shapes: landscape, portrait (shorts, reels) and square."""

    LANDSCAPE = "16:9"
    PORTRAIT = "9:16"
    SQUARE = "1:1"

    def frame_size(self, resolution: Resolution) -> tuple[int, int]:
        """Width and height in pixels, both even, the short side being ``resolution``."""
        short = resolution.lines
        long = _even(short * 16 / 9)
        return {
            AspectRatio.LANDSCAPE: (long, short),
            AspectRatio.PORTRAIT: (short, long),
            AspectRatio.SQUARE: (short, short),
        }[self]


def _even(value: float) -> int:
    return round(value / 2) * 2


class Motion(StrEnum):
    """Camera motion speed of a scene (the roadmap's ``slow | medium | fast``)."""

    SLOW = "slow"
    MEDIUM = "medium"
    FAST = "fast"


class Transition(StrEnum):
    """How one scene gives way to the next: a hard cut, or one of ffmpeg's ``xfade`` kinds
    lasting ``generation_params.crossfade_seconds``."""

    CUT = "cut"
    FADE = "fade"
    DISSOLVE = "dissolve"
    FADE_BLACK = "fadeblack"
    FADE_WHITE = "fadewhite"
    WIPE_LEFT = "wipeleft"
    WIPE_RIGHT = "wiperight"
    WIPE_UP = "wipeup"
    WIPE_DOWN = "wipedown"
    SLIDE_LEFT = "slideleft"
    SLIDE_RIGHT = "slideright"
    SLIDE_UP = "slideup"
    SLIDE_DOWN = "slidedown"
    SMOOTH_LEFT = "smoothleft"
    SMOOTH_RIGHT = "smoothright"
    CIRCLE_OPEN = "circleopen"
    CIRCLE_CLOSE = "circleclose"
    RADIAL = "radial"
    PIXELIZE = "pixelize"


class SubtitlePosition(StrEnum):
    """Where burned subtitles sit in the frame."""

    BOTTOM = "bottom"
    MIDDLE = "middle"
    TOP = "top"


Colour = Annotated[
    str,
    Field(pattern=r"^#[0-9A-Fa-f]{6}$", description="An RGB colour as '#RRGGBB'"),
]


class SubtitleStyle(Contract):
    """How burned subtitles look; every field may be left out."""

    font: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        pattern=r"^[^,:=\\{}\n]+$",
        description="An installed font family (GET /api/ai-video/fonts/ lists them per"
        " language); the language's default when left out",
    )
    size_percent: float = Field(
        default=5.5, ge=2, le=12, description="Letter height, in percent of the frame's short side"
    )
    colour: Colour = Field(default="#FFFFFF", description="Colour of the letters")
    outline_colour: Colour = Field(default="#202020", description="Colour of the outline")
    outline_percent: float = Field(
        default=8, ge=0, le=30, description="Outline thickness, in percent of the letter height"
    )
    position: SubtitlePosition = Field(
        default=SubtitlePosition.BOTTOM, description="bottom, middle or top of the frame"
    )
    max_chars_per_line: int | None = Field(
        default=None,
        ge=6,
        le=80,
        description="At most this many letters on a line (a Korean, Japanese or Chinese"
        " letter counts as one, like any other); as many as fit the frame when left out",
    )


class MusicTrack(StrEnum):
    """Tracks of the built-in music library (composed by the project: royalty-free)."""

    CALM = "calm"
    AMBIENT = "ambient"
    UPBEAT = "upbeat"


class Music(Contract):
    """Background music of a story: looped to the video's length, faded, and lowered under
    the narration."""

    track: MusicTrack | None = Field(
        default=None, description="A track of the built-in library (GET /music/)"
    )
    asset_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Or the creator's own music (an asset of kind music)",
    )
    volume_db: float = Field(
        default=-14, ge=-40, le=0, description="Loudness of the music in the mix, in dB"
    )
    fade_in_seconds: float = Field(default=1.5, ge=0, le=10, description="Fade in at the start")
    fade_out_seconds: float = Field(default=2.0, ge=0, le=10, description="Fade out at the end")
    duck: bool = Field(
        default=True, description="Lower the music while the narration speaks (sidechain)"
    )

    @model_validator(mode="after")
    def _one_source(self) -> Music:
        if (self.track is None) == (self.asset_id is None):
            raise ValueError("give either track (the library) or asset_id (your upload)")
        return self


Fps = Literal[24, 25, 30, 60]
"""Frame rates a story may ask for."""
ALLOWED_FPS: tuple[int, ...] = (24, 25, 30, 60)

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
PROMPT_MAX = 1000
NARRATION_MAX = 1000
DURATION_MIN_SECONDS = 1
DURATION_MAX_SECONDS = 600
SCENE_DURATION_MIN_SECONDS = 1.0
SCENE_DURATION_MAX_SECONDS = 60.0
MAX_SCENES = 120


class GenerationParams(Contract):
    """Optional knobs of a story's generation; every field may be left out."""

    seed: int | None = Field(
        default=None,
        ge=0,
        le=2**31 - 1,
        description="Base seed; the same seed reproduces the same images",
    )
    image_provider: str | None = Field(
        default=None,
        max_length=40,
        description="Preferred image provider (e.g. 'offline', 'stability')",
    )
    video_provider: str | None = Field(
        default=None,
        max_length=40,
        description="Preferred motion provider (e.g. 'offline', 'runway')",
    )
    planner: str | None = Field(
        default=None, pattern="^(rules|llm)$", description="Planner to use: 'rules' or 'llm'"
    )
    voice: str | None = Field(default=None, max_length=60, description="Narration voice name")
    crossfade_seconds: float | None = Field(
        default=None, ge=0, le=2, description="Crossfade between scenes; 0 for hard cuts"
    )
    motion: Motion | None = Field(
        default=None, description="Default camera motion for planned scenes"
    )
    interpolation: str | None = Field(
        default=None,
        pattern="^(blend|mci)$",
        description="Frame interpolation when the final fps exceeds the master's: 'blend' or 'mci'",
    )


class StorySpec(Contract):
    """What the creator asked for: the editable part of a Story."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=TITLE_MAX, description="Story title")
    project_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The creator's project this story belongs to (costs are reported per project)",
    )
    description: str = Field(
        default="",
        max_length=DESCRIPTION_MAX,
        description="The story itself; narration is drawn from it",
    )
    character_prompt: str = Field(
        min_length=1, max_length=PROMPT_MAX, description="Who appears: kept identical across scenes"
    )
    background_prompt: str = Field(
        min_length=1, max_length=PROMPT_MAX, description="Where it happens"
    )
    action_prompt: str = Field(
        default="", max_length=PROMPT_MAX, description="What happens; may be empty"
    )
    style: Style = Field(default=Style.REALISTIC, description="Visual style")
    duration_seconds: int = Field(
        default=6,
        ge=DURATION_MIN_SECONDS,
        le=DURATION_MAX_SECONDS,
        description="Total length in whole seconds (1 to 600)",
    )
    resolution: Resolution = Field(default=Resolution.P1080, description="Final resolution")
    fps: Fps = Field(default=30, description="Final frame rate: 24, 25, 30 or 60")
    aspect_ratio: AspectRatio = Field(default=AspectRatio.LANDSCAPE, description="Frame shape")
    narration: bool = Field(default=True, description="Speak the narration lines")
    burn_subtitles: bool = Field(
        default=False,
        description="Burn subtitles into the picture (WebVTT and SRT sidecars are always made)",
    )
    subtitle_style: SubtitleStyle = Field(
        default_factory=SubtitleStyle, description="How burned subtitles look"
    )
    transition: Transition = Field(
        default=Transition.FADE,
        description="How scenes give way to each other (a scene's own transition wins);"
        " lasts generation_params.crossfade_seconds",
    )
    music: Music | None = Field(default=None, description="Background music; none when null")
    character_asset_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The creator's own picture of the character (an asset of kind character:"
        " transparent, or on a plain background, which is cut away), used in every scene"
        " instead of a generated one",
    )
    generation_params: GenerationParams = Field(
        default_factory=GenerationParams, description="Optional generation knobs"
    )
    language: LanguageTag | None = Field(
        default=None,
        description="Language of the story (BCP 47: 'ko', 'en', 'ja', 'zh', ...): narration,"
        " voices and subtitles follow it; detected from the text when left out",
    )


class ScenePrompt(Contract):
    """The prompts of one scene (the backend guide's ScenePrompt value object)."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    character: str = Field(
        min_length=1,
        max_length=PROMPT_MAX,
        description="Character description, identical across scenes",
    )
    background: str = Field(
        min_length=1, max_length=PROMPT_MAX, description="Setting of this scene"
    )
    action: str = Field(default="", max_length=PROMPT_MAX, description="What happens in this scene")
    style: Style = Field(default=Style.REALISTIC, description="Visual style")
    motion: Motion = Field(default=Motion.SLOW, description="Camera motion speed")


class SceneSpec(Contract):
    """One planned scene: what to generate, in which order and for how long."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    scene_id: str = Field(min_length=1, max_length=64, description="Scene id, unique in the story")
    position: int = Field(ge=0, lt=MAX_SCENES, description="0-based order in the story")
    duration_seconds: float = Field(
        ge=SCENE_DURATION_MIN_SECONDS,
        le=SCENE_DURATION_MAX_SECONDS,
        description="Length of the scene in seconds",
    )
    prompt: ScenePrompt = Field(description="What to draw")
    narration: str = Field(
        default="", max_length=NARRATION_MAX, description="Line spoken over the scene"
    )
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Seed of the scene's images")
    transition: Transition | None = Field(
        default=None,
        description="How this scene gives way to the next; the story's transition when left out",
    )
    background_asset_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The creator's own background (an asset: a picture, or a clip that moves)"
        " instead of a generated one",
    )
    narration_asset_id: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The creator's own recording of the narration (an asset of kind"
        " narration) instead of a synthesised voice; the scene lasts as long as it needs",
    )


class SubtitleCue(Contract):
    """One subtitle cue, relative to the start of its scene."""

    start_seconds: float = Field(ge=0, description="Cue start, seconds from the scene start")
    end_seconds: float = Field(ge=0, description="Cue end, seconds from the scene start")
    text: str = Field(description="Spoken text")


class SceneAssets(Contract):
    """Storage keys of a generated scene's layers and narration."""

    background_key: str = Field(description="Background image (PNG) storage key")
    character_key: str | None = Field(
        default=None, description="Character layer with transparency (PNG) storage key"
    )
    clip_key: str | None = Field(
        default=None, description="Motion clip (MP4) storage key, if a provider made one"
    )
    narration_key: str | None = Field(default=None, description="Narration audio (WAV) storage key")
    narration_seconds: float | None = Field(
        default=None, ge=0, description="Length of the narration audio"
    )
    cues: tuple[SubtitleCue, ...] = Field(default=(), description="Subtitle cues of the narration")
    width: int = Field(gt=0, description="Width of the images in pixels")
    height: int = Field(gt=0, description="Height of the images in pixels")


class ProviderCosts(Contract):
    """Prices used by the cost estimate (the backend guide's AIProviderConfig costs)."""

    cost_per_image: Money = Field(default=Decimal("0"), description="Dollars per generated image")
    cost_per_video_second: Money = Field(
        default=Decimal("0"), description="Dollars per second of generated video"
    )


class JobKind(StrEnum):
    """Kinds of work a story causes."""

    PLANNING = "planning"
    PREVIEW = "preview"
    FINAL = "final"
    SCENE = "scene"
    COMPOSE = "compose"
    UPSCALE = "upscale"


class JobStatus(StrEnum):
    """Where a job is."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Stage(StrEnum):
    """The stage an attempt is in; attempts are identified by their job id."""

    PLANNING = "planning"
    PREVIEW = "preview"
    RENDER = "render"


class RenderProfile(Contract):
    """Frame size and rate an attempt renders at."""

    width: int = Field(gt=0, description="Frame width in pixels")
    height: int = Field(gt=0, description="Frame height in pixels")
    fps: int = Field(gt=0, le=120, description="Frames per second")


class MediaOutput(Contract):
    """A composed video and its companions in storage."""

    video_key: str = Field(description="MP4 storage key")
    thumbnail_key: str = Field(description="JPEG thumbnail storage key")
    subtitles_key: str | None = Field(default=None, description="WebVTT subtitles storage key")
    srt_key: str | None = Field(default=None, description="SubRip (SRT) subtitles storage key")
    duration_seconds: float = Field(ge=0, description="Video length in seconds")
    width: int = Field(gt=0, description="Frame width in pixels")
    height: int = Field(gt=0, description="Frame height in pixels")
    fps: float = Field(gt=0, description="Frames per second")
    size_bytes: int = Field(ge=0, description="Size of the MP4 file")
    hls_key: str | None = Field(
        default=None,
        description="HLS playlist storage key: a final's master playlist (its renditions),"
        " a preview's playlist (what it played from while it rendered)",
    )
