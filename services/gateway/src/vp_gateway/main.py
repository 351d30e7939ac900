"""Entry point of the gateway service."""

import sys


def main() -> int:
    print("vp-gateway: not built yet", file=sys.stderr)
    return 2
