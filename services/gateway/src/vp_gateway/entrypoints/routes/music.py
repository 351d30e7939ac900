"""The built-in music library a story can put under its video (composed by the project, so
royalty-free by construction), with a short preview to listen to before choosing."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from vp_contracts.values import MusicTrack
from vp_runtime.media.music import COMPOSITIONS, loop_seconds, track_wav

from vp_gateway.entrypoints.deps import PrincipalDep
from vp_gateway.entrypoints.schemas import ErrorOut, MusicOut, MusicTrackOut

router = APIRouter(prefix="/api/ai-video/music", tags=["music"])

PREVIEW_RATE = 22_050
NAMES = {
    MusicTrack.CALM: {"ko": "잔잔한", "en": "Calm"},
    MusicTrack.AMBIENT: {"ko": "몽환적인", "en": "Ambient"},
    MusicTrack.UPBEAT: {"ko": "경쾌한", "en": "Upbeat"},
}


@router.get("/", response_model=MusicOut, responses={401: {"model": ErrorOut}})
async def list_music(caller: PrincipalDep) -> MusicOut:
    """The tracks of the library: put a track's ``id`` in ``music.track``; each loops to the
    video's length, fades in and out and is lowered under the narration."""
    return MusicOut(
        tracks=[
            MusicTrackOut(
                id=track.value,
                names=NAMES[track],
                bpm=COMPOSITIONS[track].bpm,
                loop_seconds=round(loop_seconds(track), 2),
                preview_url=f"/api/ai-video/music/{track.value}/preview.wav",
            )
            for track in MusicTrack
        ]
    )


@router.get(
    "/{track}/preview.wav",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}, "description": "One loop, mono 22 kHz"}},
)
async def preview_music(track: MusicTrack) -> Response:
    """One loop of the track to listen to (no login: the library is the same for everyone)."""
    wav = await asyncio.to_thread(track_wav, track, PREVIEW_RATE, True)
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})
