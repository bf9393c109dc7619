"""The one Settings object. Built once at an entry point and passed in; nothing reads the environment at import."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cxloop.core.secret_strength import secret_weakness

# The secrets this installation chooses, held to the production rules. Provider-issued ones (Twilio's auth token,
# Zendesk's signing secret, Intercom's client secret) have the provider's format and are taken as they are.
CHOSEN_SECRETS = ("secret_key", "email_webhook_secret", "helpdesk_webhook_secret")


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address to listen on) is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Runtime configuration, read from `CXLOOP_*` environment variables (or a `.env` file)."""

    # hide_input_in_errors: a refused setting (a secret, a URL with a password) never appears in an error or a log.
    model_config = SettingsConfigDict(env_prefix="CXLOOP_", env_file=".env", extra="ignore", hide_input_in_errors=True)

    # Unset: production, except for the embedded SQLite database used from this machine (`production_rules`).
    environment: Literal["development", "test", "production"] | None = None
    data_dir: Path = Path("./data")
    database_url: str | None = None
    redis_url: str | None = None
    # The embedded SQLite database: `full` makes every acknowledged write survive a power loss or an OS crash, at
    # the cost of a disk sync per commit; `normal` only a crash of cxloop itself (storage/database.py).
    sqlite_synchronous: Literal["normal", "full"] = "full"
    # The installation's name on Redis: it prefixes every key of the job queue and of the public endpoints' rate
    # limits, so installations sharing one server stay apart.
    jobs_queue: str = "cxloop"
    secret_key: SecretStr = SecretStr("development-only-secret")
    # Metrics are rolled up by local day in each of these zones; other zones are answered from raw rows.
    rollup_timezones: list[str] = ["UTC"]
    # Minimum answers per metric below which a figure is flagged small_sample ("n = 12, too few to read"), as JSON:
    # {"nps": 50}; a metric not named uses 30 (analytics/metrics.py).
    metric_min_n: dict[str, int] = {}
    # The slow analysis pages (themes, drivers, outcomes, maturity) compute inline up to this many responses and
    # feedback items; above it, while a worker runs, they show the worker's stored result (docs/web-app.md).
    precompute_above: int = Field(default=20_000, ge=0)
    log_level: str = "INFO"
    # Where customers reach this server: links in emails and SMS point here.
    public_url: str = "http://127.0.0.1:8000"
    # Outbound email, e.g. smtp://user:pass@mail.example.com:587?starttls=1 (unset: email invitations fail).
    smtp_url: str | None = None
    email_from: str = "cxloop <feedback@localhost>"
    # Shared secret of POST /webhooks/email/events (bounces, complaints); unset: the endpoint refuses every request.
    email_webhook_secret: SecretStr | None = None
    # Bounce and complaint webhooks of mail providers (docs/channels-email-sms.md): which are enabled (ses, postmark,
    # sendgrid, mailgun; POST /webhooks/email/<name>), and what each checks a request against.
    email_bounce_providers: list[str] = []
    # Amazon SES through SNS: the topics whose notifications are taken (any other topic's are refused), and where
    # SNS signing certificates and subscription confirmations may come from (a regular expression over the URL).
    ses_topic_arns: list[str] = []
    ses_sns_url_pattern: str = r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/"
    # Postmark signs nothing: its webhook URL carries basic-auth credentials, checked against these.
    postmark_webhook_user: str | None = None
    postmark_webhook_password: SecretStr | None = None
    # SendGrid's Event Webhook verification key (base64 of the ECDSA P-256 public key, as SendGrid shows it).
    sendgrid_webhook_public_key: str | None = None
    # Mailgun's HTTP webhook signing key.
    mailgun_webhook_signing_key: SecretStr | None = None
    # Replies to case follow-ups (docs/follow-ups.md): follow-up emails carry Reply-To reply+<token>@<this domain>,
    # whose mail a Mailgun route forwards to POST /webhooks/email/mailgun/inbound. Unset: no Reply-To is set.
    follow_up_reply_domain: str | None = None
    # Twilio-compatible SMS provider (the base URL is configurable so tests and other providers can stand in).
    sms_base_url: str = "https://api.twilio.com"
    sms_account_sid: str | None = None
    sms_auth_token: SecretStr | None = None
    sms_from: str | None = None
    # Phone numbers given without a country code are read as numbers of this country (ISO 3166, e.g. "US");
    # unset: every number needs its country code. Stored numbers are E.164 either way.
    default_phone_region: str | None = None
    # Helpdesk webhooks (docs/channels-helpdesk-reviews.md): each endpoint refuses every request while its secret is
    # unset. Zendesk: the webhook's signing secret; Intercom: the app's client secret; generic: a shared secret.
    zendesk_webhook_secret: SecretStr | None = None
    intercom_client_secret: SecretStr | None = None
    helpdesk_webhook_secret: SecretStr | None = None
    # Whether `cxloop text learn` also fits a sentiment model on MiniLM sentence embeddings (docs/text-analytics.md):
    # auto when the nlp extra (`pip install 'cxloop[nlp]'`) is installed; on refuses to learn without it; off never.
    sentiment_embeddings: Literal["auto", "on", "off"] = "auto"
    # Overload (docs/deployment.md "Overload and rate limits"): requests a server process works on at once; beyond
    # it, 503 with Retry-After at once (0: no bound). Health checks are never refused.
    max_in_flight: int = Field(default=128, ge=0)
    # ... and none new while the process's event loop runs more than this many milliseconds late with one of its own
    # requests in flight (0: not watched, the default; api/loop_lag.py, docs/deployment.md for what 20 did).
    max_loop_lag_ms: int = Field(default=0, ge=0, le=10_000)
    # Live event streams (/api/v1/stream) each server process holds open at once; beyond it 503 (docs/stream.md).
    # Streams are not counted in max_in_flight: they last minutes, not milliseconds.
    max_streams: int = Field(default=100, ge=0, le=10_000)
    # /api/v1 requests per client address and per API key in any `api_rate_window` seconds (0: no limit); shared
    # by every process through Redis when CXLOOP_REDIS_URL is set, else counted per process.
    api_rate_per_ip: int = Field(default=120_000, ge=0)
    api_rate_per_key: int = Field(default=60_000, ge=0)
    api_rate_window: int = Field(default=60, ge=1)

    @field_validator("default_phone_region")
    @classmethod
    def _known_region(cls, value: str | None) -> str | None:
        import phonenumbers  # only when set

        if value and value.strip().upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("CXLOOP_DEFAULT_PHONE_REGION must be a country code such as 'US' or 'GB'")
        return value.strip().upper() if value else None

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value  # FULL, as SQLite's docs spell it

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_driver(cls, value: str | None) -> str | None:
        if value and value.startswith(("postgres://", "postgresql://")):
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @model_validator(mode="after")
    def _enforce_production_rules(self) -> Settings:
        self.check_production_rules()
        return self

    def production_rules(self, *, serving_on: str | None = None) -> bool:
        """Whether the production rules apply. CXLOOP_ENVIRONMENT decides when set; unset, they apply except to the
        embedded SQLite database used from this machine: a command that serves nothing (init, demo, api-key ...),
        or `cxloop serve` on a loopback address (`make run` from a fresh clone)."""
        if self.environment is not None:
            return self.environment == "production"
        if not self.resolved_database_url.startswith("sqlite"):
            return True
        return serving_on is not None and not is_loopback(serving_on)

    def check_production_rules(self, *, serving_on: str | None = None) -> None:
        """ValueError naming each chosen secret that is too weak, when the production rules apply (never its value)."""
        if not self.production_rules(serving_on=serving_on):
            return
        problems = []
        for name in CHOSEN_SECRETS:
            secret: SecretStr | None = getattr(self, name)
            if secret is None:
                continue
            weakness = secret_weakness(secret.get_secret_value())
            if weakness is not None:
                problems.append(f"CXLOOP_{name.upper()} is too weak for production: {weakness}")
        if problems:
            how = "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            why = "" if self.environment else " (CXLOOP_ENVIRONMENT is unset, which counts as production here)"
            raise ValueError(f"{'; '.join(problems)}; {how}{why}.")

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL: CXLOOP_DATABASE_URL, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'cxloop.db').resolve()}"
