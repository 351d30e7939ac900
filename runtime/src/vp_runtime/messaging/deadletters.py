"""Dead letters: messages a service gave up on, kept with the reason in the VP_DEAD stream."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nats.aio.client import Client
from nats.aio.msg import Msg

from vp_runtime.messaging.topology import Topology

if TYPE_CHECKING:
    from vp_runtime.messaging.delivery import Delivery


class DeadLetters:
    """Publishes a copy of a message, its headers and why it was given up, to ``vp.dead.<service>``."""

    def __init__(self, client: Client, topology: Topology, service: str) -> None:
        self.service = service
        self._js = client.jetstream()
        self._subject = topology.subjects.dead_letters(service)

    async def send(self, delivery: Delivery, *, kind: str, reason: str) -> None:
        await self.send_raw(delivery.message.raw_message, kind=kind, reason=reason)

    async def send_raw(self, raw: Msg, *, kind: str, reason: str) -> None:
        """:meth:`send` for a message fetched with nats-py itself."""
        sequence = raw.metadata.sequence.stream
        # The original's own headers (ce-*, trace) travel along; its JetStream control headers
        # (expected stream, sequence, msg id) would make this publish fail.
        headers = {
            key: value
            for key, value in (raw.headers or {}).items()
            if not key.lower().startswith("nats-")
        }
        headers.update(
            {
                "vp-dead-kind": kind,
                "vp-dead-reason": reason[:1000].replace("\r", " ").replace("\n", " "),
                "vp-dead-subject": raw.subject,
                "vp-dead-stream-sequence": str(sequence),
                "vp-dead-attempts": str(raw.metadata.num_delivered),
                "Nats-Msg-Id": f"dead-{raw.metadata.stream}-{sequence}-{kind}",
            }
        )
        await self._js.publish(self._subject, raw.data or b"", headers=headers)
