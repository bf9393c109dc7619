"""The taxonomy on both databases, through the service and the real relay: discovery finds the topics of stored
comments, a re-run keeps identities, user names, pins and hides; new comments get themes in the worker; merge, split
and rules behave; the figures (volume, impact with its interval, trend, examples) come from the stored items."""

from __future__ import annotations

from cxloop.storage.database import Database
from cxloop.text.themes import service as themes
from cxloop.text.themes.enums import ItemKind
from cxloop.text.themes.schemas import RuleCreate, ThemeUpdate
from tests.alerts.conftest import store_responses
from tests.text.themes.conftest import (
    add_survey,
    discover,
    primary_of,
    store_feedback,
    store_topics,
    texts_of,
    theme_of_topic,
    theme_row,
)
from tests.text.themes.corpus import TOPICS


def test_discovery_finds_the_topics_and_a_rerun_keeps_identities_names_pins_and_hides(db: Database) -> None:
    add_survey(db)
    topics = store_topics(db, 30)
    run = discover(db)
    assert (run.items, run.themes_found, run.created, run.kept, run.retired) == (120, 4, 4, 0, 0)
    ids = theme_of_topic(db, topics)
    assert len(set(ids.values())) == 4  # each topic its own theme
    with db.unit_of_work() as session:
        listed = {t.id: t for t in themes.list_themes(session)}
    assert set(listed) == set(ids.values())
    assert sum(t.volume for t in listed.values()) == 120
    assert all(t.primary_volume == t.volume == 30 and t.share == 25.0 for t in listed.values())
    # names are the topic's own key phrases
    for topic, theme_id in ids.items():
        words = {w for phrase in TOPICS[topic] for w in phrase.split()}
        assert all(set(p.split()) <= words for p in listed[theme_id].name.split(", ")), listed[theme_id].name
    billing = listed[ids["billing"]].impact
    assert billing.difference is not None and billing.difference < -50 and billing.significant
    assert billing.ci_low is not None and billing.ci_high is not None
    assert billing.ci_low < billing.difference < billing.ci_high
    assert billing.n_with == 30 and billing.n_without == 90 and not billing.small_sample
    assert listed[ids["billing"]].trend[-1].count == 30 and len(listed[ids["billing"]].trend) == 12
    billing = listed[ids["billing"]].sentiment
    assert billing is not None and billing < 0  # the mean of its comments' enrichment scores (overcharged, refund)

    app_before = theme_row(db, ids["app"])
    with db.unit_of_work(write=True) as session:
        themes.update_theme(session, theme_id=ids["billing"], data=ThemeUpdate(name="Billing trouble"))
        themes.update_theme(session, theme_id=ids["app"], data=ThemeUpdate(pinned=True))
        themes.update_theme(session, theme_id=ids["staff"], data=ThemeUpdate(hidden=True))
    topics |= store_topics(db, 10, seed=5)  # more comments, then discovery again
    again = discover(db)
    assert (again.items, again.themes_found, again.kept, again.created, again.retired) == (160, 4, 4, 0, 0)
    assert theme_of_topic(db, {k: v for k, v in topics.items() if v != "staff"}) == {
        t: i for t, i in ids.items() if t != "staff"
    }
    assert theme_row(db, ids["billing"]).name == "Billing trouble"
    pinned = theme_row(db, ids["app"])
    assert (pinned.name, pinned.key_phrases, pinned.profile) == (
        app_before.name,
        app_before.key_phrases,
        app_before.profile,
    )
    assert theme_row(db, ids["staff"]).hidden
    with db.unit_of_work() as session:
        visible = {t.id for t in themes.list_themes(session)}
        everything = {t.id for t in themes.list_themes(session, include_hidden=True)}
    assert visible == set(ids.values()) - {ids["staff"]} and everything == set(ids.values())


def test_themes_no_longer_found_are_retired_unless_pinned(db: Database) -> None:
    add_survey(db)
    topics = store_topics(db, 25, topics=["delivery", "billing", "app"])
    discover(db)
    ids = theme_of_topic(db, topics)
    with db.unit_of_work(write=True) as session:
        themes.update_theme(session, theme_id=ids["delivery"], data=ThemeUpdate(pinned=True))
        # the comments of two topics go: only billing is left to find
        from sqlalchemy import delete

        from cxloop.collection.models import Response

        gone = [i for i, t in topics.items() if t != "billing"]
        session.execute(delete(Response).where(Response.id.in_(gone)))
    run = discover(db)
    assert run.retired == 1  # app; delivery is pinned
    assert theme_row(db, ids["app"]).retired_at is not None
    assert theme_row(db, ids["delivery"]).retired_at is None
    with db.unit_of_work() as session:
        listed = {t.id for t in themes.list_themes(session)}
        with_retired = {t.id for t in themes.list_themes(session, include_retired=True)}
    assert ids["app"] not in listed and ids["app"] in with_retired and ids["delivery"] in listed


def test_new_comments_get_themes_in_the_worker(db: Database) -> None:
    add_survey(db)
    topics = store_topics(db, 30)
    discover(db)
    ids = theme_of_topic(db, topics)
    (parcel,) = store_responses(db, {"nps": 3, "comment": "The courier lost my parcel, no tracking number"})
    assert primary_of(db, ItemKind.response, parcel) == ids["delivery"]
    (invoice,) = store_feedback(db, {"text": "You charged twice on my credit card and the refund never came"})
    assert primary_of(db, ItemKind.feedback, invoice) == ids["billing"]
    (other,) = store_responses(db, {"nps": 9, "comment": "Lovely weather"})
    assert primary_of(db, ItemKind.response, other) is None
    with db.unit_of_work() as session:
        names, primary = themes.themes_of(session, kind=ItemKind.feedback, item_id=invoice)
        # a replayed event rewrites the same rows
        assert themes.assign_items(session, kind=ItemKind.feedback, ids=[invoice]) == 1
        assert themes.themes_of(session, kind=ItemKind.feedback, item_id=invoice) == (names, primary)
    assert primary == theme_row(db, ids["billing"]).name


def test_rules_merge_and_split(db: Database) -> None:
    add_survey(db)
    topics = store_topics(db, 30)
    discover(db)
    ids = theme_of_topic(db, topics)
    with db.unit_of_work(write=True) as session:
        refunds = themes.add_rule(session, data=RuleCreate(name="Refunds", phrases=["refund", "money back"])).id
    refund_items = [i for i, t in topics.items() if t == "billing"]
    texts = texts_of(db, refund_items)
    mentioning = [i for i, c in texts.items() if "refund" in c]
    assert mentioning and all(primary_of(db, ItemKind.response, i) == refunds for i in mentioning)
    (later,) = store_responses(db, {"nps": 2, "comment": "I want my MONEY back"})
    assert primary_of(db, ItemKind.response, later) == refunds  # rules apply to new comments too

    # merge app into staff: its items move, the list shows one theme, and discovery keeps handing them to staff
    with db.unit_of_work(write=True) as session:
        themes.merge_themes(session, theme_ids=[ids["app"]], into=ids["staff"])
        listed = {t.id: t for t in themes.list_themes(session)}
    assert ids["app"] not in listed and listed[ids["staff"]].volume == 60
    app_items = [i for i, t in topics.items() if t == "app"]
    assert {primary_of(db, ItemKind.response, i) for i in app_items} == {ids["staff"]}
    run = discover(db)
    assert run.created == 0 and theme_row(db, ids["app"]).merged_into_id == ids["staff"]
    assert {primary_of(db, ItemKind.response, i) for i in app_items} == {ids["staff"]}

    # split delivery by keywords: the items holding them move to new rule themes, the rest stay
    with db.unit_of_work(write=True) as session:
        made = themes.split_theme(session, theme_id=ids["delivery"], groups=[["courier"], ["tracking number"]])
        courier, tracking = (t.id for t in made)
        names = [t.name for t in made]
    assert names == ["courier", "tracking number"]
    delivery_items = [i for i, t in topics.items() if t == "delivery"]
    texts = texts_of(db, delivery_items)
    for item_id, text in texts.items():
        expected = courier if "courier" in text else tracking if "tracking number" in text else ids["delivery"]
        assert primary_of(db, ItemKind.response, item_id) == expected, text


def test_hiding_moves_the_primary_theme_to_another(db: Database) -> None:
    add_survey(db)
    topics = store_topics(db, 30)
    discover(db)
    ids = theme_of_topic(db, topics)
    with db.unit_of_work(write=True) as session:
        rule = themes.add_rule(session, data=RuleCreate(name="Invoices", phrases=["invoice"])).id
    invoice_items = [
        i
        for i, t in topics.items()
        if t == "billing" and primary_of(db, ItemKind.response, i) == rule  # their text mentions an invoice
    ]
    assert invoice_items
    with db.unit_of_work(write=True) as session:
        themes.update_theme(session, theme_id=rule, data=ThemeUpdate(hidden=True))
    assert {primary_of(db, ItemKind.response, i) for i in invoice_items} == {ids["billing"]}
