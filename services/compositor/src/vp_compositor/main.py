"""Compositor process: ``vp-compositor``."""

from __future__ import annotations

import sys

from vp_runtime.process import serve_worker

from vp_compositor.bootstrap import running
from vp_compositor.settings import CompositorSettings


def main() -> int:
    return serve_worker(CompositorSettings(), running)


if __name__ == "__main__":
    sys.exit(main())
