"""Notifier settings (``VP_*`` environment variables)."""

from __future__ import annotations

from pydantic import Field, HttpUrl, SecretStr
from vp_runtime.settings import AuthSettings, WebhookSubscription


class Webhook(WebhookSubscription):
    """A receiver other teams registered: where, how it is signed, and which facts it wants."""

    url: HttpUrl = Field(description="Where facts are POSTed")
    secret: SecretStr = Field(description="Signing key (Standard Webhooks: whsec_<base64> or raw)")


class NotifierSettings(AuthSettings):
    service_name: str = "notifier"
    notifier_host: str = Field(default="127.0.0.1", description="Address the notifier listens on")
    notifier_port: int = Field(default=8001, description="Port of the notifier")
    client_queue_size: int = Field(
        default=256,
        ge=8,
        le=100_000,
        description="Messages held per live client before it is resynced from the log",
    )
    keepalive_seconds: float = Field(
        default=15.0, gt=0, description="Quiet seconds before a keep-alive is sent to a client"
    )
    cors_origins: str = Field(
        default="*",
        description="Web origins allowed to follow stories from a browser (comma-separated;"
        " '*': any, safe here since tickets, not cookies, carry the access)",
    )
    webhooks: tuple[Webhook, ...] = Field(
        default=(), description="Webhook receivers (JSON list of {name, url, secret, events})"
    )
    webhook_first_delay_seconds: float = Field(
        default=5.0, ge=0.1, description="Wait after the first failed try (doubles each time)"
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long a receiver may take to answer"
    )

    @property
    def origins(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]
