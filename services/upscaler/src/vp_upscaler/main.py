"""Entry point of the upscaler service."""

import sys


def main() -> int:
    print("vp-upscaler: not built yet", file=sys.stderr)
    return 2
