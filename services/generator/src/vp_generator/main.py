"""Entry point of the generator service."""

import sys


def main() -> int:
    print("vp-generator: not built yet", file=sys.stderr)
    return 2
