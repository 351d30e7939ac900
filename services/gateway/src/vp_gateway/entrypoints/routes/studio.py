"""The creators' web app (``studio/``, built to static files) at ``/studio/``: its files, and
its page for every client-side route (so a reload or a shared link works)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

from vp_gateway.entrypoints.deps import GatewayDep
from vp_gateway.entrypoints.errors import ApiError

router = APIRouter(include_in_schema=False)
HASHED = "/assets/"
"""Vite names built files by their hash: they never change, so they may be cached for good."""


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/studio/")


@router.get("/studio")
async def studio_root() -> RedirectResponse:
    return RedirectResponse("/studio/")


@router.get("/studio/{path:path}")
def studio(path: str, gw: GatewayDep) -> Response:
    root = Path(gw.settings.studio_dir).resolve()
    index = root / "index.html"
    if not index.is_file():
        raise ApiError(
            404,
            "studio_not_built",
            f"the studio is not built in {root}: run `make studio` (or set VP_STUDIO_DIR)",
        )
    wanted = (root / path).resolve()
    if path and wanted.is_file() and wanted.is_relative_to(root):
        cache = "public, max-age=31536000, immutable" if HASHED in f"/{path}" else "no-cache"
        return FileResponse(wanted, headers={"Cache-Control": cache})
    return FileResponse(index, headers={"Cache-Control": "no-cache"})
