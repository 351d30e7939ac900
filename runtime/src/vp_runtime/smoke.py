"""``vp-smoke``: after a deploy, check the way a creator's browser reaches the platform (the
roadmap's deployment checklist: SSL, smoke test). Run by a Job of the production overlay
against the public URLs, through the ingress and its certificate.

Each check is one request and what its answer must hold; all of them run, each is printed,
and the exit code is 1 when any failed (so the Job fails and retries)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Check:
    name: str
    url: str
    holds: Callable[[httpx.Response], bool]
    expected: str


def checks(api: str, live: str) -> list[Check]:
    api, live = api.rstrip("/"), live.rstrip("/")

    return [
        Check("api alive", f"{api}/healthz", lambda a: a.status_code == 200, "200"),
        Check("api ready (NATS, database)", f"{api}/readyz", lambda a: a.status_code == 200, "200"),
        Check(
            "api schema",
            f"{api}/api/ai-video/openapi.json",
            lambda a: a.status_code == 200 and "listStories" in a.text,
            "the OpenAPI document",
        ),
        Check(
            "event contracts",
            f"{api}/api/ai-video/events/asyncapi.json",
            lambda a: a.status_code == 200 and str(a.json().get("asyncapi", "")) >= "3",
            "the AsyncAPI document",
        ),
        Check(
            "auth enforced",
            f"{api}/api/ai-video/stories/",
            lambda a: a.status_code == 401,
            "401 without a token",
        ),
        Check(
            "studio",
            f"{api}/studio/",
            lambda a: a.status_code == 200 and "<html" in a.text.lower(),
            "the studio's page",
        ),
        Check(
            "live updates ready",
            f"{live}/readyz",
            lambda a: a.status_code == 200,
            "200",
        ),
    ]


async def run(api: str, live: str, request_seconds: float, out: Any = sys.stdout) -> bool:
    """Every check, printed as it is done; True when all of them held."""
    passed = True
    async with httpx.AsyncClient(timeout=request_seconds, follow_redirects=True) as http:
        for check in checks(api, live):
            try:
                answer = await http.get(check.url)
                held = check.holds(answer)
                seen = f"{answer.status_code} ({answer.url.scheme})"
            except (httpx.HTTPError, ValueError) as error:
                held, seen = False, f"{type(error).__name__}: {error}"
            passed &= held
            mark = "ok  " if held else "FAIL"
            print(f"{mark} {check.name}: {check.url} -> {seen}; wanted {check.expected}", file=out)
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vp-smoke", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--api", default=os.environ.get("VP_SMOKE_API_URL"), help="public URL of the API"
    )
    parser.add_argument(
        "--live",
        default=os.environ.get("VP_SMOKE_LIVE_URL") or os.environ.get("VP_NOTIFIER_URL"),
        help="public URL of the live updates (the notifier)",
    )
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args(argv)
    if not args.api or not args.live:
        parser.error("give --api and --live (or VP_SMOKE_API_URL and VP_SMOKE_LIVE_URL)")
    return 0 if asyncio.run(run(args.api, args.live, args.timeout)) else 1


if __name__ == "__main__":
    sys.exit(main())
