"""Upscaler process: ``vp-upscaler``."""

from __future__ import annotations

import sys

from vp_runtime.process import serve_worker

from vp_upscaler.bootstrap import running
from vp_upscaler.settings import UpscalerSettings


def main() -> int:
    return serve_worker(UpscalerSettings(), running)


if __name__ == "__main__":
    sys.exit(main())
