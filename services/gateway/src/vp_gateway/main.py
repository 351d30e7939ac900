"""Gateway process: ``vp-gateway [serve|project|migrate|rebuild|openapi]``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import uvicorn
from fastapi import FastAPI
from vp_runtime.aio import until_stopped
from vp_runtime.observability import telemetry

from vp_gateway.adapters.db.engine import upgrade_async
from vp_gateway.bootstrap import build_app, projecting, rebuild
from vp_gateway.entrypoints.http import create_app
from vp_gateway.settings import GatewaySettings


async def project(settings: GatewaySettings) -> None:
    """Run only the projector (no HTTP) until SIGINT or SIGTERM."""
    async with projecting(settings):
        await until_stopped()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vp-gateway", description="VideoPlanet gateway")
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "project", "migrate", "rebuild", "openapi"],
        help="serve the API (and the projector), run only the projector, migrate the database, "
        "rebuild the read model from the log, or print the OpenAPI document",
    )
    args = parser.parse_args(argv)
    settings = GatewaySettings()
    if args.command == "openapi":
        print(openapi_document(settings))
        return 0
    telemetry.setup(settings)
    if args.command == "migrate":
        asyncio.run(upgrade_async(settings.database_url))
    elif args.command == "project":
        asyncio.run(project(settings))
    elif args.command == "rebuild":
        print(f"read model rebuilt from {asyncio.run(rebuild(settings))} facts")
    elif settings.gateway_workers > 1:
        # Each worker process builds its app from the same environment.
        uvicorn.run(
            "vp_gateway.main:app_from_environment",
            factory=True,
            host=settings.gateway_host,
            port=settings.gateway_port,
            workers=settings.gateway_workers,
            log_level=settings.log_level.lower(),  # an access line per request at INFO
            log_config=None,
        )
    else:
        config = uvicorn.Config(
            build_app(settings),
            host=settings.gateway_host,
            port=settings.gateway_port,
            log_level=settings.log_level.lower(),  # an access line per request at INFO
            log_config=None,  # records go to the root logger: one format (text or JSON)
        )
        uvicorn.Server(config).run()
    return 0


def openapi_document(settings: GatewaySettings) -> str:
    """The OpenAPI document as the gateway serves it, as stable text (what the clients are
    generated from)."""
    document = create_app(settings).openapi()
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)


def app_from_environment() -> FastAPI:
    """The app of one of several worker processes (``VP_GATEWAY_WORKERS``)."""
    settings = GatewaySettings()
    telemetry.setup(settings)
    return build_app(settings)


if __name__ == "__main__":
    sys.exit(main())
