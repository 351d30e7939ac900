"""A creator's own files: ask for an upload link, PUT the file there (straight to object
storage), complete it (the content is checked), then refer to it by id from stories and scenes;
list and delete them. Only their owner sees them (an admin may list everyone's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from vp_gateway.entrypoints.deps import GatewayDep, PrincipalDep
from vp_gateway.entrypoints.schemas import (
    AssetIdPath,
    AssetIn,
    AssetOut,
    AssetsOut,
    ErrorOut,
    UploadOut,
)
from vp_gateway.service.assets import Asset, AssetKind

router = APIRouter(
    prefix="/api/ai-video/assets",
    tags=["assets"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


def asset_out(asset: Asset) -> AssetOut:
    return AssetOut.model_validate(asset, from_attributes=True)


@router.post("/", status_code=201, response_model=UploadOut)
async def start_upload(body: AssetIn, gw: GatewayDep, caller: PrincipalDep) -> UploadOut:
    """A new asset and where to send its file: ``PUT`` the bytes to ``upload.url`` with the
    headers given (within 15 minutes), then ``POST .../{id}/complete/``."""
    upload = await gw.assets.start_upload(
        caller, body.kind, body.filename, body.content_type, body.size_bytes
    )
    return UploadOut(
        asset=asset_out(upload.asset),
        url=upload.url,
        method=upload.method,
        headers=upload.headers,
        expires_at=upload.expires_at,
    )


@router.post("/{asset_id}/complete/", response_model=AssetOut)
async def complete_upload(asset_id: AssetIdPath, gw: GatewayDep, caller: PrincipalDep) -> AssetOut:
    """Check the uploaded file (its size, and its type by its content, whatever its name says):
    ready to use, or refused with 422 saying why (the file and the asset are then deleted)."""
    return asset_out(await gw.assets.complete(caller, asset_id))


@router.get("/", response_model=AssetsOut)
async def list_assets(
    gw: GatewayDep,
    caller: PrincipalDep,
    kind: Annotated[AssetKind | None, Query(description="Only assets of this kind")] = None,
) -> AssetsOut:
    """Your assets, newest first (an admin sees everyone's)."""
    return AssetsOut(results=[asset_out(asset) for asset in await gw.assets.listed(caller, kind)])


@router.get("/{asset_id}/", response_model=AssetOut)
async def get_asset(asset_id: AssetIdPath, gw: GatewayDep, caller: PrincipalDep) -> AssetOut:
    return asset_out(await gw.assets.own(caller, asset_id))


@router.delete("/{asset_id}/", status_code=204, response_class=Response)
async def delete_asset(asset_id: AssetIdPath, gw: GatewayDep, caller: PrincipalDep) -> Response:
    """Delete the file and the asset (a story that still uses it fails its next render,
    saying which upload is missing)."""
    await gw.assets.delete(caller, asset_id)
    return Response(status_code=204)
