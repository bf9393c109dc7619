"""Which prompt rule, if any, fits a page view: pure functions over a site snapshot (no database).

Sampling hashes the rule and the visitor (the customer's external id, or the anonymous id the browser keeps), so a
visitor sampled out stays out on every page and every server process, and a sampled-in one keeps being asked.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from cxloop.channels.widget.errors import OriginNotAllowed
from cxloop.channels.widget.service import RuleSnapshot, SiteSnapshot
from cxloop.core.clock import ensure_utc

ANY_ORIGIN = "*"


def check_origin(site: SiteSnapshot, origin: str | None) -> None:
    """OriginNotAllowed (403) unless the request comes from one of the site's origins."""
    if ANY_ORIGIN in site.allowed_origins:
        return
    if origin is None:
        raise OriginNotAllowed("the request has no Origin header; the widget only answers pages of the site")
    if origin.rstrip("/") not in site.allowed_origins:
        raise OriginNotAllowed(f"the origin {origin} is not allowed for this site; add it to its allowed_origins")


def fraction(*parts: object) -> float:
    """A stable number in [0, 1) for the parts."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def path_of(url: str) -> str:
    """The path of a page URL ('/' when it has none); a bare path is taken as it is."""
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"


@dataclass(frozen=True)
class Match:
    """The rule that fits, or why none does (`reason`)."""

    rule: RuleSnapshot | None
    reason: str | None = None


def match_rule(site: SiteSnapshot, *, url: str, event: str | None, seconds_on_page: int, visitor: str) -> Match:
    """The first rule (in order) whose page, event and time on page fit and that samples this visitor in.

    A page-view ask (no event) considers only rules without an event; `track(name)` only the rules for that name.
    """
    path = path_of(url)
    sampled_out = False
    for rule in site.rules:
        if rule.event != event:
            continue
        if rule.url_match and not fnmatchcase(path, rule.url_match):
            continue
        if seconds_on_page < rule.seconds_on_page:
            continue
        if fraction("widget-rule", rule.id, visitor) >= rule.sampling_rate:
            sampled_out = True
            continue
        return Match(rule)
    return Match(None, "sampled_out" if sampled_out else "no_matching_rule")


def anonymous_refusal(
    site: SiteSnapshot, *, visitor: str, last_prompted_at: datetime | None, now: datetime
) -> str | None:
    """Why an anonymous visitor may not be prompted now (None: they may): the site's cap and sampling."""
    if last_prompted_at is not None and now - ensure_utc(last_prompted_at) < timedelta(days=site.anonymous_cap_days):
        return "recently_prompted"
    if fraction("widget-anonymous", site.id, visitor) >= site.anonymous_sampling_rate:
        return "sampled_out"
    return None
