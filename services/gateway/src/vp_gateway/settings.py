"""Gateway settings (``VP_*`` environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from vp_runtime.settings import AuthSettings


class GatewaySettings(AuthSettings):
    service_name: str = "gateway"
    gateway_host: str = Field(default="127.0.0.1", description="Address the REST API listens on")
    gateway_port: int = Field(default=8000, description="Port of the REST API")
    gateway_workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes serving the REST API on the same port (each with its projector;"
        " their batches never overtake one another)",
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///.vp/gateway.db",
        description="Read model and users: postgresql+psycopg://... in production",
    )
    database_pool_size: int = Field(
        default=10,
        ge=1,
        le=200,
        description="PostgreSQL connections of each gateway process: as many again for a"
        " burst (opened and closed for it), and as many for the pages of stories (their own"
        " pool); requests beyond them wait for a connection",
    )
    notifier_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Public base URL of the notifier (live-update links handed to browsers)",
    )

    studio_dir: str = Field(
        default="studio/dist",
        description="Folder of the built studio (the creators' web app), served at /studio/",
    )
    admin_emails: str = Field(
        default="", description="Comma-separated emails that register as admins"
    )
    refresh_ttl_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="How long a browser session lasts without logging in again (refresh tokens)",
    )
    max_body_bytes: int = Field(
        default=262_144, ge=1024, description="Largest accepted request body"
    )
    max_stories_in_generation: int = Field(
        default=5,
        ge=0,
        le=10_000,
        description="Stories one user may have in planning, preview or render at once (429 with"
        " Retry-After beyond it; 0: no limit)",
    )
    content_policy: bool = Field(
        default=True,
        description="Check prompts and narration against the content policy before any paid run",
    )
    default_blocked_terms: bool = Field(
        default=True,
        description="Block the built-in list of well-known protected character and brand names",
    )
    blocked_terms: dict[str, list[str]] = Field(
        default_factory=dict,
        description='More blocked terms per language (JSON: {"ko": ["..."], "en": ["..."]})',
    )
    moderation_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible moderation API (POST <url>/v1/moderations)",
    )
    moderation_api_key: SecretStr | None = Field(
        default=None, description="Bearer key of the moderation API"
    )
    moderation_model: str = Field(
        default="omni-moderation-latest", description="Moderation model asked for"
    )
    run_projector: bool = Field(
        default=True, description="Run the read-model projector in this process"
    )
    read_wait_seconds: float = Field(
        default=2.0, ge=0, description="How long a list waits for the read model to catch up"
    )

    @property
    def admins(self) -> frozenset[str]:
        return frozenset(
            email.strip().lower() for email in self.admin_emails.split(",") if email.strip()
        )
