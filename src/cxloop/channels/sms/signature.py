"""Twilio's webhook signature (`X-Twilio-Signature`), computed the way Twilio documents it:

1. take the full URL Twilio requested (scheme, host, path and query string, exactly as configured in Twilio);
2. append each POST parameter sorted by name (case-sensitive, byte order): the name, then its value(s), sorted,
   with no separators;
3. HMAC-SHA1 that string with the account's auth token, and base64-encode the digest.

Twilio may or may not include the default port (443/80) in the URL it signs, so both forms are accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit


def compute(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """The signature Twilio sends for a POST of `params` to `url`."""
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    payload = url + "".join(name + value for name in sorted(grouped) for value in sorted(grouped[name]))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as given, plus the same with its default port added or removed."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if default is None or parts.hostname is None:
        return [url]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    if parts.port is None:
        other = parts._replace(netloc=f"{prefix}{host}:{default}")
    elif parts.port == default:
        other = parts._replace(netloc=f"{prefix}{host}")
    else:
        return [url]
    return [url, urlunsplit(other)]


def is_valid(url: str, params: Iterable[tuple[str, str]], auth_token: str, signature: str) -> bool:
    """Whether `signature` is Twilio's for this request (compared in constant time)."""
    pairs = list(params)
    return any(
        hmac.compare_digest(compute(candidate, pairs, auth_token).encode(), signature.encode())
        for candidate in _url_variants(url)
    )
