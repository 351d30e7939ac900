"""Entry point of the notifier service."""

import sys


def main() -> int:
    print("vp-notifier: not built yet", file=sys.stderr)
    return 2
