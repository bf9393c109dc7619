"""Why the organisation contacts a customer: the one registry of contact purposes. Consent and opt-outs are
recorded per purpose (and channel), and every send declares its purpose, so an opt-out from surveys does not
silence a follow-up the customer asked for, and the other way round."""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    research = "research"  # survey invitations, their reminders and in-product prompts
    follow_up = "follow_up"  # messages that close the loop with the customer (case follow-ups)


EVERY_PURPOSE = "*"  # a consent row on '*' covers every purpose
DESCRIPTIONS: dict[str, str] = {
    Purpose.research: "surveys: invitations, reminders and in-product prompts",
    Purpose.follow_up: "follow-up messages that close the loop on your feedback",
    EVERY_PURPOSE: "every message",
}
NAMES: tuple[str, ...] = (*(p.value for p in Purpose), EVERY_PURPOSE)
