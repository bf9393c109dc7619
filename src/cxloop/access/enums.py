from enum import StrEnum


class Role(StrEnum):
    """What a user or API key may do. Each role includes everything the roles below it may do."""

    viewer = "viewer"  # read data and metrics
    agent = "agent"  # + send feedback, events and customers in (ingestion keys, support staff)
    analyst = "analyst"  # + configure surveys, journeys and segments
    admin = "admin"  # + manage users and API keys

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, other: "Role") -> bool:
        return self.rank >= other.rank


_RANKS = {Role.viewer: 0, Role.agent: 1, Role.analyst: 2, Role.admin: 3}


class Assignment(StrEnum):
    """How routing picks the owner of a new case inside a team."""

    round_robin = "round_robin"  # members in turn
    fewest_open = "fewest_open"  # the member with the fewest open cases
