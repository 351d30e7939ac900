"""Entry point of the compositor service."""

import sys


def main() -> int:
    print("vp-compositor: not built yet", file=sys.stderr)
    return 2
