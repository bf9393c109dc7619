"""Phone numbers in E.164 (`+442079460000`), the one form SMS providers accept and inbound webhooks send, so a
customer's stored number matches the `From` of their replies. Checked with `phonenumbers` (Google's libphonenumber
metadata): a number must be valid for its country, not merely digits."""

from __future__ import annotations

import phonenumbers

# Numbers written without a country code (`020 7946 0000`) are read as numbers of this region (ISO 3166 code, e.g.
# "GB"); None: a country code is required. Set from CXLOOP_DEFAULT_PHONE_REGION by `wiring.wire_domains`.
_default_region: str | None = None


def configure(region: str | None) -> None:
    global _default_region
    _default_region = region


def normalise_phone(value: str) -> str:
    """The number in E.164; ValueError with the reason in plain words."""
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    if not text.startswith("+") and _default_region is None:
        raise ValueError("needs its country code, e.g. +44 20 7946 0000 (or set CXLOOP_DEFAULT_PHONE_REGION)")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else _default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number for its country")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
