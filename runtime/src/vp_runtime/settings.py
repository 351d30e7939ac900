"""Settings from environment variables (``VP_*``), one class per service built on this one."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vp_runtime.capacity import Capacity


class WebhookSubscription(BaseModel):
    """Which facts a webhook receiver gets (the notifier's settings add where and how signed)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$", description="Short unique name")
    events: tuple[str, ...] = Field(
        default=(), description="Event names to send (e.g. 'completed'); empty: every fact"
    )


class RuntimeSettings(BaseSettings):
    """What every service needs: where NATS is and how the log is named."""

    model_config = SettingsConfigDict(env_prefix="VP_", extra="ignore", frozen=True)

    nats_url: str = Field(
        default="nats://127.0.0.1:4222", description="NATS server URL(s), comma-separated"
    )
    nats_user: str | None = Field(default=None, description="NATS user name")
    nats_password: SecretStr | None = Field(default=None, description="NATS password")
    nats_creds: str | None = Field(default=None, description="Path to a NATS credentials file")
    subject_root: str = Field(default="vp", description="First token(s) of every subject")
    stream_prefix: str = Field(default="", description="Prefix of stream and consumer names")
    stream_replicas: int = Field(
        default=1, ge=1, le=5, description="Replicas of the streams (3 in production)"
    )
    service_name: str = Field(default="vp", description="Name used in logs, traces and ce-source")
    job_ack_wait_seconds: float = Field(
        default=8,
        ge=1,
        le=3600,
        description="How long a stage's work (plan, scene job, compose, upscale) may go without a"
        " keep-alive before another worker takes it over; keep-alives go every quarter of it",
    )
    planner_replicas: int = Field(
        default=1, ge=1, le=1000, description="Most planner processes that run at once"
    )
    planner_workers: int = Field(default=1, ge=1, le=64, description="Plans at once per process")
    generator_replicas: int = Field(
        default=1, ge=1, le=1000, description="Most generator processes that run at once"
    )
    generator_workers: int = Field(
        default=2, ge=1, le=64, description="Scene jobs of final renders at once per process"
    )
    generator_interactive_workers: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Scene jobs of previews and single-scene regenerations at once per process",
    )
    compositor_replicas: int = Field(
        default=1, ge=1, le=1000, description="Most compositor processes that run at once"
    )
    compositor_workers: int = Field(
        default=1, ge=1, le=64, description="Final masters composed at once per process"
    )
    compositor_interactive_workers: int = Field(
        default=1, ge=1, le=64, description="Previews composed at once per process"
    )
    upscaler_replicas: int = Field(
        default=1, ge=1, le=1000, description="Most upscaler processes that run at once"
    )
    upscaler_workers: int = Field(
        default=1, ge=1, le=64, description="Finals upscaled at once per process"
    )
    budget_timezone: str = Field(
        default="UTC",
        description="Time zone whose calendar months the monthly budgets follow (e.g. Asia/Seoul)",
    )
    webhooks: tuple[WebhookSubscription, ...] = Field(
        default=(),
        description="Webhook receivers (JSON list); each has a durable consumer in the topology",
    )
    webhook_attempts: int = Field(default=6, ge=1, le=20, description="Tries per fact and receiver")

    storage_backend: Literal["local", "s3"] = Field(
        default="local", description="Where assets and videos live"
    )
    storage_dir: str = Field(default=".vp/storage", description="Folder of the local backend")
    media_url: str = Field(
        default="http://127.0.0.1:8000/media", description="Public base URL of local-backend links"
    )
    media_secret: SecretStr | None = Field(
        default=None, description="Key signing local-backend links (shared by all services)"
    )
    link_lifetime_seconds: int = Field(
        default=6 * 3600,
        ge=60,
        le=7 * 24 * 3600,
        description="How long download links in API answers work (at most 7 days, S3's limit);"
        " a link handed out is good for at least half of it",
    )
    s3_endpoint: str = Field(default="127.0.0.1:9000", description="S3/MinIO host:port")
    s3_public_endpoint: str | None = Field(
        default=None, description="Host:port browsers use, if different"
    )
    s3_access_key: SecretStr = Field(default=SecretStr("minioadmin"), description="S3 access key")
    s3_secret_key: SecretStr = Field(default=SecretStr("minioadmin"), description="S3 secret key")
    s3_bucket: str = Field(default="videoplanet", description="S3 bucket")
    s3_secure: bool = Field(default=False, description="Use HTTPS to S3")
    s3_region: str = Field(default="us-east-1", description="S3 region")
    log_format: Literal["text", "json"] = Field(
        default="text", description="Log lines as text or as JSON (with trace ids)"
    )
    log_level: str = Field(default="INFO", description="Lowest level logged")
    video_encoders: str = Field(
        default="auto",
        description="H.264 encoders to try at start-up, in order (auto: h264_nvenc, h264_qsv,"
        " h264_vaapi, then libx264; 'libx264' for software only); the first that encodes a"
        " test clip is used, and libx264 whenever it fails",
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP collector for traces, e.g. http://otel-collector:4318"
    )
    health_host: str = Field(
        default="127.0.0.1", description="Address of the health and metrics endpoints of workers"
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Port of /healthz, /readyz and /metrics of workers (unset: not served)",
    )

    def capacity(self) -> Capacity:
        """Replicas and workers per stage, as the consumers are declared with them."""
        return Capacity(**{name.name: getattr(self, name.name) for name in fields(Capacity)})

    @field_validator("webhooks", mode="before")
    @classmethod
    def _parse_webhooks(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class AuthSettings(RuntimeSettings):
    """What the gateway (issuing) and the notifier (checking) share about tokens."""

    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HMAC secret of access tokens and live tickets (shared by gateway and notifier)",
    )
    jwt_issuer: str = Field(default="videoplanet", description="Issuer claim of access tokens")
    jwt_audience: str = Field(
        default="videoplanet-api", description="Audience claim of access tokens"
    )
    jwt_ttl_seconds: int = Field(default=900, ge=60, le=86400, description="Access token lifetime")
    ticket_ttl_seconds: int = Field(
        default=60, ge=5, le=600, description="Lifetime of a live-update ticket"
    )
