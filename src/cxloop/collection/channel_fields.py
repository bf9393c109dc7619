"""Pydantic field types for the two uses of the one Channel vocabulary: the channels a response comes in on, and
the channels an invitation goes out on. A refused value gets the same 422 wording as a plain enum field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from cxloop.collection.enums import INVITATION_CHANNELS, RESPONSE_CHANNELS, Channel


def _among(allowed: Sequence[Channel]) -> Callable[[object], Channel]:
    values = [channel.value for channel in allowed]
    expected = ", ".join(f"'{value}'" for value in values[:-1]) + f" or '{values[-1]}'"

    def check(value: object) -> Channel:
        if isinstance(value, str) and value in values:
            return Channel(value)
        raise PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})

    return check


ResponseChannel = Annotated[
    Channel,
    PlainValidator(_among(RESPONSE_CHANNELS)),
    WithJsonSchema({"type": "string", "enum": [c.value for c in RESPONSE_CHANNELS]}),
]
InvitationChannel = Annotated[
    Channel,
    PlainValidator(_among(INVITATION_CHANNELS)),
    WithJsonSchema({"type": "string", "enum": [c.value for c in INVITATION_CHANNELS]}),
]
