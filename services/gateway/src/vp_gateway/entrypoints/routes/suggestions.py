"""Prompt suggestions for the studio's steps (the AI suggestions panel)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from vp_contracts.language import BCP47, check_tag

from vp_gateway.entrypoints.deps import GatewayDep, PrincipalDep
from vp_gateway.entrypoints.schemas import ErrorOut, SuggestionsOut

router = APIRouter(
    prefix="/api/ai-video/suggestions",
    tags=["suggestions"],
    responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


@router.get("/", response_model=SuggestionsOut)
async def list_suggestions(
    gw: GatewayDep,
    caller: PrincipalDep,
    response: Response,
    step: Annotated[
        Literal["story", "character", "background", "action"],
        Query(description="The studio step the suggestions are for"),
    ],
    language: Annotated[
        str, Query(pattern=BCP47, max_length=35, description="Language to suggest in")
    ] = "ko",
    context: Annotated[
        str, Query(max_length=2000, description="What the creator wrote so far (title, story)")
    ] = "",
) -> SuggestionsOut:
    """A few prompts for the step, in the story's language: from the configured language model
    when there is one (cached), from built-in ideas otherwise."""
    tag = check_tag(language)
    found = await gw.suggester.suggest(step, tag, context)
    response.headers["Cache-Control"] = "private, max-age=300"
    return SuggestionsOut(step=step, language=tag, source=found.source, suggestions=found.items)
