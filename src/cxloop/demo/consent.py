"""What each demo customer said about being contacted for research (surveys): consent changes over time."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from cxloop.governance.purposes import Purpose

SMS_OPT_IN_SHARE = 0.4  # customers who ticked "text me about my orders and surveys" at sign-up
EMAIL_OPT_OUT_SHARE = 0.03  # customers who later unsubscribe from survey emails


@dataclass(frozen=True, slots=True)
class ConsentPlan:
    """What a customer said about being contacted for research: an SMS opt-in, and maybe a later email opt-out."""

    sms_opt_in: datetime | None
    email_opt_out: datetime | None

    def states(self, at: datetime) -> dict[tuple[str, str], bool]:
        found: dict[tuple[str, str], bool] = {}
        if self.sms_opt_in is not None and self.sms_opt_in <= at:
            found[(Purpose.research.value, "sms")] = True
        if self.email_opt_out is not None and self.email_opt_out <= at:
            found[(Purpose.research.value, "email")] = False
        return found


def consent_plan(seed: int, external_id: str, signup: datetime, end: datetime) -> ConsentPlan:
    rng = random.Random(f"cxloop-demo/{seed}/consent/{external_id}")
    sms = signup if rng.random() < SMS_OPT_IN_SHARE else None
    opt_out = None
    if rng.random() < EMAIL_OPT_OUT_SHARE and end > signup + timedelta(days=20):
        opt_out = signup + (end - signup) * rng.uniform(0.1, 0.9)
    return ConsentPlan(sms, opt_out)
