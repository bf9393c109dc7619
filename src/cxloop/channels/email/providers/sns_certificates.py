"""Amazon SNS message signatures (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html).

SNS signs a canonical string of the message's fields ("Name\\nvalue\\n" for each, in a fixed order) with RSA:
SignatureVersion 1 over SHA1, 2 over SHA256. The signing certificate is fetched from `SigningCertURL`, which must
match CXLOOP_SES_SNS_URL_PATTERN (by default https on an sns.<region>.amazonaws.com host), so a forged message
cannot bring its own certificate. Certificates are kept in memory by URL: SNS uses few, and rotates them rarely.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cxloop.channels.webhook_errors import WebhookNotAuthentic

TIMEOUT_SECONDS = 5.0
MAX_CERTIFICATE_BYTES = 64 * 1024
_MAX_CACHED = 32
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}

_cache: dict[str, x509.Certificate] = {}
_lock = threading.Lock()


def canonical_fields(kind: str) -> tuple[str, ...]:
    """The fields SNS signs for a message type, in order (Subject only when the message has one)."""
    return _SIGNED_FIELDS[kind]


def canonical_string(message: Mapping[str, str]) -> str:
    """What SNS signs: each signed field present in the message, as name, newline, value, newline."""
    fields = _SIGNED_FIELDS[message["Type"]]
    return "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)


def allowed_url(url: str, pattern: str) -> bool:
    return re.match(pattern, url) is not None


def _fetch(url: str) -> x509.Certificate:
    request = urllib.request.Request(url, headers={"Accept": "application/x-pem-file"})  # noqa: S310 - pattern-checked
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310
            pem = reply.read(MAX_CERTIFICATE_BYTES + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise WebhookNotAuthentic(f"the SNS signing certificate could not be fetched from {url}: {exc}") from exc
    if len(pem) > MAX_CERTIFICATE_BYTES:
        raise WebhookNotAuthentic(f"the SNS signing certificate at {url} is larger than {MAX_CERTIFICATE_BYTES} bytes")
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise WebhookNotAuthentic(f"{url} does not hold a PEM certificate") from exc


def certificate(url: str) -> x509.Certificate:
    """The certificate at `url` (checked against the pattern by the caller), fetched once per process."""
    with _lock:
        cached = _cache.get(url)
    if cached is not None:
        return cached
    fetched = _fetch(url)
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[url] = fetched
    return fetched


def verify(message: Mapping[str, str], *, url_pattern: str, now: datetime) -> None:
    """WebhookNotAuthentic unless `message` carries a valid SNS signature from an allowed certificate URL."""
    version = message.get("SignatureVersion", "")
    if version not in _HASHES:
        raise WebhookNotAuthentic(f"SignatureVersion must be 1 or 2, got '{version}'")
    url = message.get("SigningCertURL", "")
    if not allowed_url(url, url_pattern):
        raise WebhookNotAuthentic(f"SigningCertURL '{url}' is not an Amazon SNS address")
    try:
        signature = base64.b64decode(message.get("Signature", ""), validate=True)
    except binascii.Error as exc:
        raise WebhookNotAuthentic("Signature is not base64") from exc
    found = certificate(url)
    if not found.not_valid_before_utc <= now <= found.not_valid_after_utc:
        raise WebhookNotAuthentic("the SNS signing certificate is not valid now")
    key = found.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise WebhookNotAuthentic("the SNS signing certificate does not hold an RSA key")
    try:
        key.verify(signature, canonical_string(message).encode(), padding.PKCS1v15(), _HASHES[version]())
    except InvalidSignature as exc:
        raise WebhookNotAuthentic("the SNS signature does not match the message") from exc
