"""Examples of the REST API's bodies as the OpenAPI document shows them (Swagger UI fills its
"Try it out" forms with them, generated clients put them in their docs). Korean first, as the
creators write; every example is checked against its model by the tests."""

from __future__ import annotations

from typing import Any, cast

from pydantic import ConfigDict

STORY_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
SCENE_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
JOB_ID = "16fd2706-8baf-433b-82eb-8c7fada847da"
USER_ID = "a8098c1a-f86e-11da-bd1a-00112444be1e"
ASSET_ID = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
AT = "2026-12-01T09:30:00Z"


def examples(*items: dict[str, Any], **config: Any) -> ConfigDict:
    """A model's config with ``items`` as the examples of its JSON schema."""
    return cast(ConfigDict, {**config, "json_schema_extra": {"examples": list(items)}})


STORY_CREATE = {
    "title": "고양이의 하루",
    "description": "햇살 좋은 아침, 고양이가 창가에서 일어나 골목을 산책하고 저녁에 집으로 돌아온다.",
    "character_prompt": "주황색 줄무늬 고양이",
    "background_prompt": "서울의 오래된 골목길",
    "action_prompt": "천천히 걷다가 나비를 쫓는다",
    "style": "anime",
    "duration_seconds": 30,
    "resolution": "1080p",
    "aspect_ratio": "16:9",
    "language": "ko",
    "music": {"track": "calm", "volume_db": -16},
    "subtitle_style": {"position": "bottom", "colour": "#FFFFFF", "max_chars_per_line": 18},
    "transition": "dissolve",
    "generation_params": {"seed": 1234, "crossfade_seconds": 0.5},
}

SCENE = {
    "id": SCENE_ID,
    "story": STORY_ID,
    "position": 0,
    "duration_seconds": 5.0,
    "prompt": {
        "character": "주황색 줄무늬 고양이",
        "background": "서울의 오래된 골목길",
        "action": "창가에서 기지개를 켠다",
        "style": "anime",
        "motion": "slow",
    },
    "narration": "햇살 좋은 아침, 고양이가 눈을 뜹니다.",
    "seed": 1234,
    "status": "generated",
    "background_url": f"/media/stories/{STORY_ID}/scenes/{SCENE_ID}/background.png?sig=...",
    "character_url": f"/media/stories/{STORY_ID}/scenes/{SCENE_ID}/character.png?sig=...",
    "narration_url": f"/media/stories/{STORY_ID}/scenes/{SCENE_ID}/narration.wav?sig=...",
    "provider": "offline",
    "cost": "0",
}

STORY = {
    **{key: value for key, value in STORY_CREATE.items() if key not in ("music", "transition")},
    "id": STORY_ID,
    "owner_id": USER_ID,
    "project_id": None,
    "fps": 30,
    "narration": True,
    "burn_subtitles": True,
    "subtitle_style": {"position": "bottom", "max_chars_per_line": 18},
    "transition": "dissolve",
    "music": {"track": "calm", "volume_db": -16},
    "language_detected": False,
    "status": "preview_ready",
    "scenes": [SCENE],
    "preview_url": f"/media/stories/{STORY_ID}/preview.mp4?sig=...",
    "final_url": None,
    "preview_hls_url": f"/media/stories/{STORY_ID}/preview-live/index.m3u8?sig=...",
    "final_hls_url": None,
    "thumbnail_url": f"/media/stories/{STORY_ID}/thumbnail.jpg?sig=...",
    "subtitles_url": f"/media/stories/{STORY_ID}/subtitles.vtt?sig=...",
    "subtitles_srt_url": f"/media/stories/{STORY_ID}/subtitles.srt?sig=...",
    "cost_estimate": "0.42",
    "actual_cost": "0",
    "planner": "rules",
    "attempt": {"id": JOB_ID, "stage": "preview"},
    "created_at": AT,
    "updated_at": "2026-12-01T09:30:07Z",
    "version": 14,
}

ACCEPTED = {"job_id": JOB_ID, "status": "queued", "estimated_time": 12, "story": STORY}

JOB = {
    "id": JOB_ID,
    "story": STORY_ID,
    "type": "preview",
    "status": "running",
    "attempts": 1,
    "progress": 0.5,
    "provider": "offline",
    "cost": "0",
    "cache_hit": False,
    "attempt_id": JOB_ID,
    "created_at": AT,
    "started_at": "2026-12-01T09:30:01Z",
}

ERROR = {
    "error": {
        "code": "invalid_transition",
        "message": "a story in draft cannot go to completed; plan it first",
        "details": {"from": "draft", "to": "completed"},
    }
}
