"""The notifier's subscriber table: one declared consumer per webhook receiver."""

from __future__ import annotations

from vp_runtime.messaging.delivery import Delivery, Handler, RetryPolicy
from vp_runtime.messaging.subscriptions import Subscription

from vp_notifier.service.webhooks import Sender
from vp_notifier.settings import NotifierSettings, Webhook


def subscriptions(settings: NotifierSettings, sender: Sender) -> list[Subscription]:
    policy = RetryPolicy(
        attempts=settings.webhook_attempts,
        first_delay=settings.webhook_first_delay_seconds,
        max_delay=3600,
    )
    return [
        Subscription(f"notifier-webhook-{hook.name}", _deliver_to(hook, sender), policy)
        for hook in settings.webhooks
    ]


def _deliver_to(hook: Webhook, sender: Sender) -> Handler:
    async def deliver(delivery: Delivery) -> None:
        await sender.send(hook, delivery.story_event())

    return deliver
