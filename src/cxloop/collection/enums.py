from enum import StrEnum


class Channel(StrEnum):
    """Where a response or feedback item came in."""

    web = "web"  # website widget
    in_app = "in_app"  # in-product widget
    link = "link"  # hosted survey page
    email = "email"
    sms = "sms"
    support = "support"  # helpdesk tickets
    chat = "chat"
    social = "social"
    review = "review"
    kiosk = "kiosk"
    api = "api"


class FeedbackKind(StrEnum):
    """What sort of unstructured feedback an item is."""

    review = "review"
    social_post = "social_post"
    chat_transcript = "chat_transcript"
    call_transcript = "call_transcript"
    email = "email"
    note = "note"  # in-person note taken by staff
    other = "other"
