"""The compositor's subscriber table: each generated scene, which may complete a set."""

from __future__ import annotations

from vp_runtime.messaging.delivery import Delivery
from vp_runtime.messaging.subscriptions import Subscription

from vp_compositor.service.compose import Composer


def subscriptions(composer: Composer) -> list[Subscription]:
    async def compose(delivery: Delivery) -> None:
        await composer.on_scene_generated(
            delivery.story_event(), delivery.attempt, delivery.stream_sequence
        )

    async def give_up(delivery: Delivery, error: BaseException) -> None:
        await composer.fail(delivery.story_event().event.story_id, error)

    return [Subscription("compositor", compose, on_give_up=give_up)]
