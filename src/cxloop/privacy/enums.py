from enum import StrEnum


class RetentionAction(StrEnum):
    """What a retention policy does with rows older than its keep period."""

    delete = "delete"
    anonymise = "anonymise"  # keep scores and timestamps, drop text, metadata and the customer link


class ExportFormat(StrEnum):
    json = "json"
    text = "text"
