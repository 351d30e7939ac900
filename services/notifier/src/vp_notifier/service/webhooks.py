"""Story facts to other teams' HTTP receivers: CloudEvents JSON, signed, retried with backoff.

Each receiver has its own durable consumer (``notifier-webhook-<name>``, from the facts recorded
after it was first registered), shared by every notifier replica: a fact goes to a receiver once
per success, a receiver that is down delays only itself. A failed try (network error, timeout,
5xx, 408, 429) is retried after 5 s, 10 s, 20 s, ...; a 4xx refusal is not retried. A fact that
was never accepted ends in the dead letters with the last answer.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import httpx
from vp_contracts.envelope import RecordedEvent
from vp_contracts.events.base import Event
from vp_runtime.messaging.delivery import PoisonMessage

from vp_notifier.domain import signing
from vp_notifier.settings import Webhook

log = logging.getLogger(__name__)
RETRYABLE = {408, 425, 429}


class Refused(PoisonMessage):
    """The receiver answered that it will never take this fact."""


def cloud_event(fact: RecordedEvent[Event]) -> bytes:
    envelope = fact.envelope
    body = {
        "specversion": "1.0",
        "id": envelope.id,
        "type": envelope.type,
        "source": envelope.source,
        "subject": fact.event.story_id,
        "time": envelope.time.isoformat(),
        "datacontenttype": "application/json",
        "sequence": fact.sequence,
        "data": fact.event.model_dump(mode="json"),
    }
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class Sender:
    client: httpx.AsyncClient

    async def send(self, hook: Webhook, fact: RecordedEvent[Event]) -> None:
        body = cloud_event(fact)
        headers = {
            "content-type": "application/cloudevents+json",
            "user-agent": "videoplanet-webhooks/1",
            **signing.headers(
                hook.secret.get_secret_value(), fact.envelope.id, int(time.time()), body
            ),
        }
        try:
            answer = await self.client.post(str(hook.url), content=body, headers=headers)
        except httpx.HTTPError as error:
            raise ConnectionError(
                f"webhook {hook.name}: {type(error).__name__}: {error}"
            ) from error
        if answer.is_success:
            return
        reason = f"webhook {hook.name} answered {answer.status_code}: {answer.text[:200]}"
        if answer.status_code < 500 and answer.status_code not in RETRYABLE:
            raise Refused(reason)
        raise ConnectionError(reason)
