"""Settings · Channels, email over HTTP (SQLite and PostgreSQL, a real aiosmtpd server): an admin stores the SMTP
server and sender over the environment's, sealed at rest; the password is write-only and never reaches the page or
the audit log; the worker's senders read the stored settings; the test email goes through the outbox and the
worker's job; "use the environment" forgets them; other roles get 403."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from cxloop.access.enums import Role
from cxloop.audit.models import AuditEntry
from cxloop.channels.configuration import sealing
from cxloop.channels.configuration import service as configuration
from cxloop.channels.configuration.models import ChannelSetting
from cxloop.channels.email import tasks as email_tasks
from cxloop.core.config import Settings
from cxloop.jobs.events import EmailTestRequested
from cxloop.jobs.models import OutboxEvent
from cxloop.storage.database import Database
from cxloop.worker import email_sender
from tests.channels.messaging.conftest import (  # noqa: F401 - smtp_server: the aiosmtpd fixture
    SmtpServer,
    relay_collecting_jobs,
    smtp_server,
)
from tests.web.conftest import csrf_token, make_user, sign_in, signed_in_client
from tests.web.test_settings_pages import post

PAGE = "/settings/channels"


def _form(server: SmtpServer, **change: str) -> dict[str, str]:
    return {
        "smtp_host": server.host,
        "smtp_port": str(server.port),
        "smtp_security": "none",
        "smtp_username": "",
        "smtp_password": "",
        "email_from": "Acme feedback <feedback@acme.example>",
        **change,
    }


def _post(client: TestClient, path: str, data: dict[str, Any]) -> Any:
    return post(client, path, data, page=PAGE)


def _rows(db: Database) -> dict[str, ChannelSetting]:
    with db.unit_of_work() as session:
        return {row.name: row for row in session.scalars(select(ChannelSetting))}


def _effective(db: Database, settings: Settings) -> Settings:
    with db.unit_of_work() as session:
        return configuration.effective(session, settings)


def _audit(db: Database) -> list[AuditEntry]:
    with db.unit_of_work() as session:
        query = select(AuditEntry).where(AuditEntry.action == "channel_settings.changed").order_by(AuditEntry.id)
        return list(session.scalars(query))


def test_stored_email_settings_replace_the_environment_s_and_the_senders_use_them(
    client: TestClient,
    db: Database,
    settings: Settings,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    assert settings.smtp_url is None
    signed_in_client(client, db, Role.admin)
    saved = _post(client, f"{PAGE}/email", _form(smtp_server))
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?done=email-saved"
    rows = _rows(db)
    assert rows["smtp_url"].sealed and "127.0.0.1" not in rows["smtp_url"].value
    assert not rows["email_from"].sealed and rows["email_from"].value == "Acme feedback <feedback@acme.example>"
    effective = _effective(db, settings)
    assert effective.smtp_url == f"smtp://127.0.0.1:{smtp_server.port}"
    assert effective.email_from == "Acme feedback <feedback@acme.example>"
    page = client.get(saved.headers["location"]).text
    assert "The email settings were saved" in page and "set in the app, over the environment" in page
    assert f"smtp://127.0.0.1:{smtp_server.port}" in page and "✓ configured" in page

    # the worker's notification emails read the stored settings when they send
    answer = email_sender(settings, db)("ana@example.com", "Hello", "A notification", None)
    assert answer.ok, answer.error
    [mail] = smtp_server.recorder.messages
    assert (mail["To"], mail["From"]) == ("ana@example.com", "Acme feedback <feedback@acme.example>")

    [entry] = _audit(db)
    assert entry.target_id == "email" and entry.actor_kind == "user"
    assert entry.changes["smtp_server"] == ["not set", f"smtp://127.0.0.1:{smtp_server.port}"]
    assert entry.changes["email_from"][1] == "Acme feedback <feedback@acme.example>"

    reset = _post(client, f"{PAGE}/email/reset", {})
    assert reset.headers["location"] == f"{PAGE}?done=email-reset" and _rows(db) == {}
    assert _effective(db, settings).smtp_url is None
    assert _audit(db)[-1].changes == {"cleared": ["email_from", "smtp_url"]}


def test_the_password_is_write_only_sealed_and_kept_for_the_same_login(
    client: TestClient,
    db: Database,
    settings: Settings,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    signed_in_client(client, db, Role.admin)
    login = {"smtp_username": "mailer", "smtp_password": "hunter2-secret", "smtp_security": "starttls"}
    assert _post(client, f"{PAGE}/email", _form(smtp_server, **login)).status_code == 303
    url = f"smtp://mailer:hunter2-secret@127.0.0.1:{smtp_server.port}?starttls=1"
    assert _effective(db, settings).smtp_url == url
    sealed = _rows(db)["smtp_url"].value
    assert "hunter2" not in sealed and sealing.unseal(settings.secret_key.get_secret_value(), sealed) == url
    page = client.get(PAGE).text
    assert "hunter2" not in page and 'value="mailer"' in page and "with a login" in page

    kept = _post(client, f"{PAGE}/email", _form(smtp_server, smtp_username="mailer", smtp_security="starttls"))
    assert kept.status_code == 303 and _effective(db, settings).smtp_url == url
    refused = _post(client, f"{PAGE}/email", _form(smtp_server, smtp_username="other", smtp_security="starttls"))
    assert refused.status_code == 422 and "give the password of this login" in refused.text
    assert 'id="email-password-error"' in refused.text and _effective(db, settings).smtp_url == url

    entries = _audit(db)
    assert [e.changes["smtp_login"] for e in entries] == ["password replaced", "password kept"]
    assert "hunter2" not in str([e.changes for e in entries])

    # another secret key cannot read what was sealed: the environment's applies and the page says so
    rotated = settings.model_copy(update={"secret_key": SecretStr("another-secret-key-of-enough-length")})
    with db.unit_of_work() as session:
        assert configuration.effective(session, rotated).smtp_url is None
        assert not configuration.stored(session, rotated)["smtp_url"].readable


def test_bad_email_fields_are_named_beside_them_and_nothing_is_stored(
    client: TestClient,
    db: Database,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    signed_in_client(client, db, Role.admin)
    cases = [
        ({"smtp_host": "mail example"}, "email-host-error", "host name"),
        ({"smtp_port": "0"}, "email-port-error", "between 1 and 65535"),
        ({"smtp_port": "http"}, "email-port-error", "between 1 and 65535"),
        ({"smtp_security": "tls13"}, "email-security-error", "choose none, STARTTLS or TLS"),
        ({"smtp_password": "alone"}, "email-username-error", "the login the password belongs to"),
        ({"email_from": "nobody"}, "email-from-error", "give the sender as an address"),
    ]
    for change, error_id, reason in cases:
        refused = _post(client, f"{PAGE}/email", _form(smtp_server, **change))
        assert refused.status_code == 422, change
        assert f'id="{error_id}"' in refused.text and reason in refused.text, change
    assert _rows(db) == {} and _audit(db) == []


def test_the_test_email_goes_through_the_outbox_and_the_worker(
    client: TestClient,
    db: Database,
    settings: Settings,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    signed_in_client(client, db, Role.admin)
    nothing = _post(client, f"{PAGE}/email/test", {})
    assert nothing.status_code == 409 and "Set up the SMTP server first" in nothing.text
    _post(client, f"{PAGE}/email", _form(smtp_server))
    asked = _post(client, f"{PAGE}/email/test", {})
    assert asked.headers["location"] == f"{PAGE}?done=email-test"
    assert "waiting for the worker" in client.get(PAGE).text
    assert smtp_server.recorder.messages == []  # nothing left the web process
    with db.unit_of_work() as session:
        [payload] = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.name == "email.test_requested"))

    assert relay_collecting_jobs(db) == [(email_tasks.TEST_JOB, payload)]

    class Runtime:
        def __init__(self) -> None:
            self.settings, self.database = settings, db

    email_tasks.send_test_email(Runtime(), EmailTestRequested.model_validate(payload))
    [mail] = smtp_server.recorder.messages
    assert (mail["To"], mail["Subject"]) == ("admin@example.com", "cxloop: test email")
    assert mail["From"] == "Acme feedback <feedback@acme.example>"
    page = client.get(PAGE).text
    assert "✓ sent" in page and "sent to admin@example.com through 127.0.0.1" in page

    smtp_server.recorder.refuse.add("admin@example.com")
    _post(client, f"{PAGE}/email/test", {})
    email_tasks.send_test_email(Runtime(), EmailTestRequested.model_validate(payload))
    assert "✗ failed" in client.get(PAGE).text


def test_email_settings_need_the_csrf_token_and_the_admin_role(
    client: TestClient,
    db: Database,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    signed_in_client(client, db, Role.admin)
    forged = client.post(f"{PAGE}/email", data={**_form(smtp_server), "csrf_token": "forged"})
    assert forged.status_code == 403 and _rows(db) == {}
    for role in (Role.viewer, Role.agent, Role.analyst):
        other = TestClient(client.app)
        sign_in(other, make_user(db, role))
        token = csrf_token(other.get("/account").text)
        for path in (f"{PAGE}/email", f"{PAGE}/email/test", f"{PAGE}/email/reset"):
            refused = other.post(path, data={**_form(smtp_server), "csrf_token": token})
            assert refused.status_code == 403 and "needs the admin role" in refused.text, (role, path)
    assert _rows(db) == {}
