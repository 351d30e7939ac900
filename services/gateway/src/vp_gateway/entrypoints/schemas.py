"""Request and response bodies of the REST API. Field names are what the frontend relies on."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    create_model,
    field_validator,
)
from pydantic.config import JsonDict
from vp_contracts.ids import check_id
from vp_contracts.language import BCP47
from vp_contracts.values import (
    NARRATION_MAX,
    PROMPT_MAX,
    SCENE_DURATION_MAX_SECONDS,
    SCENE_DURATION_MIN_SECONDS,
    AspectRatio,
    GenerationParams,
    LanguageTag,
    Motion,
    Music,
    Resolution,
    StorySpec,
    StoryStatus,
    Style,
    SubtitleStyle,
    Transition,
)

from vp_gateway.entrypoints import examples as ex
from vp_gateway.entrypoints.examples import examples
from vp_gateway.service.assets import AssetKind

Money = Decimal
UUID_SCHEMA: JsonDict = {"format": "uuid"}

Id = Annotated[str, AfterValidator(check_id)]
"""An id a client sends (story, scene, job): a UUID, checked before anything uses it."""


def path_id(what: str) -> Any:
    """Path parameter of an id: malformed ones answer 422 naming the parameter."""
    return Path(description=f"{what} id (a UUID)", json_schema_extra=UUID_SCHEMA)


def query_id(what: str) -> Any:
    return Query(description=f"Only this {what} (its id, a UUID)", json_schema_extra=UUID_SCHEMA)


LanguageQuery = Annotated[
    str,
    Query(
        pattern=BCP47,
        max_length=35,
        description="BCP 47 tag of the story's language, e.g. ko, en, ja, zh",
        examples=["ko"],
    ),
]
"""The ``?language=`` of the per-language lists (voices, fonts)."""

StoryIdPath = Annotated[Id, path_id("Story")]
AssetIdPath = Annotated[Id, path_id("Asset")]
SceneIdPath = Annotated[Id, path_id("Scene")]
JobIdPath = Annotated[Id, path_id("Job")]
KeyIdPath = Annotated[Id, path_id("API key")]


def no_nul(value: Any) -> Any:
    """``value`` unless a text in it holds a NUL character (no database stores one, and no
    creator types one)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters (\\u0000)")
    if isinstance(value, dict):
        for item in value.values():
            no_nul(item)
    elif isinstance(value, list | tuple):
        for item in value:
            no_nul(item)
    return value


class Printable(BaseModel):
    """Refuses NUL characters in every text field, nested ones included."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return no_nul(value)


class Body(Printable):
    """Request bodies: unknown fields are an error (a typo should not be silently dropped)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GenerationParamsIn(GenerationParams):
    """Generation knobs as a request sends them (unknown keys are an error)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class SubtitleStyleIn(SubtitleStyle):
    """A subtitle style as a request sends it (unknown keys are an error)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MusicIn(Music):
    """Background music as a request sends it (unknown keys are an error)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(ser_json_timedelta="float")


# -- auth ------------------------------------------------------------------------------


class Credentials(Body):
    model_config = examples({"email": "creator@example.com", "password": "correct-horse-42"})

    email: EmailStr = Field(description="Login email")
    password: str = Field(min_length=8, max_length=256, description="At least 8 characters")


class UserOut(Out):
    model_config = examples(
        {"id": ex.USER_ID, "email": "creator@example.com", "role": "user", "created_at": ex.AT}
    )

    id: str = Field(description="User id")
    email: str = Field(description="Login email")
    role: str = Field(description="'user' or 'admin'")
    created_at: datetime = Field(description="When the account was made")


class TokenOut(Out):
    model_config = examples(
        {
            "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
            "token_type": "bearer",
            "expires_in": 900,
            "refresh_token": "vpr_4Jm2Qx8sTz0aLk7wNcB5yHd3",
            "refresh_expires_in": 2_592_000,
        }
    )

    access_token: str = Field(description="JWT to send as 'Authorization: Bearer <token>'")
    token_type: Literal["bearer"] = Field(default="bearer", description="Always 'bearer'")
    expires_in: int = Field(description="Seconds until the token expires")
    refresh_token: str = Field(
        description="Trade it once at POST /api/auth/refresh for the next access token and"
        " refresh token (keep it secret; a second use ends the session)"
    )
    refresh_expires_in: int = Field(description="Seconds until the session ends unused")


class RefreshIn(Body):
    model_config = examples({"refresh_token": "vpr_4Jm2Qx8sTz0aLk7wNcB5yHd3"})

    refresh_token: str = Field(min_length=10, max_length=200, description="From the last answer")


class ApiKeyIn(Body):
    model_config = examples(
        {"name": "n8n 자동화", "scopes": ["read", "write"], "expires_in_days": 30}
    )

    name: str = Field(min_length=1, max_length=100, description="What the key is for")
    scopes: list[Literal["read", "write", "admin"]] = Field(
        min_length=1,
        description="read: GET only; write: every change too; admin: admin routes (admins only)",
    )
    expires_in_days: int = Field(default=90, ge=1, le=365, description="Days it works")


class ApiKeyOut(Out):
    id: str = Field(description="Key id (the key itself is never shown again)")
    name: str = Field(description="What the key is for")
    scopes: list[str] = Field(description="What it may do")
    created_at: datetime = Field(description="When it was made")
    expires_at: datetime = Field(description="When it stops working")
    revoked_at: datetime | None = Field(description="When it was revoked, if it was")
    last_used_at: datetime | None = Field(description="Its last use (to the minute)")


class ApiKeyCreatedOut(ApiKeyOut):
    model_config = examples(
        {
            "id": ex.ASSET_ID,
            "name": "n8n 자동화",
            "scopes": ["read", "write"],
            "created_at": ex.AT,
            "expires_at": "2026-12-31T09:30:00Z",
            "revoked_at": None,
            "last_used_at": None,
            "key": "vpk_9fQ2mX7cLr4tW8zKb1Np6sYe",
        }
    )

    key: str = Field(
        description="Send as 'Authorization: Bearer <key>'. Shown only in this answer: only a"
        " hash of it is kept"
    )


# -- stories ---------------------------------------------------------------------------


class StoryCreate(Printable, StorySpec):
    """A new story: the contracts' :class:`StorySpec`, refusing unknown fields."""

    model_config = examples(ex.STORY_CREATE, frozen=True, extra="forbid", str_strip_whitespace=True)

    generation_params: GenerationParamsIn = Field(
        default_factory=GenerationParamsIn,
        description=StorySpec.model_fields["generation_params"].description,
    )
    subtitle_style: SubtitleStyleIn = Field(
        default_factory=SubtitleStyleIn,
        description=StorySpec.model_fields["subtitle_style"].description,
    )
    music: MusicIn | None = Field(
        default=None, description=StorySpec.model_fields["music"].description
    )


def _optional(
    model: type[BaseModel],
    name: str,
    doc: str,
    example: dict[str, Any] | None = None,
    **overrides: Any,
) -> type[Body]:
    """A body with every field of ``model`` optional (same rules and descriptions), for partial
    updates; ``overrides`` replace fields as ``(annotation, FieldInfo)``."""
    fields: dict[str, Any] = {
        field: (info.rebuild_annotation() | None, Field(default=None, description=info.description))
        for field, info in model.model_fields.items()
    }
    fields.update(overrides)
    patch: type[Body] = create_model(name, __base__=Body, __doc__=doc, **fields)
    if example is not None:
        patch.model_config["json_schema_extra"] = {"examples": [example]}
        patch.model_rebuild(force=True)
    return patch


if TYPE_CHECKING:
    StoryPatch = Body
else:
    StoryPatch = _optional(
        StorySpec,
        "StoryPatch",
        "Any subset of the story's fields.",
        {"title": "고양이의 하루 (완성본)", "duration_seconds": 45, "music": {"volume_db": -20}},
        generation_params=(
            dict[str, Any] | None,
            Field(default=None, description="Knobs to change; merged into the current ones"),
        ),
        subtitle_style=(
            SubtitleStyleIn | None,
            Field(default=None, description="Style fields to change; merged into the current"),
        ),
        music=(
            _optional(Music, "MusicPatch", "Any subset of the music's fields.") | None,
            Field(
                default=None,
                description="Music fields to change, merged into the current music (a new"
                " music needs its track); null removes the music",
            ),
        ),
        language=(
            LanguageTag | None,
            Field(
                default=None, description="Language of the story (BCP 47); null detects it again"
            ),
        ),
    )


class TransitionIn(Body):
    model_config = examples({"to": "draft"})

    to: StoryStatus = Field(description="Target status")


class ScenePromptOut(Out):
    character: str = Field(description="Character description")
    background: str = Field(description="Setting")
    action: str = Field(description="What happens")
    style: Style = Field(description="Visual style")
    motion: Motion = Field(description="Camera motion speed")


class SceneOut(Out):
    id: str = Field(description="Scene id")
    story: str = Field(description="Story id")
    position: int = Field(description="0-based order")
    duration_seconds: float = Field(description="Length in seconds")
    prompt: ScenePromptOut = Field(description="What to draw")
    narration: str = Field(description="Line spoken over the scene")
    seed: int = Field(description="Seed of the scene's images")
    transition: Transition | None = Field(
        default=None, description="How it gives way to the next; null: the story's transition"
    )
    background_asset_id: str | None = Field(
        default=None, description="Your own background asset, when the scene uses one"
    )
    narration_asset_id: str | None = Field(
        default=None, description="Your own narration recording, when the scene uses one"
    )
    status: str = Field(description="pending, queued, generating, generated or failed")
    background_url: str | None = Field(default=None, description="Background image")
    character_url: str | None = Field(
        default=None, description="Character layer (PNG with transparency)"
    )
    clip_url: str | None = Field(default=None, description="Motion clip, if a provider made one")
    narration_url: str | None = Field(default=None, description="Narration audio")
    provider: str | None = Field(default=None, description="Who generated the images")
    cost: Money = Field(description="What generating this scene cost, in dollars")
    error: str | None = Field(default=None, description="Why the last generation failed")


class FailureOut(Out):
    stage: str = Field(description="planning, preview or render")
    code: str = Field(description="Machine-readable reason")
    reason: str = Field(description="What went wrong")
    scene_id: str | None = Field(default=None, description="The scene, when one scene failed")


class ContentCheckOut(Out):
    run: str = Field(description="What was to run: planning, preview, final or scene")
    allowed: bool = Field(description="False: the run was refused by the content policy")
    field: str | None = Field(
        default=None, description="The field refused, e.g. scenes[2].narration"
    )
    reason: str = Field(default="", description="Why it was refused")


class AttemptOut(Out):
    id: str = Field(description="Attempt id (the id of its job)")
    stage: str = Field(description="planning, preview or render")


class FeedbackIn(Body):
    model_config = examples({"rating": 5, "comment": "자막이 또렷하고 음악이 잘 어울려요"})

    rating: int = Field(ge=1, le=5, description="Stars: 1 (poor) to 5 (excellent)")
    comment: str = Field(default="", max_length=1000, description="What you think of the video")


class FeedbackOut(Out):
    rating: int = Field(description="Stars, 1 to 5")
    comment: str = Field(description="The comment")


class StoryOut(Out):
    model_config = examples(ex.STORY)

    id: str = Field(description="Story id")
    owner_id: str = Field(description="Owner's user id")
    project_id: str | None = Field(description="Project the story belongs to")
    title: str = Field(description="Story title")
    description: str = Field(description="The story")
    character_prompt: str = Field(description="Who appears")
    background_prompt: str = Field(description="Where it happens")
    action_prompt: str = Field(description="What happens")
    style: Style = Field(description="Visual style")
    duration_seconds: int = Field(description="Requested length in seconds")
    resolution: Resolution = Field(description="Final resolution")
    fps: int = Field(description="Final frame rate")
    aspect_ratio: AspectRatio = Field(description="Frame shape")
    narration: bool = Field(description="Narration on or off")
    burn_subtitles: bool = Field(description="Subtitles burned in")
    subtitle_style: SubtitleStyle = Field(description="How burned subtitles look")
    transition: Transition = Field(description="How scenes give way to each other")
    music: Music | None = Field(default=None, description="Background music, if any")
    character_asset_id: str | None = Field(
        default=None, description="Your own character picture, when the story uses one"
    )
    variant_of: str | None = Field(
        default=None, description="The story this one is a variant of, if it is one"
    )
    language: str = Field(description="Language the story is told in (BCP 47)")
    language_detected: bool = Field(
        description="True when the language was detected from the text, not chosen"
    )
    status: StoryStatus = Field(description="Where the story is")
    scenes: list[SceneOut] = Field(description="Scenes in order")
    preview_url: str | None = Field(default=None, description="Preview video (expiring link)")
    preview_hls_url: str | None = Field(
        default=None,
        description="The preview as HLS (the playlist it played from while it rendered;"
        " expiring link). While it renders, the live updates' progress messages carry it",
    )
    final_url: str | None = Field(default=None, description="Final video (expiring link)")
    final_hls_url: str | None = Field(
        default=None,
        description="The final as HLS (master playlist: 1080p/720p/480p where the final is at"
        " least that; expiring link, every file it names linked on its own)",
    )
    thumbnail_url: str | None = Field(default=None, description="Thumbnail of the newest video")
    subtitles_url: str | None = Field(
        default=None, description="WebVTT subtitles of the newest video"
    )
    subtitles_srt_url: str | None = Field(
        default=None, description="The same subtitles as SubRip (SRT)"
    )
    cost_estimate: Money = Field(description="Estimated cost in dollars")
    actual_cost: Money = Field(description="Sum of recorded costs in dollars")
    generation_params: GenerationParams = Field(description="Optional knobs")
    planner: str | None = Field(default=None, description="Which planner made the scenes")
    attempt: AttemptOut | None = Field(
        default=None, description="The latest planning, preview or render"
    )
    failure: FailureOut | None = Field(
        default=None, description="Why the story failed, when it did"
    )
    feedback: FeedbackOut | None = Field(
        default=None, description="Your latest rating of the finished video"
    )
    content_check: ContentCheckOut | None = Field(
        default=None, description="The content policy's last decision on a run of this story"
    )
    created_at: datetime = Field(description="When the story was created")
    updated_at: datetime = Field(description="When it last changed")
    version: int = Field(description="Log sequence of its newest fact")
    stale: bool = Field(
        default=False,
        description="In lists only: a fact of this story could not be projected yet, so the"
        " entry may be behind the story itself (GET the story for its current state)",
    )


class AcceptedOut(Out):
    model_config = examples(ex.ACCEPTED)

    job_id: str = Field(description="Id of the job that will do the work")
    status: Literal["queued"] = Field(default="queued", description="Always 'queued' on acceptance")
    estimated_time: int = Field(description="Expected seconds until done")
    story: StoryOut = Field(description="The story after the request")


class VariantsIn(Body):
    model_config = examples({"count": 3})

    count: int = Field(default=2, ge=1, le=4, description="How many variants (1 to 4)")


class VariantsOut(Out):
    variants: list[AcceptedOut] = Field(description="Each new story and its queued preview")


class TicketOut(Out):
    ticket: str = Field(description="Short-lived ticket for this story's live updates")
    expires_at: datetime = Field(description="Connect before this time (a stream stays open after)")
    events_url: str = Field(description="Server-Sent Events URL, ticket included")
    websocket_url: str = Field(description="WebSocket URL, ticket included")


class HistoryItem(Out):
    sequence: int = Field(description="Log sequence")
    type: str = Field(description="Event type, e.g. vp.story.planned.v1")
    time: datetime = Field(description="When it happened")
    actor: str | None = Field(description="Who caused it")
    from_status: str | None = Field(description="Status before")
    to_status: str | None = Field(description="Status after")


class CostEstimateOut(Out):
    story: str = Field(description="Story id")
    scene_count: int = Field(description="Scenes counted")
    duration_seconds: float = Field(description="Seconds counted")
    image_cost: Money = Field(description="scenes x cost per image")
    video_cost: Money = Field(description="duration x cost per video second")
    preview_cost: Money = Field(description="half the video cost")
    storage_cost: Money = Field(description="flat storage cost")
    total: Money = Field(description="Estimated total")
    actual_cost: Money = Field(description="Recorded so far")


# -- scenes ----------------------------------------------------------------------------


class ScenePromptIn(Body):
    character: str | None = Field(
        default=None, min_length=1, max_length=PROMPT_MAX, description="Character"
    )
    background: str | None = Field(
        default=None, min_length=1, max_length=PROMPT_MAX, description="Setting"
    )
    action: str | None = Field(default=None, max_length=PROMPT_MAX, description="What happens")
    style: Style | None = Field(default=None, description="Visual style")
    motion: Motion | None = Field(default=None, description="Camera motion speed")


class SceneIn(Body):
    model_config = examples(
        {
            "duration_seconds": 6,
            "narration": "골목 끝에서 나비 한 마리가 날아오릅니다.",
            "prompt": {"action": "나비를 쫓아 뛰어간다", "motion": "fast"},
            "transition": "wipeleft",
        }
    )

    duration_seconds: float | None = Field(
        default=None,
        ge=SCENE_DURATION_MIN_SECONDS,
        le=SCENE_DURATION_MAX_SECONDS,
        description="Length in seconds",
    )
    prompt: ScenePromptIn | None = Field(
        default=None, description="Prompt parts; missing ones come from the story"
    )
    narration: str | None = Field(default=None, max_length=NARRATION_MAX, description="Line spoken")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Seed of the images")
    transition: Transition | None = Field(
        default=None, description="How it gives way to the next; the story's when left out"
    )
    background_asset_id: Id | None = Field(
        default=None,
        description="Your own background (a ready asset of kind background: a picture, or a"
        " clip) instead of a generated one",
    )
    narration_asset_id: Id | None = Field(
        default=None,
        description="Your own recording of the narration (a ready asset of kind narration)"
        " instead of a synthesised voice; the scene lasts as long as it needs",
    )


class BulkCreateIn(Body):
    model_config = examples(
        {
            "story": ex.STORY_ID,
            "scenes": [
                {"duration_seconds": 5, "narration": "저녁이 되자 고양이는 집으로 향합니다."},
                {"duration_seconds": 4, "narration": "창가에 앉아 노을을 바라봅니다."},
            ],
        }
    )

    story: Id = Field(description="Story id", json_schema_extra=UUID_SCHEMA)
    scenes: list[SceneIn] = Field(
        min_length=1, max_length=120, description="Scenes to add after the existing ones"
    )


class ReorderIn(Body):
    model_config = examples({"position": 2})

    position: int = Field(ge=0, description="New 0-based position")


class SceneGenerateIn(Body):
    model_config = examples({"seed": 98765})

    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="Seed; a new one if left out"
    )


# -- jobs ------------------------------------------------------------------------------


class JobOut(Out):
    model_config = examples(ex.JOB)

    id: str = Field(description="Job id")
    story: str = Field(description="Story id")
    type: str = Field(description="planning, preview, final, scene or upscale")
    status: str = Field(description="queued, running, succeeded, failed or cancelled")
    attempts: int = Field(description="Attempts made")
    progress: float = Field(description="0 to 1")
    error: str | None = Field(default=None, description="Last error")
    provider: str | None = Field(default=None, description="Provider or planner that did the work")
    cost: Money = Field(description="Dollars spent")
    cache_hit: bool = Field(description="Served from the asset cache")
    scene: str | None = Field(default=None, description="Scene id, for scene jobs")
    attempt_id: str = Field(description="The planning, preview or render attempt")
    created_at: datetime = Field(description="Queued at")
    started_at: datetime | None = Field(default=None, description="First started at")
    finished_at: datetime | None = Field(default=None, description="Finished at")


class JobStatisticsOut(Out):
    total: int = Field(description="Jobs counted")
    by_status: dict[str, int] = Field(description="Count per status")
    by_type: dict[str, int] = Field(description="Count per type")
    success_rate: float | None = Field(
        description="succeeded / (succeeded + failed); null when none finished"
    )
    average_generation_seconds: float | None = Field(
        description="Mean time from queued to succeeded, preview and final jobs"
    )
    average_queue_wait_seconds: float | None = Field(description="Mean time from queued to started")
    total_cost: Money = Field(description="Dollars recorded")
    cost_by_provider: dict[str, Money] = Field(description="Dollars per provider")
    cache_hits: int = Field(description="Provider calls served from the cache")
    average_rating: float | None = Field(
        description="Mean of the creators' ratings of finished videos, 1-5 (the satisfaction"
        " KPI: above 4.0); null before the first rating"
    )
    ratings: int = Field(description="Finished videos rated")


# -- voices ----------------------------------------------------------------------------


class VoiceOut(Out):
    id: str = Field(description="What generation_params.voice takes: '<provider>:<voice>'")
    provider: str = Field(description="Provider that speaks with it")
    name: str = Field(description="The provider's name of the voice")
    language: str = Field(description="Language it speaks (BCP 47)")
    gender: str | None = Field(default=None, description="female or male, where known")
    offline: bool = Field(description="Runs on our own machines, no network, no cost")
    engine: str = Field(description="Speech engine")
    price_per_1k_characters: Money = Field(description="Dollars per 1000 characters spoken")


class VoicesOut(Out):
    language: str = Field(description="The language asked for")
    language_name: str | None = Field(default=None, description="Its name in English")
    voices: list[VoiceOut] = Field(description="Best first; the first is the default")


class ExportOut(Out):
    url: str = Field(description="The zip, an expiring link")
    files: list[str] = Field(description="Names of the files in it")
    size_bytes: int = Field(description="Size of the zip")


class FontsOut(Out):
    language: str = Field(description="The language asked for")
    language_name: str | None = Field(default=None, description="Its name in English")
    fonts: list[str] = Field(description="Installed font families that draw every letter of it")


class MusicTrackOut(Out):
    id: str = Field(description="What music.track takes")
    names: dict[str, str] = Field(description="Its name per language (ko, en)")
    bpm: float = Field(description="Tempo in beats per minute")
    loop_seconds: float = Field(description="Length of one loop (looped to the video's length)")
    preview_url: str = Field(description="One loop to listen to (WAV)")


class MusicOut(Out):
    tracks: list[MusicTrackOut] = Field(description="The built-in library")


class AssetIn(Body):
    model_config = examples(
        {
            "kind": "character",
            "filename": "고양이.png",
            "content_type": "image/png",
            "size_bytes": 482_133,
        }
    )

    kind: AssetKind = Field(description="character, background, narration or music")
    filename: str = Field(min_length=1, max_length=255, description="The file's name")
    content_type: str = Field(
        max_length=64, description="Its type, e.g. image/png, video/mp4, audio/wav"
    )
    size_bytes: int = Field(gt=0, description="Its size in bytes")


class AssetOut(Out):
    id: str = Field(description="What stories and scenes refer to")
    kind: str = Field(description="character, background, narration or music")
    filename: str = Field(description="The name it was uploaded with")
    content_type: str = Field(description="Its type, as found in its content once ready")
    status: str = Field(description="pending (waiting for the file) or ready")
    size_bytes: int | None = Field(default=None, description="Its size, once ready")
    width: int | None = Field(default=None, description="Pixels, for pictures")
    height: int | None = Field(default=None, description="Pixels, for pictures")
    duration_seconds: float | None = Field(default=None, description="Length, for WAV sound")
    created_at: datetime = Field(description="When it was made")


class UploadOut(Out):
    asset: AssetOut = Field(description="The new asset (pending)")
    url: str = Field(description="Where to send the file")
    method: str = Field(description="Always PUT")
    headers: dict[str, str] = Field(description="Headers to send with it")
    expires_at: datetime = Field(description="The link works until then")


class AssetsOut(Out):
    results: list[AssetOut] = Field(description="Newest first")


class SuggestionsOut(Out):
    step: str = Field(description="The step they are for")
    language: str = Field(description="Their language")
    source: Literal["llm", "offline"] = Field(
        description="'llm' from the configured language model, 'offline' from built-in ideas"
    )
    suggestions: list[str] = Field(description="Prompts to pick from, the closest first")


# -- admin -----------------------------------------------------------------------------


class ParkedOut(Out):
    sequence: int = Field(description="Log sequence of the fact")
    story: str = Field(description="Story id")
    event_id: str = Field(description="The fact's event id")
    type: str = Field(description="Event type")
    error: str = Field(description="Why it could not be applied")
    blocked_by: int | None = Field(
        description="Sequence of the story's first parked fact, when this one only waits behind it"
    )
    parked_at: datetime = Field(description="When it was parked")


class ReplayIn(Body):
    model_config = examples({"stories": [ex.STORY_ID]}, {})

    stories: list[Id] | None = Field(
        default=None, max_length=1000, description="Only these stories (default: every parked one)"
    )


class ReplayResultOut(Out):
    story: str = Field(description="Story id")
    applied: int = Field(description="Facts applied when the story was projected again")
    error: str | None = Field(default=None, description="Why it still fails, if it does")


class ReplayOut(Out):
    results: list[ReplayResultOut] = Field(description="One entry per story replayed")
    parked_left: int = Field(description="Facts still parked")


ItemT = TypeVar("ItemT")


class Page(Out, Generic[ItemT]):
    results: list[ItemT] = Field(description="This page, newest first")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page; null at the end"
    )


class ErrorBody(Out):
    code: str = Field(description="Machine-readable error code")
    message: str = Field(description="What went wrong and what to do")
    details: dict[str, Any] = Field(
        default_factory=dict, description="Field errors, current state, ..."
    )


class ErrorOut(Out):
    model_config = examples(ex.ERROR)

    error: ErrorBody = Field(description="The error")


GENERATION_REFUSALS: dict[int | str, dict[str, Any]] = {
    402: {
        "model": ErrorOut,
        "description": "`budget_exceeded`: the run's estimate does not fit in a monthly budget;"
        " `details` names the budget, its limit, what is spent and what the run would cost",
    },
    429: {
        "model": ErrorOut,
        "description": "The user has as many stories in generation as allowed"
        " (VP_MAX_STORIES_IN_GENERATION); Retry-After says when to try again",
    },
    503: {
        "model": ErrorOut,
        "description": "`moderation_unavailable`: the content policy's moderation service did"
        " not answer, so nothing paid starts unchecked; try again shortly",
    },
}
"""The answers of a request that would start a paid generation over the user's quota or
budget."""


# -- budgets ---------------------------------------------------------------------------


class BudgetIn(Body):
    model_config = examples({"monthly_limit": "25.00"})

    monthly_limit: Decimal | None = Field(
        ge=0,
        le=1_000_000,
        max_digits=14,
        decimal_places=6,
        description="Dollars per calendar month (a number or a decimal string); null removes"
        " the cap",
        examples=["25.00"],
    )


class BudgetOut(Out):
    budget: str = Field(description="Which budget, in words ('user <id>', 'project <id>')")
    scope: Literal["user", "project", "global"] = Field(description="Whose spending it caps")
    scope_id: str = Field(description="The user or project id ('' for global)")
    month: str = Field(description="The calendar month shown, YYYY-MM")
    monthly_limit: Money | None = Field(description="The cap in dollars; null: no cap")
    spent: Money = Field(description="Dollars charged this month (paid calls, settled)")
    remaining: Money | None = Field(description="What is left this month; null: no cap")


class CapChangeOut(Out):
    at: datetime = Field(description="When the cap was set")
    monthly_limit: Money | None = Field(description="The cap set; null: removed")
    set_by: str = Field(description="The admin who set it")


class BudgetDetailOut(BudgetOut):
    history: list[CapChangeOut] = Field(description="Every cap set on this budget, oldest first")


# -- usage -----------------------------------------------------------------------------


class UsageRowOut(Out):
    period: str = Field(description="The day (YYYY-MM-DD) or month (YYYY-MM)")
    user_id: str = Field(description="Whose calls")
    project_id: str | None = Field(description="The stories' project, if any")
    provider: str = Field(description="Provider name")
    stage: str = Field(description="What for: planning, preview, final, scene or other")
    operation: str = Field(description="image, video, narration, upscale or plan")
    calls: int = Field(description="Calls made (paid or free), not counting cache hits or failures")
    cache_hits: int = Field(description="Served from the cache at no cost")
    failed: int = Field(description="Calls that failed")
    spent: Money = Field(description="Dollars")


class UsageOut(Out):
    by: Literal["day", "month"] = Field(description="What a period is")
    since: datetime = Field(description="Start of the window (included)")
    until: datetime = Field(description="End of the window (excluded)")
    rows: list[UsageRowOut] = Field(description="Oldest period first")
    total_spent: Money = Field(description="Dollars in the window")
    total_calls: int = Field(description="Calls made in the window")


# -- providers (admin) -----------------------------------------------------------------


class ProviderOut(Out):
    name: str = Field(description="Unique name")
    kind: str = Field(description="Which adapter: stability, runway, replicate, openai, ...")
    is_active: bool = Field(description="Inactive providers are skipped (the next one is used)")
    rate_limit_per_minute: int | None = Field(description="Calls per minute, all replicas")
    rate_limit_per_hour: int | None = Field(description="Calls per hour, all replicas")
    cost_per_image: Money = Field(description="Dollars per image")
    cost_per_second_video: Money = Field(description="Dollars per second of video")
    cost_per_1k_tokens: Money = Field(description="Dollars per 1000 language-model tokens")
    cost_per_1k_characters: Money = Field(description="Dollars per 1000 characters spoken")
    settings: dict[str, Any] = Field(description="model, steps, base_url, max_duration, ...")


class ProviderChangeIn(Body):
    """The fields to change; the others stay as they are."""

    model_config = examples(
        {"rate_limit_per_minute": 30, "cost_per_image": "0.04"},
        {"is_active": False},
        {"settings": {"model": "stable-diffusion-xl-1024-v1-0", "steps": 30}},
    )

    is_active: bool | None = Field(default=None, description="Use the provider or skip it")
    rate_limit_per_minute: int | None = Field(
        default=None, ge=1, description="Calls per minute (null: no limit)"
    )
    rate_limit_per_hour: int | None = Field(
        default=None, ge=1, description="Calls per hour (null: no limit)"
    )
    cost_per_image: Decimal | None = Field(default=None, ge=0, description="Dollars per image")
    cost_per_second_video: Decimal | None = Field(
        default=None, ge=0, description="Dollars per second of video"
    )
    cost_per_1k_tokens: Decimal | None = Field(default=None, ge=0, description="Per 1000 tokens")
    cost_per_1k_characters: Decimal | None = Field(
        default=None, ge=0, description="Per 1000 characters spoken"
    )
    settings: dict[str, Any] | None = Field(
        default=None, description="Replaces the provider's settings (model, steps, ...)"
    )


class ProviderChangeOut(Out):
    revision: int = Field(description="The change's revision")
    changed_at: datetime = Field(description="When")
    changed_by: str = Field(description="The admin who made it")
    config: ProviderOut = Field(description="The provider's configuration after it")


def examples_of(name: str) -> list[dict[str, Any]]:
    """The examples of the body model called ``name``, nulls included."""
    model = globals()[name]
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{name} has no examples"
    found = extra["examples"]
    assert isinstance(found, list)
    return found
