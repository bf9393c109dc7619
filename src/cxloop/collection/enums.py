from enum import StrEnum


class Channel(StrEnum):
    """The one channel vocabulary: where a response or feedback item came in, and where an invitation goes out
    (INVITATION_CHANNELS). What each channel needs to be contacted is in governance.channels."""

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
    widget = "widget"  # a proactive prompt in the web or in-app widget (invitations; its answers come in as web/in_app)


# Channels an invitation can go out on, and channels a response or feedback item can come in on.
INVITATION_CHANNELS = (Channel.email, Channel.sms, Channel.link, Channel.widget)
RESPONSE_CHANNELS = tuple(channel for channel in Channel if channel is not Channel.widget)


class FeedbackKind(StrEnum):
    """What sort of unstructured feedback an item is."""

    review = "review"
    social_post = "social_post"
    chat_transcript = "chat_transcript"
    call_transcript = "call_transcript"
    email = "email"
    note = "note"  # in-person note taken by staff
    other = "other"
