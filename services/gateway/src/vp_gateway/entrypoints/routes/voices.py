"""Voices a story can be narrated with, per language, so a frontend can offer a choice."""

from __future__ import annotations

from fastapi import APIRouter
from vp_contracts.language import NAMES, check_tag, primary
from vp_runtime.providers.config import ProviderConfig
from vp_runtime.providers.voices import catalogue

from vp_gateway.entrypoints.deps import GatewayDep, PrincipalDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.schemas import ErrorOut, LanguageQuery, VoiceOut, VoicesOut

router = APIRouter(
    prefix="/api/ai-video/voices",
    tags=["voices"],
    responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


@router.get("/", response_model=VoicesOut)
async def list_voices(
    gw: GatewayDep,
    caller: PrincipalDep,
    language: LanguageQuery = "ko",
) -> VoicesOut:
    """The voices that speak ``language``, best first (the first is used when a story picks
    none): offline ones cost nothing, cloud ones are priced per 1000 characters. Put a voice's
    ``id`` in ``generation_params.voice``."""
    tag = check_tag(language)
    voices = catalogue(gw.providers, tag)
    return VoicesOut(
        language=tag,
        language_name=NAMES.get(primary(tag)),
        voices=[
            VoiceOut(
                id=voice.id,
                provider=voice.provider,
                name=voice.name,
                language=voice.language,
                gender=voice.gender,
                offline=voice.offline,
                engine=voice.engine,
                price_per_1k_characters=voice.price_per_1k_characters,
            )
            for voice in voices
        ],
    )


def check_voice(providers: list[ProviderConfig], voice: str | None, language: str) -> None:
    """A chosen ``provider:voice`` must be one of the voices of the story's language: else 422
    naming the field and where to look (a bare name is left to the providers to resolve)."""
    if not voice or ":" not in voice:
        return
    offered = {found.id for found in catalogue(providers, language)}
    if voice not in offered:
        raise ApiError(
            422,
            "invalid_input",
            f"generation_params.voice: {voice} does not speak '{language}' here; pick one from"
            f" GET /api/ai-video/voices/?language={primary(language)}",
            {
                "errors": [
                    {
                        "field": "generation_params.voice",
                        "rule": f"a voice of language '{language}'",
                        "in": "body",
                    }
                ]
            },
        )
