"""Expiring links to files of the local storage backend (S3 links go straight to S3)."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from vp_runtime.storage import LocalStorage, UrlSigner, check_key, media_secret

from vp_gateway.entrypoints.deps import GatewayDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.schemas import ErrorOut

router = APIRouter(tags=["media"], responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}})


@router.get("/media/{key:path}", response_class=FileResponse)
async def media(
    key: str,
    gw: GatewayDep,
    expires: Annotated[int, Query(description="Unix time after which the link stops working")],
    signature: Annotated[str, Query(description="HMAC of the key and the expiry")],
) -> FileResponse:
    """A stored file, if the link is genuine and has not expired (range requests work)."""
    storage = gw.storage
    try:
        check_key(key)
    except ValueError:
        raise ApiError(404, "not_found", "no such file") from None
    if not isinstance(storage, LocalStorage) or not UrlSigner(media_secret(gw.settings)).valid(
        key, expires, signature
    ):
        raise ApiError(
            403,
            "link_invalid",
            "the link is invalid or has expired; fetch the story again for a new one",
        )
    path = storage.path(key)
    if not path.is_file():
        raise ApiError(404, "not_found", "no such file")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"}
    )
