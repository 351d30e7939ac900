"""Notifier process: ``vp-notifier``."""

from __future__ import annotations

import sys

import uvicorn
from vp_runtime.observability import telemetry

from vp_notifier.bootstrap import build_app
from vp_notifier.settings import NotifierSettings


def main() -> int:
    settings = NotifierSettings()
    telemetry.setup(settings)
    uvicorn.run(
        build_app(settings),
        host=settings.notifier_host,
        port=settings.notifier_port,
        log_level=settings.log_level.lower(),
        log_config=None,  # records go to the root logger: one format (text or JSON)
        timeout_graceful_shutdown=3,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
