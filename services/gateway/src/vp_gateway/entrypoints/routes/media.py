"""Expiring links to files of the local storage backend, and its presigned uploads (S3 links
go straight to S3); HLS playlists of either backend, each file they name linked on its own."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from vp_runtime.media import hls
from vp_runtime.storage import LocalStorage, MissingObject, UrlSigner, check_key, media_secret
from vp_runtime.storage.local import TooLarge, upload_claim

from vp_gateway.entrypoints.deps import Gateway, GatewayDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.schemas import ErrorOut

router = APIRouter(tags=["media"], responses={403: {"model": ErrorOut}, 404: {"model": ErrorOut}})


@router.get(
    "/media/{key:path}",
    response_class=FileResponse,
    responses={200: {"content": {hls.PLAYLIST_TYPE: {}}}},
)
async def get_media(
    key: str,
    gw: GatewayDep,
    expires: Annotated[int, Query(description="Unix time after which the link stops working")],
    signature: Annotated[str, Query(description="HMAC of the key and the expiry")],
) -> Response:
    """A stored file, if the link is genuine and has not expired (range requests work). An HLS
    playlist (``.m3u8``, of either backend) comes with a link in place of each file it names."""
    storage = gw.storage
    try:
        check_key(key)
    except ValueError:
        raise ApiError(404, "not_found", "no such file") from None
    playlist = key.endswith(".m3u8")
    if not (isinstance(storage, LocalStorage) or playlist) or not UrlSigner(
        media_secret(gw.settings)
    ).valid(key, expires, signature):
        raise ApiError(
            403,
            "link_invalid",
            "the link is invalid or has expired; fetch the story again for a new one",
        )
    if playlist:
        return await _playlist(gw, key)
    assert isinstance(storage, LocalStorage)
    path = storage.path(key)
    if not path.is_file():
        raise ApiError(404, "not_found", "no such file")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(
        path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"}
    )


async def _playlist(gw: Gateway, key: str) -> Response:
    try:
        text = (await gw.storage.get_bytes(key)).decode()
    except MissingObject:
        raise ApiError(404, "not_found", "no such playlist") from None
    # A playlist still growing (a preview being rendered) is read again; a finished one keeps.
    cache = "private, max-age=60" if hls.ended(text) or "#EXT-X-STREAM-INF" in text else "no-store"
    return Response(
        hls.rewrite(text, key, lambda name: gw.link(name) or ""),
        media_type=hls.PLAYLIST_TYPE,
        headers={"Cache-Control": cache},
    )


@router.put(
    "/media/{key:path}",
    status_code=204,
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "The file's bytes, as they are",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_media(
    key: str,
    request: Request,
    gw: GatewayDep,
    expires: Annotated[int, Query(description="Unix time after which the link stops working")],
    max_bytes: Annotated[int, Query(description="The most bytes the link accepts")],
    signature: Annotated[str, Query(description="HMAC of the method, key, limit and expiry")],
) -> Response:
    """A presigned upload of the local backend: the body is stored under ``key`` if the link
    is genuine, unexpired, and the body within its limit (else 413, nothing stored)."""
    storage = gw.storage
    try:
        check_key(key)
    except ValueError:
        raise ApiError(404, "not_found", "no such upload") from None
    signer = UrlSigner(media_secret(gw.settings))
    if not isinstance(storage, LocalStorage) or not signer.valid(
        upload_claim(key, max_bytes), expires, signature
    ):
        raise ApiError(
            403, "link_invalid", "the upload link is invalid or has expired; ask for a new one"
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    try:
        await storage.put_stream(key, request.stream(), max_bytes)
    except TooLarge:
        raise _too_large(max_bytes) from None
    return Response(status_code=204)


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(
        413, "too_large", f"the file is larger than this upload accepts ({max_bytes} bytes)"
    )
