"""Settings from environment variables (``VP_*``), one class per service built on this one."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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
