from enum import StrEnum


class SurveyStatus(StrEnum):
    """Life cycle of a survey."""

    draft = "draft"
    scheduled = "scheduled"
    live = "live"
    paused = "paused"
    closed = "closed"


class ResponseLimit(StrEnum):
    """How often one customer may answer a survey: the contact policy suppresses invitations beyond it."""

    once = "once"  # one response ever
    per_period = "per_period"  # one response per `response_period_days`, counted from the last answer
    per_invitation = "per_invitation"  # every invitation may be answered (each one stores a single response)


class QuestionKind(StrEnum):
    """What a question asks for and which answers are valid."""

    nps = "nps"  # integer 0-10
    csat = "csat"  # integer 1-5
    ces = "ces"  # integer 1-7
    rating = "rating"  # integer 1..scale (default 5)
    single_choice = "single_choice"  # one option key
    multiple_choice = "multiple_choice"  # a list of option keys
    text = "text"  # free text
