"""The invitation SMS: the survey's first question in the customer's locale, how to answer it by reply ("Reply
0-10"), the link to the hosted page, and how to opt out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cxloop.channels import catalogue
from cxloop.channels import messaging_content as content


def invitation_text(
    definition: Mapping[str, Any],
    *,
    default_locale: str,
    locale: str | None,
    survey_link: str,
    reminder: bool = False,
    organisation: str | None = None,
) -> str:
    """The text of an invitation (or its reminder), opening with the organisation's name when it is set (an SMS
    from an unknown number must say who is asking)."""
    chosen = content.survey_locale(definition, locale, default_locale)
    words = catalogue.words("sms", chosen)
    question = content.first_question(definition, chosen, default_locale)
    first = f"{words['reminder']} {question.text}" if reminder else question.text
    if organisation:
        first = f"{organisation}: {first}"
    if question.numeric:
        how = f"{words['reply_scale'].format(low=question.low, high=question.high)} "
        how += words["or_link"].format(link=survey_link)
    else:  # a choice or text question cannot be answered with a number: the page asks it
        how = words["answer_at_link"].format(link=survey_link)
    return "\n".join([first, how, words["reply_stop"]])
