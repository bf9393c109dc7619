"""Confirming an Amazon SNS subscription: one GET of the SubscribeURL SNS sent, signed, in its
SubscriptionConfirmation. It leaves the process, so it is not made by the webhook: the webhook writes an outbox
event, and the worker makes the request with no transaction open (channels/email/tasks.py)."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request

from cxloop.channels.email.providers import sns_certificates

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10.0


class ConfirmationFailed(Exception):
    """SNS could not be reached or refused the confirmation; the job is retried."""


def confirm(subscribe_url: str, *, topic_arn: str, url_pattern: str) -> None:
    """GET the SubscribeURL (again checked against CXLOOP_SES_SNS_URL_PATTERN); confirming twice is harmless."""
    if not sns_certificates.allowed_url(subscribe_url, url_pattern):
        log.warning("SNS subscription of %s not confirmed: %s is not an SNS address", topic_arn, subscribe_url)
        return
    try:
        with urllib.request.urlopen(subscribe_url, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310 - pattern-checked
            reply.read(64 * 1024)
    except (urllib.error.URLError, OSError) as exc:
        raise ConfirmationFailed(f"confirming the SNS subscription of {topic_arn} failed: {exc}") from exc
    log.info("confirmed the SNS subscription of %s", topic_arn)
