"""The channel registry: the shipped channels' facts, what governance reads from it, and validation at the door."""

from __future__ import annotations

import pytest

from cxloop.channels import outbound
from cxloop.collection.enums import INVITATION_CHANNELS, Channel
from cxloop.governance import consent, policy
from cxloop.governance.channels import ChannelRegistry, ChannelSpec, registry


def _spec(channel: Channel = Channel.email, **changes: object) -> ChannelSpec:
    fields: dict[str, object] = {
        "address_field": "email",
        "needs_opt_in": False,
        "cap_weight": 1.0,
        "quiet_by_default": False,
    }
    fields.update(changes)
    return ChannelSpec(channel, **fields)  # type: ignore[arg-type]


def test_every_invitation_channel_is_declared_once_and_governance_reads_the_registry() -> None:
    assert sorted(registry.names()) == sorted(c.value for c in INVITATION_CHANNELS)
    assert registry.addressed() == {"email", "sms"}
    # Prompts ask for the customer's time like an email does; a link the caller hands out may never reach them.
    assert registry.cap_weights() == {"email": 1.0, "sms": 1.0, "link": 0.0, "widget": 1.0}
    assert policy.weights(policy.ContactPolicy(channel_weights={"widget": 0.5})) == registry.cap_weights() | {
        "widget": 0.5
    }
    assert {"sms"} == consent.NEEDS_OPT_IN
    assert policy.DEFAULTS["quiet_channels"] == ["sms"]
    assert (registry.require("email").address_field, registry.require("sms").address_field) == ("email", "phone")


def test_every_addressed_channel_has_a_sender_after_start_up_and_no_other_has_one() -> None:
    outbound.register_senders()  # idempotent: done by wiring at start-up already
    for spec in registry:
        sender = outbound.sender_of(spec.channel)
        assert (sender is not None) == spec.addressed, spec.channel
        assert sender is spec.sender
    assert outbound.sender_of("pigeon") is None


def test_the_frozen_registry_refuses_changes_but_accepts_the_same_sender_again() -> None:
    outbound.register_senders()
    registry.freeze()
    email = registry.require("email")
    registry.attach_sender(Channel.email, email.sender)  # the same sender: nothing to change
    with pytest.raises(RuntimeError, match="frozen"):
        registry.attach_sender(Channel.email, lambda letter: letter)
    with pytest.raises(RuntimeError, match="frozen"):
        registry.declare(_spec(Channel.kiosk))


def test_declarations_and_senders_are_checked_at_the_door() -> None:
    fresh = ChannelRegistry((_spec(), _spec(Channel.link, address_field=None, cap_weight=0.0)))
    with pytest.raises(ValueError, match="declared already"):
        fresh.declare(_spec())
    with pytest.raises(ValueError, match="not an invitation channel"):
        fresh.declare(_spec(Channel.kiosk))
    with pytest.raises(ValueError, match="'email' or 'phone'"):
        fresh.declare(_spec(Channel.sms, address_field="fax"))
    with pytest.raises(ValueError, match="cap weight of 'widget' must be between 0 and 10"):
        fresh.declare(_spec(Channel.widget, address_field=None, cap_weight=-1.0))
    with pytest.raises(TypeError, match="callable"):
        fresh.attach_sender(Channel.email, "not a function")
    with pytest.raises(ValueError, match="customers come to it"):
        fresh.attach_sender(Channel.link, lambda letter: letter)
    fresh.attach_sender(Channel.email, print)
    with pytest.raises(ValueError, match="has a sender already"):
        fresh.attach_sender(Channel.email, repr)
    with pytest.raises(KeyError):
        fresh.require("sms")
