from cxloop.core.errors import Conflict, FieldError, InvalidInput, NotFound


class CustomerNotFound(NotFound):
    """No customer with that id or external id."""


class AccountNotFound(NotFound):
    """No account with that id or external id."""


class SegmentNotFound(NotFound):
    """No segment with that id or key."""


class CustomerConflict(Conflict):
    """A customer with that external id exists already."""


class AccountConflict(Conflict):
    """An account with that external id exists already."""


class SegmentConflict(Conflict):
    """A segment with that key exists already."""


class InvalidFilter(InvalidInput):
    """A segment filter that does not parse or type-check; `column` is 1-based (docs/segments.md)."""

    def __init__(self, reason: str, *, column: int, field: str = "filter") -> None:
        self.column = column
        self.reason = reason
        text = f"at column {column}: {reason}"
        super().__init__(f"the filter is not valid: {text}", errors=[FieldError(field, text)])
