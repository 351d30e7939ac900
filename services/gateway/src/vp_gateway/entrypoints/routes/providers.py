"""Providers at run time (admins): list them, change their active flag, rate limits, prices
and settings; every service sees a change within a second; each change is kept with who made
it (the audit list)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import ValidationError
from vp_runtime.providers.config import ProviderConfig

from vp_gateway.entrypoints.deps import GatewayDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.routes.admin import AdminDep
from vp_gateway.entrypoints.schemas import (
    ErrorOut,
    ProviderChangeIn,
    ProviderChangeOut,
    ProviderOut,
)

router = APIRouter(
    prefix="/api/ai-video/admin/providers",
    tags=["admin"],
    responses={401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}},
)
Name = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,40}$", description="Provider name")]


def _out(config: ProviderConfig) -> ProviderOut:
    return ProviderOut(**config.model_dump(exclude={"api_key_env"}))


def _known(gw: GatewayDep, name: str) -> ProviderConfig:
    config = gw.catalog.get(name)
    if config is None:
        names = ", ".join(c.name for c in gw.catalog.current())
        raise ApiError(404, "not_found", f"no provider {name!r} is configured (there are: {names})")
    return config


@router.get("/", response_model=list[ProviderOut])
async def list_providers(gw: GatewayDep, caller: AdminDep) -> list[ProviderOut]:
    """The configured providers in the order they are tried, as they are now."""
    return [_out(config) for config in gw.catalog.current()]


@router.patch("/{name}/", response_model=ProviderOut)
async def change_provider(
    name: Name, body: ProviderChangeIn, gw: GatewayDep, caller: AdminDep
) -> ProviderOut:
    """Change a provider for every service at once: deactivate it (the router falls back to the
    next one), lower its rate limits, change its prices (estimates, budget charges and the
    ledger all use the new ones) or its settings. Adding a provider is a deploy (its API key
    must reach every service)."""
    _known(gw, name)
    changes = body.model_dump(exclude_unset=True)
    try:
        config = await gw.catalog.change(name, changes, caller.user_id)
    except ValidationError as error:
        raise ApiError(
            422, "invalid_input", f"the change is not a valid configuration: {error}"
        ) from None
    return _out(config)


@router.get("/{name}/history/", response_model=list[ProviderChangeOut])
async def provider_history(name: Name, gw: GatewayDep, caller: AdminDep) -> list[ProviderChangeOut]:
    """Every change admins made to the provider (the last 64), oldest first."""
    _known(gw, name)
    return [
        ProviderChangeOut(
            revision=change.revision,
            changed_at=change.changed_at,
            changed_by=change.changed_by,
            config=_out(change.config),
        )
        for change in await gw.catalog.history(name)
    ]
