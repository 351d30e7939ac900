"""Planner process: ``vp-planner``."""

from __future__ import annotations

import sys

from vp_runtime.process import serve_worker

from vp_planner.bootstrap import running
from vp_planner.settings import PlannerSettings


def main() -> int:
    return serve_worker(PlannerSettings(), running)


if __name__ == "__main__":
    sys.exit(main())
