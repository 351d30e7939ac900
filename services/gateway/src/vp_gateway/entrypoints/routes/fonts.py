"""Subtitle fonts a story can choose, per language: the installed families that draw every
letter of it, so a creator never picks one that would burn boxes instead of Hangul."""

from __future__ import annotations

import asyncio
import functools

from fastapi import APIRouter
from vp_contracts.language import NAMES, check_tag, primary
from vp_runtime.media.fonts import fonts_for_language

from vp_gateway.entrypoints.deps import PrincipalDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.schemas import ErrorOut, FontsOut, LanguageQuery

router = APIRouter(
    prefix="/api/ai-video/fonts",
    tags=["fonts"],
    responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


@functools.lru_cache(maxsize=64)
def _installed(language: str) -> tuple[str, ...] | None:
    found = fonts_for_language(language)
    return None if found is None else tuple(found)


@router.get("/", response_model=FontsOut)
async def list_fonts(
    caller: PrincipalDep,
    language: LanguageQuery = "ko",
) -> FontsOut:
    """The font families that draw ``language``: put one in ``subtitle_style.font`` (leave it
    out for the language's default)."""
    tag = check_tag(language)
    fonts = await asyncio.to_thread(_installed, primary(tag))
    return FontsOut(language=tag, language_name=NAMES.get(primary(tag)), fonts=list(fonts or ()))


async def check_font(font: str | None, language: str) -> None:
    """A chosen subtitle font must be installed and draw the story's language: else 422
    naming the field and where to look (nothing is checked where fontconfig is missing)."""
    if not font:
        return
    installed = await asyncio.to_thread(_installed, primary(language))
    if installed is None or font in installed:
        return
    raise ApiError(
        422,
        "invalid_input",
        f"subtitle_style.font: '{font}' is not installed or cannot draw '{language}'; pick one"
        f" from GET /api/ai-video/fonts/?language={primary(language)}",
        {
            "errors": [
                {
                    "field": "subtitle_style.font",
                    "rule": f"an installed font that draws '{language}'",
                    "in": "body",
                }
            ]
        },
    )
