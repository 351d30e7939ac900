"""Run every benchmark and print one table.

`python -m tests.bench [eventstore] [projector] [scale] [gateway] [media]` runs the named groups (all by default).
VP_BENCH_MOVIEPY=0 skips the MoviePy comparison, which takes several minutes."""

from __future__ import annotations

import asyncio
import logging
import sys

from tests.bench import eventstore, gateway, media, projector, scale

GROUPS = {
    "eventstore": eventstore.run,
    "projector": projector.run,
    "scale": scale.run,
    "gateway": gateway.run,
    "media": media.run,
}


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(GROUPS))
    if unknown:
        print(
            f"unknown benchmark group(s) {unknown}; choose from {sorted(GROUPS)}", file=sys.stderr
        )
        return 2
    logging.getLogger("faststream").setLevel(logging.WARNING)  # one line per message otherwise
    rows = []
    for name in names or list(GROUPS):
        rows += asyncio.run(GROUPS[name]())
    width = max(len(name) for name, _, _ in rows)
    print(f"\n{'benchmark':<{width}}  {'result':>16}  goal")
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:>16}  {goal}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
