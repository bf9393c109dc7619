"""Phone numbers are checked against libphonenumber's metadata and stored in E.164."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from cxloop.core.config import Settings
from cxloop.customers import phones
from cxloop.customers.schemas import CustomerUpsert


@pytest.fixture
def region() -> Iterator[None]:
    phones.configure("GB")
    yield
    phones.configure(None)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("+44 20 7946 0000", "+442079460000"),
        ("+1 (201) 555-0123", "+12015550123"),
        ("0049 151 23456789", "+4915123456789"),
        ("  +33 6 12 34 56 78 ", "+33612345678"),
    ],
)
def test_numbers_with_a_country_code_are_stored_in_e164(written: str, stored: str) -> None:
    assert phones.normalise_phone(written) == stored


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("020 7946 0000", "needs its country code"),
        ("+1555", "not a valid phone number for its country"),
        ("+15550100", "not a valid phone number for its country"),
        ("+call me", "is not a phone number"),
    ],
)
def test_bad_numbers_say_why(written: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        phones.normalise_phone(written)


def test_a_default_region_reads_national_numbers(region: None) -> None:
    assert phones.normalise_phone("020 7946 0000") == "+442079460000"
    assert phones.normalise_phone("+1 201 555 0123") == "+12015550123"  # a country code still wins


def test_the_api_schema_names_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        CustomerUpsert(external_id="a", phone="+1555")
    assert caught.value.errors()[0]["loc"] == ("phone",)
    assert CustomerUpsert(external_id="a", phone="+44 20 7946 0000").phone == "+442079460000"


def test_the_region_setting_is_checked() -> None:
    assert Settings(default_phone_region="gb").default_phone_region == "GB"
    with pytest.raises(ValidationError, match="country code such as"):
        Settings(default_phone_region="XX")
