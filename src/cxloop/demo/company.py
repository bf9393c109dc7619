"""The shape of the demo organisation: who its customers are, which accounts they belong to, who serves them.

The demo company is "Larkspur", a workplace-supplies platform: businesses subscribe to its ordering software
(starter, growth or enterprise plan) and have office, pantry and cleaning supplies delivered. SMB customers are
one-person subscriptions billed monthly; enterprise customers are contacts of B2B accounts with annual contracts.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import phonenumbers

from cxloop.demo import names
from cxloop.demo.period import DemoPeriod, add_months, midnight

ENTERPRISE_SHARE = 0.36
PLAN_PRICES = {"starter": Decimal("49"), "growth": Decimal("149")}  # monthly, SMB


@dataclass(frozen=True, slots=True)
class Country:
    """Where a customer is, with a locale and time zones that fit."""

    code: str
    weight: float
    locale: str
    timezones: tuple[str, ...]
    domain: str
    remote: bool = False  # deliveries run late more often


COUNTRIES = (
    Country(
        "US",
        0.36,
        "en-US",
        ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"),
        "com",
    ),
    Country("GB", 0.17, "en-GB", ("Europe/London",), "co.uk"),
    Country("CA", 0.08, "en-CA", ("America/Toronto", "America/Vancouver", "America/Edmonton"), "ca"),
    Country("AU", 0.07, "en-AU", ("Australia/Sydney", "Australia/Melbourne", "Australia/Perth"), "com.au", True),
    Country("IE", 0.04, "en-IE", ("Europe/Dublin",), "ie"),
    Country("NZ", 0.02, "en-NZ", ("Pacific/Auckland",), "co.nz", True),
    Country("DE", 0.09, "de-DE", ("Europe/Berlin",), "de"),
    Country("NL", 0.07, "nl-NL", ("Europe/Amsterdam",), "nl"),
    Country("FR", 0.05, "fr-FR", ("Europe/Paris",), "fr"),
    Country("SE", 0.03, "sv-SE", ("Europe/Stockholm",), "se"),
    Country("ES", 0.02, "es-ES", ("Europe/Madrid",), "es"),
)
COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}

INDUSTRY_WEIGHTS = {
    "retail": 0.18,
    "hospitality": 0.17,
    "healthcare": 0.13,
    "professional_services": 0.17,
    "education": 0.08,
    "manufacturing": 0.09,
    "technology": 0.11,
    "logistics": 0.07,
}


@dataclass(frozen=True, slots=True)
class Traits:
    """Latent, never-stored facts about a customer that drive what happens to them and how they answer.

    `friction` (0-1) is how hard onboarding is for them (higher for SMB, who get no onboarding manager);
    `harshness` shifts every score they give; `fit` is how well the product suits them.
    """

    friction: float
    harshness: float
    fit: float
    activity: float  # feature uses per month
    ticket_rate: float  # support tickets per month
    order_rate: float  # orders per month
    responsiveness: float  # base chance of answering a survey
    talkativeness: float  # chance of leaving a comment when answering


@dataclass(slots=True)
class DemoAccount:
    """A B2B account (enterprise segment) whose contacts are customers."""

    external_id: str
    name: str
    industry: str
    country: Country
    company_size: str
    plan: str
    arr: Decimal
    contract_start: date
    owner: str
    domain: str
    contacts: list[DemoCustomer] = field(default_factory=list)
    # Filled by the simulation:
    status: str = "active"
    renewal_date: date | None = None
    churned_on: date | None = None


@dataclass(slots=True)
class DemoCustomer:
    """One customer (an SMB owner, or a contact at an enterprise account) and their latent traits."""

    index: int
    external_id: str
    name: str
    email: str
    phone: str
    country: Country
    timezone: str
    segment: str  # smb | enterprise
    industry: str
    company_size: str
    plan: str
    company: str
    role: str
    signup_at: datetime
    traits: Traits
    account: DemoAccount | None = None

    @property
    def is_smb(self) -> bool:
        return self.segment == "smb"

    @property
    def is_champion(self) -> bool:
        """The account's main contact: receives its invoices and its renewal survey."""
        return self.account is not None and self.account.contacts[0] is self


@dataclass(frozen=True, slots=True)
class Agent:
    """A support agent; `skill` adds to (or takes from) the CSAT of the tickets they solve."""

    name: str
    team: str
    skill: float


@dataclass(slots=True)
class Organisation:
    """Everything `build_organisation` decides before any behaviour is simulated."""

    customers: list[DemoCustomer]
    accounts: list[DemoAccount]
    agents: dict[str, list[Agent]]


def build_organisation(seed: int, *, customers: int, period: DemoPeriod) -> Organisation:
    """The demo's customers and accounts, identical for the same seed, size and period."""
    rng = random.Random(f"cxloop-demo/{seed}/organisation")
    agents = {
        team: [Agent(name, team, round(rng.uniform(-0.45, 0.45), 2)) for name in members]
        for team, members in names.SUPPORT_TEAMS.items()
    }
    # One standout agent per queue, so "praise for agents" has names that keep coming up.
    for members in agents.values():
        best = rng.randrange(len(members))
        members[best] = Agent(members[best].name, members[best].team, 0.6)
    enterprise_target = round(customers * ENTERPRISE_SHARE)
    used_names: set[str] = set()
    used_emails: set[str] = set()
    accounts: list[DemoAccount] = []
    people: list[DemoCustomer] = []
    while len(people) < enterprise_target:
        account = _make_account(rng, len(accounts) + 1, period, used_names)
        accounts.append(account)
        size = min(_contacts_per_account(rng), enterprise_target - len(people))
        for _ in range(size):
            person = _make_customer(rng, len(people), period, used_emails, account=account)
            account.contacts.append(person)
            people.append(person)
    while len(people) < customers:
        people.append(_make_customer(rng, len(people), period, used_emails, account=None, used_names=used_names))
    # Interleave segments so the ids do not reveal them; order stays a pure function of the seed.
    rng.shuffle(people)
    for index, person in enumerate(people):
        person.index = index
        person.external_id = f"demo-cus-{index + 1:05d}"
    for account in accounts:
        account.contacts.sort(key=lambda c: c.signup_at)
    return Organisation(customers=people, accounts=accounts, agents=agents)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _pick_country(rng: random.Random) -> Country:
    return rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]


def _contacts_per_account(rng: random.Random) -> int:
    return rng.choices((1, 2, 3, 4, 5, 6, 8), weights=(22, 30, 22, 12, 7, 4, 3))[0]


def _company_name(rng: random.Random, industry: str, used: set[str], *, enterprise: bool) -> str:
    for attempt in range(50):
        name = f"{rng.choice(names.COMPANY_STEMS)} {rng.choice(names.INDUSTRY_NOUNS[industry])}"
        if enterprise and rng.random() < 0.4:
            name = f"{name} {rng.choice(names.ENTERPRISE_SUFFIXES)}"
        if attempt > 20:
            name = f"{name} {rng.choice(('North', 'South', 'East', 'West', 'City', 'Bay'))} {attempt}"
        if name not in used:
            used.add(name)
            return name
    raise AssertionError("company name space exhausted")  # unreachable: the numbered names are unique


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def _make_account(rng: random.Random, number: int, period: DemoPeriod, used_names: set[str]) -> DemoAccount:
    industry = _weighted(rng, INDUSTRY_WEIGHTS)
    country = _pick_country(rng)
    name = _company_name(rng, industry, used_names, enterprise=True)
    plan = "enterprise" if rng.random() < 0.72 else "growth"
    size = rng.choices(("51-200", "201-1000", "1001-5000", "5000+"), weights=(25, 40, 25, 10))[0]
    size_factor = {"51-200": 0.5, "201-1000": 1.0, "1001-5000": 2.0, "5000+": 3.5}[size]
    base = 30_000 if plan == "enterprise" else 9_000
    arr = Decimal(round(base * size_factor * rng.lognormvariate(0, 0.35), -2))
    # Contracts started up to 30 months before the anchor, so about half the accounts reach an anniversary inside
    # the window and either renew or churn there.
    contract_start = period.anchor - timedelta(days=rng.randint(20, 900))
    return DemoAccount(
        external_id=f"demo-acc-{number:04d}",
        name=name,
        industry=industry,
        country=country,
        company_size=size,
        plan=plan,
        arr=arr,
        contract_start=contract_start,
        owner=rng.choice(names.ACCOUNT_MANAGERS),
        domain=f"{_slug(name)}.{country.domain}",
    )


def _signup_at(rng: random.Random, period: DemoPeriod, earliest: datetime | None) -> datetime:
    start = max(period.start, earliest) if earliest else period.start
    span = (period.end - start).total_seconds()
    # A growing business: later months see more sign-ups (density rises about 60% across the window).
    fraction = min(0.999, ((1 + 2.24 * rng.random()) ** 0.5 - 1) / 0.8)  # inverse CDF of a ramp from 1 to 1.8
    at = start + timedelta(seconds=span * fraction)
    # Business hours, roughly: most sign-ups land between 08:00 and 19:00 UTC.
    return at.replace(hour=rng.choices(range(24), weights=_HOUR_WEIGHTS)[0], minute=rng.randrange(60))


_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 7, 5, 4, 3, 2, 2, 1)


def _traits(rng: random.Random, *, smb: bool) -> Traits:
    return Traits(
        friction=rng.betavariate(2.2, 2.4) if smb else rng.betavariate(1.6, 4.2),
        harshness=rng.gauss(0, 0.6),
        fit=rng.gauss(0, 0.7),
        activity=rng.lognormvariate(0.0, 0.5) * (1.0 if smb else 1.3),
        ticket_rate=rng.lognormvariate(-1.45, 0.5) * (1.0 if smb else 1.3),
        order_rate=rng.lognormvariate(-0.6, 0.45) * (1.0 if smb else 1.4),
        responsiveness=rng.betavariate(2.6, 3.0),
        talkativeness=rng.betavariate(2.5, 2.5),
    )


def _make_customer(
    rng: random.Random,
    number: int,
    period: DemoPeriod,
    used_emails: set[str],
    *,
    account: DemoAccount | None,
    used_names: set[str] | None = None,
) -> DemoCustomer:
    first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
    if account is not None:
        country, industry, size, plan = account.country, account.industry, account.company_size, account.plan
        company, domain = account.name, account.domain
        role = "admin" if not account.contacts else rng.choice(("buyer", "buyer", "user", "user", "user", "finance"))
        earliest = midnight(account.contract_start) if account.contract_start > period.start.date() else None
        signup_at = _signup_at(rng, period, earliest)
        segment = "enterprise"
    else:
        country = _pick_country(rng)
        industry = _weighted(rng, INDUSTRY_WEIGHTS)
        size = rng.choices(("1-10", "11-50"), weights=(65, 35))[0]
        plan = "starter" if rng.random() < 0.6 else "growth"
        company = _company_name(rng, industry, used_names if used_names is not None else set(), enterprise=False)
        domain = f"{_slug(company)}.{country.domain}"
        role = "owner"
        signup_at = _signup_at(rng, period, None)
        segment = "smb"
    email = f"{_slug(first)}.{_slug(last)}@{domain}"
    while email in used_emails:
        email = f"{_slug(first)}.{_slug(last)}{rng.randint(2, 99)}@{domain}"
    used_emails.add(email)
    national = "".join(str(rng.randrange(10)) for _ in range(9))
    return DemoCustomer(
        index=number,
        external_id="",
        name=f"{first} {last}",
        email=email,
        phone=_mobile_number(country.code, rng.randint(2, 9), national),
        country=country,
        timezone=rng.choice(country.timezones),
        segment=segment,
        industry=industry,
        company_size=size,
        plan=plan,
        company=company,
        role=role,
        signup_at=signup_at,
        traits=_traits(rng, smb=account is None),
        account=account,
    )


def next_anniversary(start: date, after: date) -> date:
    """The first yearly anniversary of `start` strictly after `after`."""
    years = max(1, after.year - start.year)
    candidate = add_months(start, 12 * years)
    while candidate <= after:
        years += 1
        candidate = add_months(start, 12 * years)
    return candidate


def _mobile_number(country: str, lead: int, national: str) -> str:
    """A valid mobile number of the country in E.164: its example number with the last four digits drawn (every
    such number is valid for the demo's countries); `lead` and `national` keep the random sequence of older demos."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None, country  # libphonenumber has one for every country of the demo
    digits = str(example.national_number)
    return f"+{example.country_code}{digits[:-4]}{(national[-3:] + str(lead))}"
