"""Entry point of the planner service."""

import sys


def main() -> int:
    print("vp-planner: not built yet", file=sys.stderr)
    return 2
