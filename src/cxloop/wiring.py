"""Connect domains that react to each other through hooks (core/hooks.py). Apart from the app, so that CLI commands
that never serve HTTP do not import the web framework to get it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cxloop.analytics import anomalies, invitation_rollups, metrics, rollups, stats, survey_responses, theme_series
from cxloop.channels import outbound
from cxloop.channels.widget import erasure as widget_images
from cxloop.churn import queries as churn_queries
from cxloop.collection import hooks as collection
from cxloop.core import hooks
from cxloop.core.config import Settings
from cxloop.customers import deletion, event_listeners, membership, phones, scores
from cxloop.governance.channels import registry as channel_registry
from cxloop.invitations import hooks as invitation_hooks
from cxloop.invitations import service as invitations
from cxloop.jobs import dispatch, queue
from cxloop.journeys import deletion as touchpoint_deletion
from cxloop.privacy.holders import holders as privacy_holders
from cxloop.privacy.retention import kinds as retention_kinds
from cxloop.surveys import deletion as survey_deletion
from cxloop.text import privacy as text_privacy
from cxloop.text import service as text
from cxloop.text.themes import privacy as theme_privacy
from cxloop.text.themes import rules as theme_rules
from cxloop.triggers import event_rules

# Every in-transaction reaction of the application: (hook, function). Registered once, then all hooks are frozen.
REACTIONS: tuple[tuple[hooks.Hook[Any], Callable[..., None]], ...] = (
    (collection.responses_prepared, rollups.count_ahead),
    (collection.responses_stored, rollups.on_responses_stored),
    (collection.scores_changed, rollups.on_scores_changed),
    (collection.responses_prepared, survey_responses.count_ahead),
    (collection.responses_stored, survey_responses.on_responses_stored),
    (collection.scores_changed, survey_responses.on_scores_changed),
    (deletion.deleting, survey_responses.forget_customers),
    (membership.changed, rollups.on_membership_change),
    (deletion.deleting, rollups.forget_customers),
    (deletion.deleting, widget_images.forget_images),
    (deletion.deleting, invitations.forget_customers),  # counted out of the invitation rollups, not cascaded
    (survey_deletion.deleting, invitations.forget_survey),
    (touchpoint_deletion.touchpoints_deleting, invitations.clear_touchpoints),
    (invitation_hooks.outcomes_changed, invitation_rollups.on_outcomes_changed),
    (event_listeners.stored, event_rules.on_events_stored),
    (collection.texts_shown, text.mask_shown),
    # what text analytics derived from a text goes with it (retention, erasure, a customer deleted)
    (collection.texts_dropped, text_privacy.forget_items),
    (collection.texts_dropped, theme_privacy.forget_items),
    (deletion.deleting, text_privacy.forget_customers),
    (deletion.deleting, theme_privacy.forget_customers),
)


def wire_domains(settings: Settings) -> None:
    """Connect domains that react to each other through hooks (never by upward imports), then freeze every hook.
    Idempotent: a second call registers nothing again."""
    rollups.configure(settings.rollup_timezones)
    metrics.configure_min_n(settings.metric_min_n)
    theme_rules.use_nps_difference(stats.nps_difference)  # text sits below analytics: its statistics come in here
    anomalies.register_series_source("themes", theme_series.theme_series)  # emerging and souring themes
    scores.provide("churn_risk", churn_queries.churn_risk_of)  # customers sits below churn: segments read it here
    phones.configure(settings.default_phone_region)
    widget_images.configure(settings.data_dir)
    for hook, fn in REACTIONS:
        if fn not in hook:
            hook.register(fn)
    hooks.freeze_all()
    privacy_holders.freeze()  # the data holders and retention kinds: registered at import, fixed from here on
    retention_kinds.freeze()
    outbound.register_senders()  # email and SMS senders into the channel registry, then no more changes
    channel_registry.freeze()
    # Jobs queued by this process (e.g. rule evaluation after events are stored) go to the settings' queue.
    dispatch.install(queue.enqueuer(settings, name=settings.jobs_queue))
