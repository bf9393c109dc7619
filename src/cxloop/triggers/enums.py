from enum import StrEnum


class TriggerKind(StrEnum):
    """What sets a rule off: an event being stored, or a date coming round."""

    event = "event"
    time = "time"


class ConditionOp(StrEnum):
    """Comparisons an event rule can make on a property of the event."""

    eq = "="
    ne = "!="
    gt = ">"
    ge = ">="
    lt = "<"
    le = "<="
    is_in = "in"
    not_in = "not in"
    exists = "exists"
