"""Support chat transcripts for the demo, varied by ticket category and by how the chat went."""

from __future__ import annotations

import random

from cxloop.demo.phrases import lines_of

OPENERS: dict[str, tuple[str, ...]] = {
    "how_to": lines_of("""
        Hi, how do I set up a recurring order for our kitchen supplies?
        hello - is there a way to give my colleague approval rights without making them admin?
        Hi! Where can I see what we spent on cleaning products last quarter?
        Quick question, can we split one order across two delivery addresses?
    """),
    "bug": lines_of("""
        Hello, the basket keeps emptying itself when I go to checkout.
        Hi, the spend report shows a different total to our invoice.
        The mobile app logs me out every time I switch to another app, is this a known issue?
        hi the search doesn't find items we ordered last week
    """),
    "account": lines_of("""
        Hi there, I need to move our account to a new admin, our office manager left.
        Can you change the email address we log in with? We changed our domain.
        Hi, how do I remove a user who no longer works here?
    """),
    "billing": lines_of("""
        Hi, we've been charged twice this month, can you check please?
        Our card payment failed but the bank says everything is fine on their side.
        hi, the latest invoice is missing our VAT number and finance won't pay it like that
        Hello, I can't download last month's invoice since your billing update.
    """),
    "delivery": lines_of("""
        Hello, our order was due yesterday and still hasn't arrived.
        Hi, the tracking has said 'out for delivery' for two days now.
        Our delivery arrived but two boxes are missing.
        hi, a box arrived crushed and the cleaning spray leaked everywhere
    """),
    "setup": lines_of("""
        Hi, our product import keeps failing and I don't know why.
        Hello, I'm trying to connect our accounting software and it keeps timing out.
        How do I set up budgets per department? The guide doesn't match what I see.
        hi, I can't get single sign-on to work for my team
    """),
}

# REPLIES[category][i] answers OPENERS[category][i].
REPLIES: dict[str, tuple[str, ...]] = {
    "how_to": lines_of("""
        Open the order, choose 'Make recurring' and pick the schedule - I've sent you a short guide too.
        Yes - under Team, give them the 'Approver' role; they won't see billing or settings.
        The Spend report lets you filter by category and date range, and you can export it as CSV.
        You can, at checkout choose 'Split delivery' and pick the second address for the items you want.
    """),
    "bug": lines_of("""
        Sorry about that. I've cleared a stuck session on your account, can you try again now?
        Thanks for flagging it. The report was counting a cancelled order; I've corrected it and logged a bug.
        That's a known issue in the current version; a fix ships this week. Until then, staying logged in works.
        I've rebuilt the search index for your account, it should find everything now.
    """),
    "account": lines_of("""
        No problem, I've sent the invite to the new admin. Once they accept I'll transfer ownership.
        Done - the new address is active, and you'll get a confirmation email in a minute.
        You can do it under Team > Members, but I've removed them for you now.
    """),
    "billing": lines_of("""
        I can see the duplicate payment. I've issued a refund, it'll show in 3-5 working days.
        It's on our side - the new billing system rejected some cards. I've retried the payment and it went through.
        I've added the VAT number and re-issued the invoice, it's in your inbox now.
        The invoice archive moved to Billing > Documents after the update; I've emailed you last month's copy.
    """),
    "delivery": lines_of("""
        I'm sorry, the carrier missed the slot. It's on the van today and I've refunded the delivery fee.
        I've chased the carrier - it's at the local depot and will be with you tomorrow morning.
        So sorry about that. I'm sending the missing boxes today at no charge.
        Apologies - I've booked a replacement for tomorrow and you don't need to return the damaged box.
    """),
    "setup": lines_of("""
        The file has a date column in the wrong format. I've fixed it and re-run the import for you.
        The connection needs an API token from your accounting software; I've sent the steps, it takes a minute.
        Budgets are under Settings > Spend controls now - the guide is out of date, sorry, I'll get it updated.
        Your identity provider needs our new certificate. I've sent it over with instructions.
    """),
}

HOLDING = lines_of("""
    Hi {first}, thanks for waiting. Let me take a look.
    Hello {first}, sorry for the wait! Checking that for you now.
    Hi {first}, I can help with that. One moment please.
    Thanks {first}, give me a minute to look into your account.
""")

CLOSINGS = {
    "happy": lines_of("""
        Perfect, thanks so much!
        Great, thank you {agent}.
        That worked, cheers.
        Brilliant, that was quick. Thanks!
        amazing thank you
    """),
    "unhappy": lines_of("""
        Ok. This should not have taken this long.
        Fine, but I've had to chase this twice now.
        Still not really fixed but ok.
        I've explained this three times already, please make sure it doesn't happen again.
        ok whatever, thanks
    """),
}


def transcript(rng: random.Random, *, category: str, first: str, agent: str, happy: bool) -> str:
    """A short chat between the customer (`first`) and a Larkspur agent about a ticket of `category`."""
    exchange = rng.randrange(len(OPENERS[category]))
    lines = [f"{first}: {OPENERS[category][exchange]}"]
    lines.append(f"{agent} (Larkspur): {rng.choice(HOLDING).format(first=first)}")
    if not happy and rng.random() < 0.6:
        lines.append(f"{first}: {rng.choice(('hello?', 'Are you still there?', 'Any update?'))}")
        lines.append(f"{agent} (Larkspur): Sorry, still here - just checking with the team.")
    lines.append(f"{agent} (Larkspur): {REPLIES[category][exchange]}")
    lines.append(f"{first}: {rng.choice(CLOSINGS['happy' if happy else 'unhappy']).format(agent=agent)}")
    return "\n".join(lines)
