"""The one Channel vocabulary in its two uses: a response never comes in on `widget`, an invitation never goes out on
`web`; refusals read like a plain enum's, and the OpenAPI schema lists only the allowed values."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from cxloop.collection.channel_fields import InvitationChannel, ResponseChannel
from cxloop.collection.enums import INVITATION_CHANNELS, RESPONSE_CHANNELS, Channel


def test_every_channel_is_used_and_the_two_uses_overlap_only_where_both_apply() -> None:
    assert set(INVITATION_CHANNELS) | set(RESPONSE_CHANNELS) == set(Channel)
    assert set(INVITATION_CHANNELS) & set(RESPONSE_CHANNELS) == {Channel.email, Channel.sms, Channel.link}


@pytest.mark.parametrize(
    ("field", "allowed", "refused"),
    [(ResponseChannel, RESPONSE_CHANNELS, "widget"), (InvitationChannel, INVITATION_CHANNELS, "web")],
)
def test_each_field_takes_its_channels_and_names_them_when_refusing(
    field: object, allowed: tuple[Channel, ...], refused: str
) -> None:
    adapter: TypeAdapter[Channel] = TypeAdapter(field)
    for channel in allowed:
        assert adapter.validate_python(channel.value) is channel
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(refused)
    (error,) = caught.value.errors()
    names = [f"'{c.value}'" for c in allowed]
    assert error["type"] == "enum"
    assert error["msg"] == f"Input should be {', '.join(names[:-1])} or {names[-1]}"
    assert adapter.json_schema() == {"type": "string", "enum": [c.value for c in allowed]}
