"""Fragments the demo composes customer comments from, by theme and tone (all written for cxloop).

Each theme has banks: `neg` / `pos` (full sentences), `neg_<facet>` (what exactly went wrong, e.g. `neg_late`),
`brief_neg` / `brief_pos` (a few words) and `wish` (a suggestion from a lukewarm customer). Placeholders
({late}, {wait}, {agent}, {feature}, {transfers}, {reopens}, {setup}) are filled from what happened; a fragment whose
placeholder has no value is never chosen. Every fragment of a theme mentions that theme in words
(`THEME_PATTERNS`), which the tests check.
"""

from __future__ import annotations

import re


def lines_of(block: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in block.strip().splitlines() if line.strip())


THEMES = (
    "billing",
    "onboarding",
    "delivery",
    "support_wait",
    "support_resolution",
    "product_quality",
    "pricing",
    "ease_of_use",
    "agent_praise",
)

# What a comment on each theme always mentions; analysts' theme detection should find at least this much.
THEME_PATTERNS: dict[str, re.Pattern[str]] = {
    "billing": re.compile(r"bill|invoic|charg|payment|card|refund|credit note|direct debit", re.I),
    "onboarding": re.compile(
        r"set ?up|setting up|onboard|import|getting started|get started|configur|sso|up and running|invit", re.I
    ),
    "delivery": re.compile(r"deliver|arriv|parcel|driver|tracking|box|shipping|order came|turned up", re.I),
    "support_wait": re.compile(r"wait|repl|respon|hold|got back|answer|picked up|hours?|days?|minutes", re.I),
    "support_resolution": re.compile(r"transfer|passed|reopen|fix|solved|resolv|explain|chase|same issue|agent", re.I),
    "product_quality": re.compile(r"bug|crash|break|broke|slow|reliab|glitch|error|work|update|stable|load", re.I),
    "pricing": re.compile(r"pric|expensive|cost|fee|value|cheap|money|penny|discount|pay", re.I),
    "ease_of_use": re.compile(r"easy|intuitive|click|simple|navigat|find|use|interface|training|confus", re.I),
    "agent_praise": re.compile(r"\{agent\}|thank|helpful|brilliant|great job|above and beyond|patien|knows", re.I),
}

FRAGMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "billing": {
        "neg": lines_of("""
            We were charged twice for the same month and it took three emails to get a refund.
            Since the new billing system went live our invoices no longer match our orders.
            My card was declined even though nothing changed on our side.
            The invoice PDF is missing our VAT number again.
            Got a payment failed email for an invoice we had already paid.
            Our finance team spends hours every month reconciling your invoices.
            There was a surprise charge on the account that nobody could explain.
            The switch to the new billing portal lost our saved card details.
            The direct debit failed twice and we got locked out of ordering.
            I can't download past invoices since the billing update.
            The payment page kept erroring out when I tried to update our card.
            Credit notes take forever to show up on the account.
            Billing support keeps telling me the refund is on its way.
            We got three reminder emails for one invoice, and it was already paid.
            Why does every invoice come with a different due date now?
            After the billing change our purchase order numbers vanished from the invoices.
        """),
        "brief_neg": lines_of("""
            billing issues again
            double charged
            invoices are wrong
            fix the billing please
            payment problems
            sort out your invoicing
        """),
        "pos": lines_of("""
            Invoices are clear and match what we ordered.
            Billing has been painless, everything on one monthly invoice.
            I love that I can download all invoices in one go for our accountant.
            The billing team fixed a duplicate charge within a day.
            Payments just work, never had to think about it.
            Consolidated invoicing saves our finance team a lot of time.
            Paying by card is quick and the receipts land straight in our accounting tool.
            The invoices finally show our cost centres, finance loves it.
        """),
        "brief_pos": lines_of("""
            easy billing
            clear invoices
            billing is simple
        """),
        "wish": lines_of("""
            It would help if invoices showed our purchase order numbers.
            Please let us pay invoices by bank transfer as well as card.
            A heads-up before a card payment fails would be nice.
            Could you send one combined invoice for all our sites?
        """),
    },
    "onboarding": {
        "neg": lines_of("""
            Setting up the account took far longer than we expected.
            Importing our product list failed several times with no useful error message.
            The setup guide skips steps, we had to work out approvals on our own.
            Connecting it to our accounting software during setup was a real struggle.
            Getting the team invited and permissions right took me a whole afternoon.
            I had no idea where to start after signing up, getting started was confusing.
            The onboarding emails were generic and didn't answer my questions.
            SSO configuration was confusing and the docs were out of date.
            It took {setup} to get everything set up.
            Too many setup steps before you can place a first order.
            the csv import kept rejecting our file
            Setting up budgets and cost centres was not intuitive at all.
            Our accountant had to help me with the setup, it shouldn't be that hard.
            The onboarding checklist said 5 minutes, it took me most of a day.
            Nobody told us we needed admin rights on our accounting system before the setup.
        """),
        "brief_neg": lines_of("""
            setup was painful
            hard to get started
            import kept failing
            onboarding needs work
        """),
        "pos": lines_of("""
            Setup took about ten minutes, really impressive.
            The onboarding call walked us through everything we needed.
            Importing our catalogue worked first time.
            Getting started was easy, the setup checklist is a great idea.
            We were up and running the same day.
            The setup wizard made connecting our accounting software simple.
            Inviting the team and setting permissions was straightforward.
            The onboarding specialist answered every question we had during setup.
            The import matched all our old product codes, no cleanup needed.
        """),
        "brief_pos": lines_of("""
            easy setup
            quick to get started
            smooth onboarding
        """),
        "wish": lines_of("""
            A short setup video would have saved me some time.
            The import could tell you which row is wrong instead of failing.
            An onboarding call for smaller customers would be great.
            Let us invite the whole team at once during setup instead of one by one.
        """),
    },
    "delivery": {
        "neg_late": lines_of("""
            Our order arrived {late} late and nobody told us.
            Delivery was late again, the second time this month.
            Tracking said delivered but the box turned up {late} later.
            We ran out of coffee at the office because the delivery slipped by {late}.
            The delivery window keeps moving with no notice.
            Estimated delivery dates mean nothing at this point.
            Next-day delivery turned into {late} of extra waiting for the parcel.
            Had to ring around because the order was {late} late and the tracking never moved.
            The delivery was promised for Monday and turned up {late} later.
            late delivery and no update on the tracking
        """),
        "neg_damaged": lines_of("""
            The parcel arrived damaged, a cleaning spray had leaked over everything.
            Half the boxes were crushed when they arrived.
            The driver left everything outside in the rain.
            Glass items arrived broken, badly packed box.
        """),
        "neg": lines_of("""
            Half the order was missing from the delivery.
            Deliveries have become unreliable lately.
            The driver couldn't find our office and left without delivering.
            Items were swapped for substitutes in the delivery without asking us.
            The delivery came in three separate boxes on three different days.
        """),
        "brief_neg": lines_of("""
            late delivery
            delivery delays
            parcel arrived late
            where is my delivery
        """),
        "pos": lines_of("""
            Delivery was on time as always.
            Everything arrived the next morning, well packed.
            The driver was friendly and put the boxes right where we needed them.
            Tracking updates were spot on.
            Deliveries have been reliable, we never run out of supplies.
            The order came earlier than promised.
            The driver even carried the boxes up to the second floor for us.
            Never had a delivery go missing in all the time we've used you.
        """),
        "brief_pos": lines_of("""
            fast delivery
            on time delivery
            quick shipping
            arrived next day
        """),
        "wish": lines_of("""
            A text message when the driver is close would help with deliveries.
            Please let us choose a delivery time slot.
            Being able to leave delivery instructions for the driver would help a lot.
        """),
    },
    "support_wait": {
        "neg": lines_of("""
            I waited {wait} for a reply to a simple question.
            Support takes forever to answer.
            It took {wait} before anyone even looked at my ticket.
            Response times from support are far too slow.
            Waiting on hold for ages is not acceptable on a paid plan.
            Nobody got back to me for {wait}.
            The chat says a few minutes but it was more like {wait} of waiting.
            We needed an answer that day and got it the next.
            I chased my ticket three times and still waited {wait} for a real reply.
            A simple question shouldn't mean waiting {wait} on hold.
        """),
        "brief_neg": lines_of("""
            slow support response
            waited hours for support
            support never answers
        """),
        "pos": lines_of("""
            Support answered within minutes.
            Got a reply really quickly, much faster than I expected.
            Quick response from the support team.
            Didn't have to wait at all, someone picked up straight away.
            The chat reply came in under five minutes.
            Support got back to me the same morning.
        """),
        "pos_improved": lines_of("""
            Support response times have improved a lot lately.
            Much quicker answers from support these days.
            Whatever you changed in support, it shows - the replies are fast now.
        """),
        "brief_pos": lines_of("""
            quick response
            fast reply
            no waiting
        """),
        "wish": lines_of("""
            Longer support hours would help, we often need answers in the evening.
            Tell us how long the wait is when we open a chat.
            A callback option instead of waiting on hold would be great.
        """),
    },
    "support_resolution": {
        "neg_transfer": lines_of("""
            I was passed between {transfers} different people and had to explain the issue every time.
            Got transferred {transfers} times before someone could help.
            Each new agent asked me the same questions again after the transfer.
            Bounced around between teams, nobody owned the problem and I had to explain it again.
            Billing sent me to logistics, logistics sent me back to billing - I was passed around {transfers} times.
        """),
        "neg_reopen": lines_of("""
            The ticket was closed but the problem wasn't fixed, I had to reopen it.
            Had to reopen the ticket {reopens}, the same issue keeps coming back.
            The first fix didn't work and I had to chase it up.
            They marked it solved without checking with me, so I reopened it.
            The issue was closed as fixed but came back the next day, so the ticket had to be reopened {reopens}.
        """),
        "neg": lines_of("""
            The agent was polite but couldn't actually fix anything.
            I felt like the agent didn't read my message properly.
            Still not resolved after several emails.
            I got a copy-paste answer that had nothing to do with my question, so it wasn't fixed.
        """),
        "brief_neg": lines_of("""
            not fixed
            transferred too many times
            had to reopen the ticket
        """),
        "pos": lines_of("""
            Fixed on the first try, no back and forth.
            The problem was solved in one conversation.
            They resolved it properly and followed up to check it was fixed.
            Whoever handled my case explained the fix and it hasn't come back since.
        """),
        "brief_pos": lines_of("""
            solved quickly
            fixed first time
        """),
        "wish": lines_of("""
            Keeping one agent on a ticket would save explaining it again.
            Tell us who owns the ticket so we don't get transferred around.
        """),
    },
    "product_quality": {
        "neg_outage": lines_of("""
            The platform was down for most of the week, nothing worked and we couldn't place a single order.
            During the outage nothing worked and nobody told us what was going on.
            Last week's outage left our office without supplies for days, the site just kept erroring.
            The site went down in the middle of our monthly order and took days to work again.
            Your outage broke our approval flow for a whole week.
        """),
        "neg": lines_of("""
            The app crashes when I try to export reports.
            Search results are often wrong, I can't find items I ordered last week, it feels broken.
            The {feature} feature is buggy.
            Things break after every update.
            The mobile app logs me out constantly, very buggy.
            Orders sometimes disappear from the basket before checkout, some kind of bug.
            Pages are slow to load, especially the order history.
            Approval notifications don't always arrive, so orders get stuck with an error.
            Reports show different totals than the invoices, looks like a bug.
            The app has been really slow since the last update.
            Every other week something breaks in the approval flow.
            Budget alerts fire for orders that were cancelled, some kind of glitch.
        """),
        "brief_neg": lines_of("""
            too many bugs
            app keeps crashing
            slow and buggy
        """),
        "pos": lines_of("""
            The product is solid, I rarely see a bug.
            {feature} works really well for us.
            Recent updates made it much faster.
            Very reliable, it just works.
            The mobile app works great for ordering on the go.
            Recurring orders work like a charm, a real lifesaver.
            Haven't had a single glitch since we started, very stable.
            The new update to {feature} is a big improvement.
        """),
        "brief_pos": lines_of("""
            reliable product
            works well
            stable and fast
        """),
        "wish": lines_of("""
            Would love an update that makes the order history load faster.
            A dark mode in the mobile app update would be nice.
            Please make {feature} work with our ERP too.
        """),
    },
    "pricing": {
        "neg": lines_of("""
            It's getting expensive for a small business like ours.
            The price went up but the service didn't get any better.
            Delivery fees on small orders add up quickly, the cost is hard to justify.
            Too pricey compared to what we used before.
            It would be nice to have a cheaper plan for teams our size.
            Hard to justify the price of the growth plan.
            The per-seat pricing punishes us for adding people.
            For what we order, the monthly fee costs more than it saves us.
            Your prices crept up three times this year.
        """),
        "brief_neg": lines_of("""
            too expensive
            price keeps going up
            overpriced
        """),
        "pos": lines_of("""
            Good value for money.
            Prices are fair and we save on bulk orders.
            Worth every penny.
            The volume discounts make a real difference for us.
            We pay less than with our old supplier and get a better service for the money.
            The growth plan pays for itself with the time it saves.
        """),
        "brief_pos": lines_of("""
            great value
            fair prices
        """),
        "wish": lines_of("""
            A discount for annual payment would make the price easier to accept.
            Free delivery above a lower order value would be great.
            Pricing for multi-site businesses would help us a lot.
        """),
    },
    "ease_of_use": {
        "neg": lines_of("""
            The interface is cluttered and hard to navigate.
            It takes too many clicks to reorder the usual stuff.
            Finding old orders is harder than it should be.
            Not very intuitive, my colleagues keep asking me how to do things.
            The approval flow is confusing for new staff.
            I still can't find where to change our delivery address, very confusing.
            The mobile app is hard to use on a small screen.
        """),
        "brief_neg": lines_of("""
            hard to use
            confusing interface
            too many clicks
        """),
        "pos": lines_of("""
            So easy to use, the whole team picked it up without training.
            Reordering our usual supplies takes seconds, very easy.
            Clean and simple interface.
            Everything is where you expect it to be, easy to find.
            Saves me hours every month compared to ordering by email, so simple to use.
            Budgets and approvals are easy to manage.
            New starters can place orders on day one without any training.
            Love how simple it is to find what we ordered last time.
        """),
        "brief_pos": lines_of("""
            easy to use
            simple and intuitive
            super easy
        """),
        "wish": lines_of("""
            A quick reorder button on the home page would make it even easier to use.
            Let us find orders by purchase order number.
            Please add keyboard shortcuts, the interface would be so much quicker to use.
        """),
    },
    "agent_praise": {
        "pos": lines_of("""
            {agent} was brilliant, sorted everything in one go.
            Huge thanks to {agent} for the patience.
            {agent} from support went above and beyond.
            Shout out to {agent}, really knows their stuff.
            {agent} explained everything clearly and followed up the next day, thank you.
            Please tell {agent} they did a great job.
            {agent} was super helpful
            {agent} stayed on the chat until it was sorted, thank you.
            Big thanks to {agent} who sorted our problem out in minutes.
            {agent} was patient with all my questions.
            Special mention for {agent} - friendly, quick and actually knows the product.
        """),
        "brief_pos": lines_of("""
            {agent} was great, thanks
            thank you {agent}!
            {agent} = legend, very helpful
        """),
    },
}

OPENINGS: dict[str, tuple[str, ...]] = {
    "neg": lines_of("""
        Honestly,
        Not impressed.
        Disappointed.
        Frustrating experience.
        Where do I start.
        Really not happy.
        Sorry but
        Ugh.
        To be honest
        I've had enough.
        Not good.
    """),
    "mixed": lines_of("""
        It's ok.
        Mostly fine.
        Decent overall.
        Mixed bag.
        Not bad.
        Could be better.
        Generally good.
    """),
    "pos": lines_of("""
        Great!
        Love it.
        Really happy so far.
        Excellent service.
        Very pleased.
        Fantastic.
        So far so good!
        Thank you!
        Brilliant.
    """),
}

CLOSINGS: dict[str, tuple[str, ...]] = {
    "neg": lines_of("""
        Please fix this.
        We are looking at other options.
        We expect better.
        If this continues we'll go elsewhere.
        Not what we signed up for.
        Very disappointing.
    """),
    "mixed": lines_of("""
        Overall fine though.
        Hope it improves.
        Otherwise no complaints.
        Still, we'll stick with you for now.
    """),
    "pos": lines_of("""
        Keep it up!
        Would recommend.
        Thanks team!
        Already recommended you to a friend.
        10/10
        Happy customer here.
    """),
}

# Replies that say nothing; real survey data is full of them.
NOTHING_TO_SAY = lines_of("""
    n/a
    no
    nothing
    -
    .
    nothing to add
    no comment
    ok
    fine
    all good
""")

# Context a writer adds about themselves (the "detail" part of a comment); numbers are filled per comment.
DETAILS = lines_of("""
    We order for {sites} sites.
    We're a team of {team}.
    Customer for {years} years now.
    Third time this has happened, at least {count} if I count the small ones.
    About {team} people here use it.
    Order {order}, if that helps.
    (ordering for {sites} offices)
    I look after supplies for {team} staff.
""")

MIXED_JOINERS = (", but ", ". However, ", ". Only thing: ", ". That said, ", " - but ")
