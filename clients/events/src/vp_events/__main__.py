"""``vp-events``: print story facts as they happen, one JSON line each, from a durable consumer
(the example of the consumer kit; stop it and start it again: it goes on where it stopped).

    vp-events --durable team-analytics --subject 'vp.story.*.completed'

Connection from the environment: ``NATS_URL``, ``NATS_USER``, ``NATS_PASSWORD`` and
``NATS_INBOX_PREFIX`` (an outside team's account may read replies only under its own prefix).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

import nats

from vp_events.consumer import STREAM, follow


async def run(args: argparse.Namespace) -> None:
    nc = await nats.connect(
        os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
        user=os.environ.get("NATS_USER"),
        password=os.environ.get("NATS_PASSWORD"),
        inbox_prefix=os.environ.get("NATS_INBOX_PREFIX", "_INBOX"),
        name=f"vp-events {args.durable}",
    )
    try:
        async for fact in follow(
            nc,
            durable=args.durable,
            subject=args.subject,
            stream=args.stream,
            from_start=args.from_start,
        ):
            line = {
                "sequence": fact.sequence,
                "type": fact.envelope.type,
                "story_id": fact.envelope.story_id,
                "time": fact.envelope.time.isoformat(),
                "event": fact.event.model_dump(mode="json"),
            }
            print(json.dumps(line, ensure_ascii=False), flush=True)
            await fact.ack()
    finally:
        await nc.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vp-events", description=__doc__.splitlines()[0])
    parser.add_argument("--durable", required=True, help="the consumer's name (kept by NATS)")
    parser.add_argument("--subject", default="vp.story.*.completed", help="facts to follow")
    parser.add_argument("--stream", default=STREAM, help="the story log's stream")
    parser.add_argument(
        "--from-start", action="store_true", help="a new consumer starts at the log's start"
    )
    try:
        asyncio.run(run(parser.parse_args(argv)))
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
