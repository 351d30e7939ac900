"""Run every benchmark and print one table."""

from __future__ import annotations

import asyncio
import sys

from tests.bench import eventstore


def main() -> int:
    rows = asyncio.run(eventstore.run())
    width = max(len(name) for name, _, _ in rows)
    print(f"\n{'benchmark':<{width}}  {'result':>16}  goal")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:>16}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
