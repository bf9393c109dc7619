"""The one Settings object. Built once at an entry point and passed in; nothing reads the environment at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "development-only-secret"}


class Settings(BaseSettings):
    """Runtime configuration, read from `CXLOOP_*` environment variables (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="CXLOOP_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    # The installation's name on Redis: it prefixes every key of the job queue and of the public endpoints' rate
    # limits, so installations sharing one server stay apart.
    jobs_queue: str = "cxloop"
    secret_key: SecretStr = SecretStr("development-only-secret")
    # Metrics are rolled up by local day in each of these zones; other zones are answered from raw rows.
    rollup_timezones: list[str] = ["UTC"]
    log_level: str = "INFO"
    # Where customers reach this server: links in emails and SMS point here.
    public_url: str = "http://127.0.0.1:8000"
    # Outbound email, e.g. smtp://user:pass@mail.example.com:587?starttls=1 (unset: email invitations fail).
    smtp_url: str | None = None
    email_from: str = "cxloop <feedback@localhost>"
    # Shared secret of POST /webhooks/email/events (bounces, complaints); unset: the endpoint refuses every request.
    email_webhook_secret: SecretStr | None = None
    # Twilio-compatible SMS provider (the base URL is configurable so tests and other providers can stand in).
    sms_base_url: str = "https://api.twilio.com"
    sms_account_sid: str | None = None
    sms_auth_token: SecretStr | None = None
    sms_from: str | None = None
    # Helpdesk webhooks (docs/channels-helpdesk-reviews.md): each endpoint refuses every request while its secret is
    # unset. Zendesk: the webhook's signing secret; Intercom: the app's client secret; generic: a shared secret.
    zendesk_webhook_secret: SecretStr | None = None
    intercom_client_secret: SecretStr | None = None
    helpdesk_webhook_secret: SecretStr | None = None
    # Overload (docs/deployment.md "Overload and rate limits"): requests a server process works on at once; beyond
    # it, 503 with Retry-After at once (0: no bound). Health checks are never refused.
    max_in_flight: int = Field(default=128, ge=0)
    # /api/v1 requests per client address and per API key in any `api_rate_window` seconds (0: no limit); shared
    # by every process through Redis when CXLOOP_REDIS_URL is set, else counted per process.
    api_rate_per_ip: int = Field(default=120_000, ge=0)
    api_rate_per_key: int = Field(default=60_000, ge=0)
    api_rate_window: int = Field(default=60, ge=1)

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_driver(cls, value: str | None) -> str | None:
        if value and value.startswith(("postgres://", "postgresql://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @model_validator(mode="after")
    def _enforce_real_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key.get_secret_value() in _PLACEHOLDER_SECRETS:
            raise ValueError("CXLOOP_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: CXLOOP_DATABASE_URL, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cxloop.db').resolve()}"
