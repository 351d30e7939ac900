"""``vp-streams``: declare the streams and consumers (idempotent), or show their state.

Run by ``make up``, by the tests, and in Kubernetes as a Job before the services start.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from vp_runtime.messaging.broker import topology_of
from vp_runtime.messaging.connection import ServerTooOld, connect
from vp_runtime.messaging.declare import declare
from vp_runtime.settings import RuntimeSettings


async def _run(command: str) -> int:
    settings = RuntimeSettings()
    topology = topology_of(settings)

    try:
        client = await connect(settings, name="vp-streams")
    except ServerTooOld as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        js = client.jetstream()
        if command == "declare":
            for line in await declare(js, topology):
                print(line)
        else:
            for stream in topology.streams():
                assert stream.name
                info = await js.stream_info(stream.name)
                state = info.state
                print(f"{stream.name}: {state.messages} messages, last sequence {state.last_seq}")
    finally:
        await client.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vp-streams", description=__doc__)
    parser.add_argument("command", choices=["declare", "show"], nargs="?", default="declare")
    args = parser.parse_args(argv)
    return asyncio.run(_run(args.command))


if __name__ == "__main__":
    sys.exit(main())
