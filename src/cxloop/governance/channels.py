"""The channel registry: what each invitation channel needs before a customer may be contacted on it, and who sends
on it. Governance (consent, the contact policy), invitations, triggers and delivery read it instead of keeping their
own sets of channel names.

The facts of the shipped channels are declared here, so every process knows them without start-up wiring. The
sender is attached by the channel's package at start-up (`cxloop.channels.outbound.register_senders`, called by
`cxloop.wiring`), because a channel package sits far above governance and may not be imported from here. The
registry checks what it receives and is frozen after start-up (docs/development/adding-a-channel.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from cxloop.collection.enums import INVITATION_CHANNELS, Channel

MAX_CAP_WEIGHT = 10.0


@dataclass(frozen=True)
class ChannelSpec:
    """One invitation channel and the rules that apply to it."""

    channel: Channel
    address_field: str | None  # the customer's field holding the address ("email", "phone"); None: they come to us
    needs_opt_in: bool  # never used without an explicit opt-in (SMS); otherwise allowed until the customer opts out
    cap_weight: float  # what one contact on it counts towards the frequency cap, unless the policy says otherwise
    quiet_by_default: bool  # in the default policy's quiet-hours channels
    sender: object | None = None  # attached at start-up; a channels.outbound.Sender

    @property
    def addressed(self) -> bool:
        """Whether the channel reaches the customer on their address (it is sent), rather than them coming to it."""
        return self.address_field is not None


class ChannelRegistry:
    """Channel specs by channel. Validated at the door; frozen after start-up."""

    def __init__(self, specs: tuple[ChannelSpec, ...]) -> None:
        self._specs: dict[str, ChannelSpec] = {}
        self._frozen = False
        for spec in specs:
            self.declare(spec)

    def declare(self, spec: ChannelSpec) -> None:
        """Add a channel's spec."""
        self._check_open()
        if spec.channel not in INVITATION_CHANNELS:
            raise ValueError(f"{spec.channel!r} is not an invitation channel (collection.enums.INVITATION_CHANNELS)")
        if spec.channel.value in self._specs:
            raise ValueError(f"the channel {spec.channel.value!r} is declared already")
        if spec.address_field not in (None, "email", "phone"):
            raise ValueError(f"a channel's address is the customer's 'email' or 'phone', not {spec.address_field!r}")
        if not 0 <= spec.cap_weight <= MAX_CAP_WEIGHT:
            raise ValueError(f"the cap weight of {spec.channel.value!r} must be between 0 and {MAX_CAP_WEIGHT}")
        self._specs[spec.channel.value] = spec

    def attach_sender(self, channel: Channel, sender: object) -> None:
        """Set the sender of an addressed channel; attaching the same sender again does nothing."""
        spec = self.require(channel)
        if spec.sender is sender:
            return
        self._check_open()
        if not callable(sender):
            raise TypeError(f"the sender of {channel.value!r} must be callable")
        if not spec.addressed:
            raise ValueError(f"{channel.value!r} has no address to send to; customers come to it")
        if spec.sender is not None:
            raise ValueError(f"{channel.value!r} has a sender already")
        self._specs[channel.value] = replace(spec, sender=sender)

    def freeze(self) -> None:
        self._frozen = True

    def _check_open(self) -> None:
        if self._frozen:
            raise RuntimeError("the channel registry is frozen: declare channels and attach senders at start-up")

    def get(self, channel: str) -> ChannelSpec | None:
        return self._specs.get(channel)

    def require(self, channel: str) -> ChannelSpec:
        spec = self._specs.get(channel)
        if spec is None:
            raise KeyError(f"no channel {channel!r} is declared")
        return spec

    def __iter__(self) -> Iterator[ChannelSpec]:
        return iter(tuple(self._specs.values()))

    def names(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def addressed(self) -> frozenset[str]:
        """Channels sent to the customer's address (email, SMS): the ones the worker delivers."""
        return frozenset(spec.channel.value for spec in self if spec.addressed)

    def cap_weights(self) -> dict[str, float]:
        """Each channel's default weight in the frequency cap (a contact policy may set its own)."""
        return {spec.channel.value: spec.cap_weight for spec in self}

    def needing_opt_in(self) -> frozenset[str]:
        return frozenset(spec.channel.value for spec in self if spec.needs_opt_in)

    def quiet_by_default(self) -> list[str]:
        return [spec.channel.value for spec in self if spec.quiet_by_default]


registry = ChannelRegistry(
    (
        ChannelSpec(Channel.email, "email", needs_opt_in=False, cap_weight=1.0, quiet_by_default=False),
        ChannelSpec(Channel.sms, "phone", needs_opt_in=True, cap_weight=1.0, quiet_by_default=True),
        # The caller hands out a hosted link (it may never reach the customer, so it does not count); the widget
        # prompts the customer while they are in the product, which asks for their time like an email does.
        ChannelSpec(Channel.link, None, needs_opt_in=False, cap_weight=0.0, quiet_by_default=False),
        ChannelSpec(Channel.widget, None, needs_opt_in=False, cap_weight=1.0, quiet_by_default=False),
    )
)
