"""core/config.py: production settings fail closed (weak secrets refused by length and entropy, never echoed; an
unset CXLOOP_ENVIRONMENT counts as production beyond the embedded database used from this machine)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from pydantic import SecretStr, ValidationError

from cxloop.cli.preflight import StartupProblem, load_settings
from cxloop.core.config import Settings
from cxloop.core.secret_strength import MIN_LENGTH

POSTGRES = "postgresql://cxloop:hunter2-db-password@db.internal/cxloop"


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("Sh0rt-but-random-xQ9", f"shorter than {MIN_LENGTH} characters"),
        ("z" * 64, "too predictable"),
        ("abcdefghijklmnopqrstuvwxyz0123456789ABCD", "too predictable"),  # a run
        ("Tr0ub4dor&3-Tr0ub4dor&3-Tr0ub4dor&3-Tr0ub4dor&3", "too predictable"),  # a repeated phrase
        ("0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f", "too predictable"),
    ],
)
def test_weak_secrets_are_refused_without_being_quoted(secret: str, reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _settings(environment="production", secret_key=SecretStr(secret), database_url=POSTGRES)
    said = str(refused.value)  # what a traceback in a log would show
    assert "CXLOOP_SECRET_KEY is too weak for production" in said and reason in said
    assert secret not in said and secret[:8] not in said and "hunter2" not in said


def test_the_start_up_error_is_one_plain_sentence_without_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXLOOP_ENVIRONMENT", "production")
    monkeypatch.setenv("CXLOOP_SECRET_KEY", "changeme-changeme-changeme-changeme")
    monkeypatch.setenv("CXLOOP_DATABASE_URL", POSTGRES)
    with pytest.raises(StartupProblem) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("CXLOOP_SECRET_KEY is too weak for production: it is too predictable")
    assert "changeme" not in message and "hunter2" not in message and "\n" not in message


# generated inside the test: random parameters would name the tests differently in each pytest-xdist worker
@pytest.mark.parametrize(
    ("make", "size"),
    [(secrets.token_urlsafe, 32), (secrets.token_hex, 16), (secrets.token_hex, 32)],
    ids=["urlsafe-32", "hex-16", "hex-32"],
)
def test_generated_secrets_are_accepted(make: Callable[[int], str], size: int) -> None:
    secret = make(size)
    made = _settings(environment="production", database_url=POSTGRES, secret_key=SecretStr(secret))
    assert made.production_rules()


def test_the_webhook_secrets_this_installation_chooses_are_held_to_the_same_rules() -> None:
    strong = SecretStr(secrets.token_urlsafe(32))
    with pytest.raises(ValidationError, match="CXLOOP_EMAIL_WEBHOOK_SECRET is too weak"):
        _settings(environment="production", secret_key=strong, email_webhook_secret=SecretStr("hook"))
    # provider-issued secrets keep the provider's format
    _settings(environment="production", secret_key=strong, sms_auth_token=SecretStr("0123456789abcdef"))


def test_an_unset_environment_is_production_except_for_the_local_embedded_database() -> None:
    with pytest.raises(ValidationError, match="CXLOOP_ENVIRONMENT is unset"):
        _settings(database_url=POSTGRES)  # the development default secret, on a server database
    local = _settings()  # `make run`: init, demo, api-key create on SQLite
    assert not local.production_rules()
    assert [local.production_rules(serving_on=h) for h in ("127.0.0.1", "::1", "[::1]", "localhost")] == [False] * 4
    assert [local.production_rules(serving_on=h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.com")] == [True] * 4
    with pytest.raises(ValueError, match="CXLOOP_SECRET_KEY is too weak"):
        local.check_production_rules(serving_on="0.0.0.0")
    assert not _settings(environment="development", database_url=POSTGRES).production_rules(serving_on="0.0.0.0")
    assert _settings(environment="production", secret_key=SecretStr(secrets.token_urlsafe(32))).production_rules()
