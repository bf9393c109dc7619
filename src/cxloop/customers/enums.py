from enum import StrEnum


class OutcomeKind(StrEnum):
    """A business outcome recorded for a customer or an account."""

    churned = "churned"  # the customer or account left; `occurred_on` is the churn date
    renewed = "renewed"  # a renewal; `value` is the renewed amount when known
    revenue = "revenue"  # revenue booked on `occurred_on`; `value` is the amount
    lifetime_value = "lifetime_value"  # the current estimate of lifetime value; `value` is the amount
