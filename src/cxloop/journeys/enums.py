from enum import StrEnum


class MetricKind(StrEnum):
    """The three standard CX scores."""

    nps = "nps"  # 0-10 likelihood to recommend
    csat = "csat"  # 1-5 satisfaction
    ces = "ces"  # 1-7 ease ("the company made it easy for me")
