"""Follow VideoPlanet's story facts from another team's service.

    async with await nats.connect(url, user=..., password=..., inbox_prefix=...) as nc:
        async for fact in follow(nc, durable="team-analytics", subject="vp.story.*.completed"):
            print(fact.envelope.story_id, fact.event)
            await fact.ack()

``follow`` reads a durable JetStream consumer (made on first use, kept by the server), so a
process that stops and starts again resumes after the last fact it acknowledged: nothing is
missed, and a fact not acknowledged comes again. Each fact is parsed from its CloudEvents
headers and body into the published event model of ``vp_contracts`` (older versions upcast).
"""

from vp_events.consumer import Fact, follow

__all__ = ["Fact", "follow"]
